package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Every container and network the suite creates carries these labels, so a
// crashed run's leftovers can be found and removed: the suite runs without
// testcontainers' reaper, whose image cannot be pulled here.
const (
	LabelRun  = "org.fechatter.e2e.run"
	LabelPID  = "org.fechatter.e2e.pid"
	LabelKeep = "org.fechatter.e2e.keep"
)

func labels(run string, keep bool) map[string]string {
	return map[string]string{
		LabelRun:  run,
		LabelPID:  strconv.Itoa(os.Getpid()),
		LabelKeep: strconv.FormatBool(keep),
	}
}

// ErrNoDocker is returned, wrapped in one readable line, when no Docker
// engine answers.
var ErrNoDocker = errors.New("Docker engine not reachable")

func dockerClient(ctx context.Context) (*testcontainers.DockerClient, error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err == nil {
		if _, err = cli.Ping(ctx, client.PingOptions{}); err != nil {
			cli.Close()
		}
	}
	if err != nil {
		// One line, whatever the client library wrapped inside.
		reason := strings.Join(strings.Fields(err.Error()), " ")
		return nil, fmt.Errorf("%w (%s); start it (service docker start) or set DOCKER_HOST",
			ErrNoDocker, reason)
	}
	return cli, nil
}

// CheckDocker answers with one clear error when no engine is reachable.
func CheckDocker(ctx context.Context) error {
	cli, err := dockerClient(ctx)
	if err != nil {
		return err
	}
	return cli.Close()
}

// Reap removes the containers and networks of earlier runs whose process is
// gone. Stacks left running on purpose (make up, E2E_KEEP) are spared unless
// kept is set, which is what make clean does. A run whose process is alive
// is never touched: it may be another checkout's suite in the middle of a
// run.
func Reap(ctx context.Context, kept bool) (removed int, err error) {
	return remove(ctx, client.Filters{}.Add("label", LabelRun), func(l map[string]string) bool {
		if alive(l[LabelPID]) {
			return false
		}
		return kept || l[LabelKeep] != "true"
	})
}

// remove deletes the labelled containers, then networks, that match filter
// and that stale says may go, and counts them.
func remove(ctx context.Context, filter client.Filters, stale func(map[string]string) bool,
) (removed int, err error) {
	cli, err := dockerClient(ctx)
	if err != nil {
		return 0, err
	}
	defer cli.Close()

	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return 0, fmt.Errorf("list labelled containers: %w", err)
	}
	var errs []error
	for _, c := range cs.Items {
		if !stale(c.Labels) {
			continue
		}
		_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{
			Force: true, RemoveVolumes: true,
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	// Networks go last: Docker refuses to remove one with containers.
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		return removed, errors.Join(append(errs, err)...)
	}
	for _, n := range ns.Items {
		if !stale(n.Labels) {
			continue
		}
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// alive reports whether the process that labelled a resource still runs.
func alive(pid string) bool {
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		return false
	}
	err = syscall.Kill(n, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
