// Package images builds the container images the end-to-end stack runs, without a
// registry: the machines that run the suite cannot pull, so every image is made here from
// pinned sources. Each image is tagged with a hash of its recipe, so a second run finds
// the tag and builds nothing.
//
// The recipes live in the repository under images/; this package only drives them with
// the docker, go and mmdebstrap commands.
package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"
)

// LabelKey and LabelValue mark every image built here, so that `make clean` can find and
// remove them with `docker image ls --filter label=org.fechatter.e2e=image`.
const (
	LabelKey   = "org.fechatter.e2e"
	LabelValue = "image"
)

// repository prefixes every tag: notify-e2e/nats:<hash>.
const repository = "notify-e2e/"

// generation is hashed into every tag. Bump it when a change to this package alters what
// an image contains, so machines that cached the old result build it again.
const generation = "1"

// Image names, as used in tags and as keys of the map All returns.
const (
	NameNATS         = "nats"
	NamePostgres     = "postgres"
	NameNginx        = "nginx"
	NameNotifyServer = "notify-server"
)

// NATS returns the tag of the NATS image: nats-server built from the version go.mod
// pins, run with JetStream (-js -sd /data) and monitoring on 8222.
func NATS(ctx context.Context, log io.Writer) (string, error) {
	return goImage(ctx, log, goRecipe{
		name:   NameNATS,
		pkg:    "github.com/nats-io/nats-server/v2",
		binary: "nats-server",
	})
}

// NotifyServer returns the tag of the reference notify-server image, built from this
// repository's ./cmd/notify-server.
func NotifyServer(ctx context.Context, log io.Writer) (string, error) {
	return goImage(ctx, log, goRecipe{
		name:   NameNotifyServer,
		pkg:    "./cmd/notify-server",
		binary: "notify-server",
	})
}

// Nginx returns the tag of the nginx image: Debian bookworm with nginx-light. It carries
// no configuration of its own; the stack mounts the one under test.
func Nginx(ctx context.Context, log io.Writer) (string, error) {
	return debianImage(ctx, log, NameNginx)
}

// Postgres returns the tag of the PostgreSQL 15 image, its cluster initialised at build
// time with trust authentication.
func Postgres(ctx context.Context, log io.Writer) (string, error) {
	return debianImage(ctx, log, NamePostgres)
}

// All returns the tags of every image, keyed by image name, building the missing ones
// concurrently: on a cold machine the Debian builds wait on the network while the Go
// builds use the CPU. Each line of log is prefixed with the image it belongs to.
func All(ctx context.Context, log io.Writer) (map[string]string, error) {
	builders := map[string]func(context.Context, io.Writer) (string, error){
		NameNATS:         NATS,
		NamePostgres:     Postgres,
		NameNginx:        Nginx,
		NameNotifyServer: NotifyServer,
	}
	// Checked once up front, so a missing engine gives one error line, not four.
	if _, err := engine(ctx); err != nil {
		return nil, err
	}

	var (
		mu   sync.Mutex
		tags = make(map[string]string, len(builders))
		errs []error
		wg   sync.WaitGroup
	)
	shared := &lockedWriter{w: log}
	for name, build := range builders {
		wg.Go(func() {
			w := &prefixWriter{w: shared, prefix: "[" + name + "] "}
			tag, err := build(ctx, w)
			w.Flush()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			tags[name] = tag
		})
	}
	wg.Wait()
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return tags, nil
}

// building serialises the builds of one image within this process, so that All and a
// direct call never build the same image twice at the same time.
var building sync.Map // image name -> *sync.Mutex

// lockImage holds the build of one image against this process's other goroutines and,
// with a lock file, against other processes (make e2e and go test run side by side on a
// developer's machine): two builds of one tag waste minutes and leave the loser's image
// dangling. Callers check for the tag after taking the lock. The file lock does not heed
// ctx; the build holding it is bounded by its own context.
func lockImage(name string) (unlock func(), err error) {
	m, _ := building.LoadOrStore(name, new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()
	path := filepath.Join(os.TempDir(), "notify-e2e-image-"+name+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		mu.Unlock()
		return nil, fmt.Errorf("lock the %s build: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		mu.Unlock()
		return nil, fmt.Errorf("lock the %s build: %w", name, err)
	}
	return func() {
		f.Close() // releases the flock
		mu.Unlock()
	}, nil
}

// logf writes one progress line.
func logf(log io.Writer, format string, args ...any) {
	fmt.Fprintf(log, format+"\n", args...)
}

// since formats the time elapsed since start the way build logs show it: 12.3s.
func since(start time.Time) string {
	return time.Since(start).Round(100 * time.Millisecond).String()
}

// lockedWriter lets concurrent builds share one log writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter prefixes every complete line; a partial line waits for its end (or Flush)
// so that concurrent builds never interleave within a line.
type prefixWriter struct {
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := append([]byte(p.prefix), p.buf[:i+1]...)
		p.buf = p.buf[i+1:]
		if _, err := p.w.Write(line); err != nil {
			return len(b), err
		}
	}
}

// Flush writes a trailing partial line, if any.
func (p *prefixWriter) Flush() {
	if len(p.buf) > 0 {
		_, _ = p.w.Write(append([]byte(p.prefix), append(p.buf, '\n')...))
		p.buf = nil
	}
}
