package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestModuleRootFromSubdirectory(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if !declaresModule(filepath.Join(root, "go.mod")) {
		t.Fatalf("expected %s/go.mod to declare %s", root, modulePath)
	}
	wd, _ := os.Getwd()
	if !strings.HasPrefix(wd, root) || wd == root {
		t.Fatalf("expected the root %s to be above the test's directory %s", root, wd)
	}
}

func TestModuleRootSkipsOtherModules(t *testing.T) {
	dir := t.TempDir()
	nested := filepath.Join(dir, "fixture")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(nested, "go.mod"), "module example.com/fixture\n")
	t.Chdir(nested)
	if _, err := Root(); err == nil || !strings.Contains(err.Error(), modulePath) {
		t.Fatalf("expected an error naming %s, got %v", modulePath, err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
