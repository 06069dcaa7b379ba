package images

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// goRecipe is an image made of one static Go binary and the Dockerfile in
// images/<name>/, which gets the recipe directory, the binary and an empty directory
// called empty/ as its build context.
type goRecipe struct {
	name   string
	pkg    string // the package to build, as `go build` takes it
	binary string // the file name of the binary in the build context
	dir    string // where to run `go build`; the module root when empty
}

// goImage builds the binary first, every time: with a warm build cache that takes about
// a second, and hashing the binary (rather than guessing which sources it depends on)
// is what makes the tag change exactly when the program does.
func goImage(ctx context.Context, log io.Writer, r goRecipe) (string, error) {
	if log == nil {
		log = io.Discard
	}
	eng, root, unlock, err := prepare(ctx, r.name)
	if err != nil {
		return "", err
	}
	defer unlock()
	if r.dir == "" {
		r.dir = root
	}

	tmp, err := os.MkdirTemp("", "notify-e2e-"+r.name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	buildCtx := filepath.Join(tmp, "context")
	if err := os.CopyFS(buildCtx, os.DirFS(filepath.Join(root, "images", r.name))); err != nil {
		return "", fmt.Errorf("copy the %s recipe: %w", r.name, err)
	}
	if err := os.Mkdir(filepath.Join(buildCtx, "empty"), 0o755); err != nil {
		return "", err
	}

	start := time.Now()
	bin := filepath.Join(buildCtx, r.binary)
	// Static (no cgo: scratch has no libc), for the engine's platform, and reproducible:
	// -trimpath drops local paths and -buildvcs=false the commit and dirty flag, which
	// would otherwise change the binary, and so the tag, on every commit.
	env := []string{"CGO_ENABLED=0", "GOOS=" + eng.os, "GOARCH=" + goArch(eng.arch)}
	err = run(ctx, log, r.dir, env, "go", "build", "-trimpath", "-buildvcs=false",
		"-o", bin, r.pkg)
	if err != nil {
		return "", fmt.Errorf("build the %s binary: %w", r.name, err)
	}
	logf(log, "built %s in %s", r.pkg, since(start))

	hash, err := recipeHash([]tree{{r.name, buildCtx}})
	if err != nil {
		return "", err
	}
	tag := tagFor(r.name, hash)
	if ok, err := imageExists(ctx, tag); err != nil || ok {
		return tag, err
	}

	start = time.Now()
	err = run(ctx, log, buildCtx, nil, "docker", "build", "--label", LabelKey+"="+LabelValue,
		"--tag", tag, ".")
	if err != nil {
		return "", fmt.Errorf("build the %s image: %w", r.name, err)
	}
	logf(log, "built image %s in %s", tag, since(start))
	return tag, nil
}

// goArch maps the architecture names `docker version` reports to Go's, for the engines
// that use the kernel's names.
func goArch(arch string) string {
	switch arch {
	case "x86_64":
		return "amd64"
	case "aarch64":
		return "arm64"
	}
	return arch
}
