package images

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// debianImage builds images/<name>/ with images/debian/build.sh into a root filesystem
// tarball and loads it with `docker import`, applying images/<name>/import.changes.
// Unlike the Go images, the tag depends on the recipe alone: building the root filesystem
// takes tens of seconds, and the recipe is all that is needed to say whether it changed.
func debianImage(ctx context.Context, log io.Writer, name string) (string, error) {
	if log == nil {
		log = io.Discard
	}
	eng, root, unlock, err := prepare(ctx, name)
	if err != nil {
		return "", err
	}
	defer unlock()

	recipe := filepath.Join(root, "images", name)
	shared := filepath.Join(root, "images", "debian")
	// The architecture is hashed because the tarball is built for the host's, and a
	// different engine architecture (an emulated one) needs its own build.
	hash, err := recipeHash([]tree{{"debian", shared}, {name, recipe}}, "arch "+eng.arch)
	if err != nil {
		return "", err
	}
	tag := tagFor(name, hash)
	if ok, err := imageExists(ctx, tag); err != nil || ok {
		return tag, err
	}

	changes, err := importChanges(filepath.Join(recipe, "import.changes"))
	if err != nil {
		return "", err
	}
	if err := ensureMmdebstrap(ctx, log); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "notify-e2e-"+name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	tarball := filepath.Join(tmp, "rootfs.tar")

	start := time.Now()
	logf(log, "building the %s root filesystem with mmdebstrap", name)
	err = run(ctx, log, root, nil, "sh", filepath.Join(shared, "build.sh"), recipe, tarball)
	if err != nil {
		return "", fmt.Errorf("build the %s root filesystem: %w", name, err)
	}
	logf(log, "built the %s root filesystem in %s", name, since(start))

	start = time.Now()
	args := []string{"import"}
	for _, c := range append(changes, "LABEL "+LabelKey+"="+LabelValue) {
		args = append(args, "--change", c)
	}
	args = append(args, tarball, tag)
	if err := run(ctx, log, root, nil, "docker", args...); err != nil {
		return "", fmt.Errorf("import the %s image: %w", name, err)
	}
	logf(log, "imported image %s in %s", tag, since(start))
	return tag, nil
}

// importChanges reads the Dockerfile instructions of an import.changes file, one per
// line, skipping blank lines and # comments.
func importChanges(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var changes []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			changes = append(changes, line)
		}
	}
	return changes, sc.Err()
}

// errNotRoot says how to get going when mmdebstrap is missing and cannot be installed.
var errNotRoot = errors.New("mmdebstrap is needed to build the Debian-based images " +
	"(nginx, postgres) and is not installed; install it with " +
	"`sudo apt-get install mmdebstrap`, or rerun as root to have it installed")

// ensureMmdebstrap installs mmdebstrap when it is missing and this process may: CI runs
// on a fresh machine as root and installs nothing by hand.
func ensureMmdebstrap(ctx context.Context, log io.Writer) error {
	if _, err := exec.LookPath("mmdebstrap"); err == nil {
		return nil
	}
	if os.Geteuid() != 0 {
		return errNotRoot
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return errors.New("mmdebstrap is needed to build the Debian-based images " +
			"(nginx, postgres); this is not a Debian-like system, so install it by hand")
	}
	env := []string{"DEBIAN_FRONTEND=noninteractive"}
	// With recommends: they bring mount, ca-certificates and friends that a minimal
	// machine may lack and mmdebstrap's root mode uses.
	install := func() error {
		return run(ctx, log, "/", env, "apt-get", "install", "--yes", "mmdebstrap")
	}
	logf(log, "mmdebstrap is missing; installing it with apt-get")
	if install() == nil {
		return nil
	}
	// A fresh machine has no package lists, an old one stale lists that point at
	// superseded versions; both are fixed by updating once.
	if err := run(ctx, log, "/", env, "apt-get", "update"); err != nil {
		return fmt.Errorf("install mmdebstrap: %w", err)
	}
	if err := install(); err != nil {
		return fmt.Errorf("install mmdebstrap: %w", err)
	}
	return nil
}
