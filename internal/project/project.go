// Package project locates the project's own files (fixtures, nginx.conf,
// recipes) from wherever a command or test was started.
package project

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// modulePath is what go.mod must declare for a directory to count as the module root;
// checking it keeps a go.mod of a nested test fixture from being taken for the root.
const modulePath = "github.com/fechatter/notify-e2e"

// Root finds the repository root by walking up from the working directory: tests
// run from their package's directory, the Makefile from the root.
func Root() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod declaring %s in %s or above", modulePath, wd)
		}
	}
}

func declaresModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == modulePath
		}
	}
	return false
}
