package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fechatter/notify-e2e/internal/project"
)

// engineInfo is what the builds need to know about the Docker engine.
type engineInfo struct {
	os, arch string // the platform binaries must be built for
}

var (
	engineMu     sync.Mutex
	engineCached *engineInfo
)

// engineTimeout bounds the reachability check: a hung socket must not hang the suite.
const engineTimeout = 20 * time.Second

// engine checks once per process that the Docker engine answers. A failure is not cached,
// so starting the engine and retrying works without restarting the process.
func engine(ctx context.Context) (engineInfo, error) {
	engineMu.Lock()
	defer engineMu.Unlock()
	if engineCached != nil {
		return *engineCached, nil
	}
	if _, err := exec.LookPath("docker"); err != nil {
		return engineInfo{}, unreachable("the docker command is not installed")
	}
	ctx, cancel := context.WithTimeout(ctx, engineTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", "version", "--format",
		"{{.Server.Os}}/{{.Server.Arch}}")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		reason := lastLine(stderr.String())
		if reason == "" {
			reason = err.Error()
		}
		return engineInfo{}, unreachable(reason)
	}
	osName, arch, ok := strings.Cut(strings.TrimSpace(stdout.String()), "/")
	if !ok {
		return engineInfo{}, unreachable(fmt.Sprintf("unexpected `docker version` output %q",
			stdout.String()))
	}
	engineCached = &engineInfo{os: osName, arch: arch}
	return *engineCached, nil
}

func unreachable(reason string) error {
	return fmt.Errorf("Docker engine not reachable: %s; start it (e.g. `service docker start`)",
		reason)
}

// imageExists reports whether the engine already has tag.
func imageExists(ctx context.Context, tag string) (bool, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", "image", "inspect", "--format", "{{.Id}}", tag)
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		return true, nil
	}
	if strings.Contains(stderr.String(), "No such image") {
		return false, nil
	}
	return false, commandError(cmd, err, stderr.String())
}

// run runs a command in dir, copying its output to log and keeping the tail of it for
// the error, which is what usually says what went wrong.
func run(ctx context.Context, log io.Writer, dir string, env []string, name string,
	args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	tail := &tailBuffer{max: tailBytes}
	out := io.MultiWriter(log, tail)
	cmd.Stdout, cmd.Stderr = out, out
	// A killed build can leave a child holding the pipes; do not wait for it forever.
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), ctx.Err())
		}
		return commandError(cmd, err, tail.String())
	}
	return nil
}

// tailBytes is how much of a failed command's output goes into its error: enough for a
// compiler error or apt's complaint, short enough to read in a test report.
const tailBytes = 2048

func commandError(cmd *exec.Cmd, err error, output string) error {
	output = strings.TrimSpace(output)
	if output == "" {
		return fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	return fmt.Errorf("%s: %w:\n%s", strings.Join(cmd.Args, " "), err, output)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
	cut bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
		t.cut = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	if !t.cut {
		return string(t.buf)
	}
	s := string(t.buf)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:] // drop the partial first line
	}
	return "...\n" + s
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// tree is a directory hashed into a tag under a stable name, so that where it happens to
// be (a temporary build context, another checkout) does not change the tag.
type tree struct {
	name, dir string
}

// recipeHash hashes every file under the trees (name within the tree and content) plus
// extra strings; every tag is derived from it.
func recipeHash(trees []tree, extra ...string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "generation %s\n", generation)
	for _, e := range extra {
		fmt.Fprintf(h, "extra %q\n", e)
	}
	for _, t := range trees {
		var files []string
		err := filepath.WalkDir(t.dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		sort.Strings(files)
		for _, path := range files {
			if err := hashFile(h, t, path); err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(h io.Writer, t tree, path string) error {
	rel, err := filepath.Rel(t.dir, path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	// Name and size delimit each file, so moving bytes from one file to the next changes
	// the hash. The mode is left out: scripts run through sh, and checkouts disagree on
	// the executable bit.
	fmt.Fprintf(h, "file %q %d\n", t.name+"/"+filepath.ToSlash(rel), info.Size())
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	if n != info.Size() {
		return errors.New(path + " changed while being hashed")
	}
	return nil
}

// tagFor makes the tag of image name from a recipe hash.
func tagFor(name, hash string) string {
	return repository + name + ":" + hash[:12]
}

// prepare is what every build starts with: the engine's platform, the
// project root, and the image's lock, held until unlock is called.
func prepare(ctx context.Context, name string) (eng engineInfo, root string,
	unlock func(), err error,
) {
	if eng, err = engine(ctx); err != nil {
		return eng, "", nil, err
	}
	if root, err = project.Root(); err != nil {
		return eng, "", nil, err
	}
	unlock, err = lockImage(name)
	return eng, root, unlock, err
}
