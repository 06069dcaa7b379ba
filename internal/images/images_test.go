package images

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecipeHash(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		writeFile(t, filepath.Join(dir, "packages"), "nginx-light\n")
		writeFile(t, filepath.Join(dir, "sub", "hook.sh"), "true\n")
	}
	hashA := mustHash(t, []tree{{"nginx", a}})
	if hashB := mustHash(t, []tree{{"nginx", b}}); hashA != hashB {
		t.Fatalf("expected equal recipes in different places to hash alike: %s, %s",
			hashA, hashB)
	}
	if other := mustHash(t, []tree{{"postgres", b}}); other == hashA {
		t.Fatal("expected the tree name to change the hash")
	}
	// Moving a byte across the boundary between two files must change the hash.
	writeFile(t, filepath.Join(b, "packages"), "nginx-light\nt")
	writeFile(t, filepath.Join(b, "sub", "hook.sh"), "rue\n")
	if moved := mustHash(t, []tree{{"nginx", b}}); moved == hashA {
		t.Fatal("expected moving content between files to change the hash")
	}
	tag := tagFor("nginx", hashA)
	if want := "notify-e2e/nginx:" + hashA[:12]; tag != want {
		t.Fatalf("expected tag %s, got %s", want, tag)
	}
}

func TestImportChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "import.changes")
	writeFile(t, path, "# why\n\nEXPOSE 8080\n  USER postgres  \n")
	got, err := importChanges(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"EXPOSE 8080", "USER postgres"}; strings.Join(got, "|") !=
		strings.Join(want, "|") {
		t.Fatalf("expected %q, got %q", want, got)
	}
}

func TestRunErrorCarriesOutputTail(t *testing.T) {
	var log bytes.Buffer
	err := run(context.Background(), &log, "", nil, "sh", "-c",
		"yes noise | head -n 2000; echo the real reason >&2; exit 3")
	if err == nil {
		t.Fatal("expected the failing command to return an error")
	}
	if !strings.Contains(err.Error(), "the real reason") {
		t.Fatalf("expected the error to end with the command's output, got %q", err)
	}
	if len(err.Error()) > tailBytes+200 {
		t.Fatalf("expected the error to keep only the tail, got %d bytes", len(err.Error()))
	}
	if strings.Count(log.String(), "noise\n") != 2000 {
		t.Fatal("expected the whole output in the log")
	}
}

func TestEngineUnreachableIsOneLine(t *testing.T) {
	engineMu.Lock()
	engineCached = nil
	engineMu.Unlock()
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "nothing.sock"))
	_, err := engine(context.Background())
	if err == nil {
		t.Fatal("expected an error for an engine that does not exist")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "Docker engine not reachable: ") ||
		!strings.Contains(msg, "service docker start") {
		t.Fatalf("expected one line saying how to start the engine, got %q", msg)
	}
}

func TestPrefixWriterKeepsLinesWhole(t *testing.T) {
	var out bytes.Buffer
	w := &prefixWriter{w: &out, prefix: "[nats] "}
	for _, s := range []string{"hel", "lo\nwor", "ld\n", "tail"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if want := "[nats] hello\n[nats] world\n[nats] tail\n"; out.String() != want {
		t.Fatalf("expected %q, got %q", want, out.String())
	}
}

func TestNotRootMessageSaysWhatToInstall(t *testing.T) {
	if !strings.Contains(errNotRoot.Error(), "apt-get install mmdebstrap") {
		t.Fatalf("expected the install command in %q", errNotRoot)
	}
}

func mustHash(t *testing.T, trees []tree) string {
	t.Helper()
	h, err := recipeHash(trees)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
