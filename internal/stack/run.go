package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/client"

	"github.com/fechatter/notify-e2e/internal/timeouts"
)

// A stack started by `make up` outlives the process that started it, so
// the functions below find it again by its run label alone.

// RunState counts one run's containers, and how many of them are running.
func RunState(ctx context.Context, run string) (total, running int, err error) {
	cli, err := dockerClient(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer cli.Close()
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All: true, Filters: client.Filters{}.Add("label", LabelRun+"="+run),
	})
	if err != nil {
		return 0, 0, fmt.Errorf("list the containers of run %s: %w", run, err)
	}
	for _, c := range cs.Items {
		total++
		if c.State == "running" {
			running++
		}
	}
	return total, running, nil
}

// RunFile, in a run's directory, holds the run id and the id of the
// process that started it.
const RunFile = "run"

// RemoveDirs removes the run directories matching pattern whose process is
// gone and whose run has no container left, and returns how many it removed.
func RemoveDirs(ctx context.Context, pattern string) (removed int, err error) {
	dirs, err := filepath.Glob(pattern)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, RunFile))
		if err != nil {
			continue // not a run directory, or not written by this version
		}
		run, pid, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		if alive(pid) {
			continue // still starting, or still running
		}
		total, _, err := RunState(ctx, run)
		if err != nil || total > 0 {
			errs = append(errs, err)
			continue
		}
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// RemoveRun removes one run's containers and network, kept or not, and
// returns how many it removed. Unlike Reap it touches no other run.
func RemoveRun(ctx context.Context, run string) (removed int, err error) {
	if run == "" {
		return 0, errors.New("no run id given")
	}
	return remove(ctx, client.Filters{}.Add("label", LabelRun+"="+run),
		func(map[string]string) bool { return true })
}

// NotifyConfig renders notify.yml as Start does, for a stack started some
// other way (docker compose) that must configure notify-server the same.
func NotifyConfig(root string, publicKeyPEM []byte) ([]byte, error) {
	return notifyConfig(root, publicKeyPEM, timeouts.Heartbeat)
}
