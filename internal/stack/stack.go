// Package stack starts the system under test in containers: NATS,
// PostgreSQL, one or more notify-server replicas and nginx, on a network of
// their own, and removes every trace of them afterwards.
package stack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	dnetwork "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
	"golang.org/x/sync/errgroup"

	"github.com/fechatter/notify-e2e/internal/certs"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// Images names the image of every service.
type Images struct {
	NATS, Postgres, Nginx, Notify string
}

// Options describe the stack to start.
type Options struct {
	Root      string // module root, where fixtures/ lives
	Images    Images
	Replicas  int
	NginxConf string
	// NotifyEnv is added to every notify-server replica's environment
	// (fault switches, for example).
	NotifyEnv map[string]string
	// Dir receives the run's generated files (configuration, TLS
	// material). Terminate removes it; a failed Start removes it too unless
	// Keep is set.
	Dir string
	// Keep labels the containers as kept, so a reap of leftovers spares
	// them, and leaves Dir behind when Start fails.
	Keep bool
	// Log receives progress lines and every container's output, prefixed
	// with the container's name.
	Log io.Writer
}

// Container is one running service as seen from the host.
type Container struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// Endpoints is everything a spec needs to reach the stack. It is plain data
// so the first suite process can hand it to the others.
type Endpoints struct {
	Run         string      `json:"run"`
	NATS        string      `json:"nats"`
	NATSMonitor string      `json:"nats_monitor"`
	Postgres    string      `json:"postgres"`
	Notify      []string    `json:"notify"` // one base URL per replica
	NginxHTTP   string      `json:"nginx_http"`
	NginxHTTPS  string      `json:"nginx_https"`
	CACert      []byte      `json:"ca_cert"`
	SigningKey  []byte      `json:"signing_key"`
	Containers  []Container `json:"containers"`
	Network     string      `json:"network"`
}

// Stack is a running stack, owned by the process that started it.
type Stack struct {
	Endpoints
	opts       Options
	mu         sync.Mutex
	containers []testcontainers.Container
	network    *testcontainers.DockerNetwork
}

func init() {
	// testcontainers logs every step to stderr; the suite reports its own
	// progress and keeps a green run quiet.
	tclog.SetDefault(tclog.NewNoopLogger())
	// The reaper's image cannot be pulled here (the suite reaps by label
	// instead), and without the override testcontainers may dial an address
	// outside this machine. Set before testcontainers reads its settings, so
	// a plain `go test ./e2e` works as `make e2e` does.
	for k, v := range map[string]string{
		"TESTCONTAINERS_RYUK_DISABLED": "true",
		"TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1",
	} {
		if _, set := os.LookupEnv(k); !set {
			os.Setenv(k, v)
		}
	}
}

// Start brings the stack up. On error, whatever was started is removed
// before Start returns.
func Start(ctx context.Context, o Options) (s *Stack, err error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Replicas < 1 {
		o.Replicas = 1
	}
	run := newRunID()
	st := &Stack{opts: o}
	st.Run = run
	defer func() {
		if err != nil {
			// A kept stack's files stay: `notifyctl up` points at the log
			// it wrote into Dir.
			terr := st.terminate(context.WithoutCancel(ctx), !o.Keep)
			err = errors.Join(err, terr)
			s = nil
		}
	}()
	s = st
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}

	signer, err := token.NewSigner()
	if err != nil {
		return nil, err
	}
	s.SigningKey = signer.PrivatePEM()
	tls, err := certs.New([]string{"localhost", "nginx"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	s.CACert = tls.CACert
	conf, err := notifyConfig(o.Root, signer.PublicPEM(), timeouts.Heartbeat)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"notify.yml": conf, "tls.crt": tls.ServerCert, "tls.key": tls.ServerKey,
		"ca.crt": tls.CACert,
		// The run id lets make clean tell a left-over directory from a live one.
		RunFile: fmt.Appendf(nil, "%s\n%d\n", run, os.Getpid()),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(o.Dir, name), b, 0o644); err != nil {
			return nil, err
		}
	}

	fmt.Fprintf(o.Log, "stack %s: creating network\n", run)
	nw, err := network.New(ctx, network.WithLabels(labels(run, o.Keep)))
	if nw != nil {
		s.network = nw
		s.Network = nw.Name
	}
	if err != nil {
		return nil, fmt.Errorf("create network: %w", err)
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.startNATS(gctx) })
	g.Go(func() error { return s.startPostgres(gctx) })
	if err := g.Wait(); err != nil {
		return nil, err
	}

	g, gctx = errgroup.WithContext(ctx)
	urls := make([]string, o.Replicas)
	for i := range o.Replicas {
		g.Go(func() (err error) {
			urls[i], err = s.startNotify(gctx, i)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	s.Notify = urls

	// nginx resolves notify-server when it starts, so it starts last.
	if err := s.startNginx(ctx); err != nil {
		return nil, fmt.Errorf("nginx did not start with the configuration under test "+
			"(%s): %w", o.NginxConf, err)
	}
	return s, nil
}

// service is what differs between the containers of the stack.
type service struct {
	name    string
	image   string
	ports   []string
	aliases []string
	env     map[string]string
	binds   []string
	wait    wait.Strategy
}

func (s *Stack) start(ctx context.Context, sv service) (testcontainers.Container, error) {
	o := s.opts
	start := time.Now()
	req := testcontainers.ContainerRequest{
		Image:        sv.image,
		ExposedPorts: sv.ports,
		Env:          sv.env,
		Labels:       labels(s.Run, o.Keep),
		Networks:     []string{s.network.Name},
		NetworkAliases: map[string][]string{
			s.network.Name: sv.aliases,
		},
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.Binds = sv.binds
			// Publish on loopback only: nothing outside this machine may
			// reach the stack.
			hc.PortBindings = dnetwork.PortMap{}
			for _, p := range sv.ports {
				port := dnetwork.MustParsePort(p)
				hc.PortBindings[port] = []dnetwork.PortBinding{
					{HostIP: netip.MustParseAddr("127.0.0.1")},
				}
			}
		},
		WaitingFor: sv.wait,
		LogConsumerCfg: &testcontainers.LogConsumerConfig{
			Consumers: []testcontainers.LogConsumer{&prefixed{w: o.Log, name: sv.name}},
		},
	}
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: req, Started: true,
	})
	// Register the container before looking at the error: a container that
	// failed its readiness check exists and must be removed too.
	if c != nil {
		s.mu.Lock()
		s.containers = append(s.containers, c)
		s.Containers = append(s.Containers, Container{Name: sv.name, ID: c.GetContainerID()})
		s.mu.Unlock()
	}
	if err != nil {
		return nil, fmt.Errorf("start %s (%s): %w%s", sv.name, sv.image, err, s.tail(ctx, c))
	}
	fmt.Fprintf(o.Log, "stack %s: %s ready in %v\n", s.Run, sv.name,
		time.Since(start).Round(time.Millisecond))
	return c, nil
}

// tail returns the last lines a failed container wrote, so the error says
// why it did not become ready.
func (s *Stack) tail(ctx context.Context, c testcontainers.Container) string {
	if c == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeouts.LogFetch)
	defer cancel()
	rc, err := c.Logs(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return "\n--- last output of the container ---\n" + string(lastBytes(b))
}

func (s *Stack) startNATS(ctx context.Context) error {
	c, err := s.start(ctx, service{
		name: "nats", image: s.opts.Images.NATS, aliases: []string{"nats"},
		ports: []string{"4222/tcp", "8222/tcp"},
		wait: wait.ForAll(
			wait.ForLog("Server is ready"),
			wait.ForHTTP("/healthz").WithPort("8222/tcp"),
		).WithDeadline(timeouts.ContainerReady),
	})
	if err != nil {
		return err
	}
	if s.NATS, err = c.PortEndpoint(ctx, "4222/tcp", "nats"); err != nil {
		return err
	}
	s.NATSMonitor, err = c.PortEndpoint(ctx, "8222/tcp", "http")
	return err
}

// Schema is the membership table of contract.md section 2.
const Schema = `CREATE TABLE IF NOT EXISTS chat_members (
	chat_id   BIGINT NOT NULL,
	user_id   BIGINT NOT NULL,
	joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
	left_at   TIMESTAMPTZ NULL
);
CREATE INDEX IF NOT EXISTS chat_members_chat ON chat_members (chat_id);
CREATE INDEX IF NOT EXISTS chat_members_user ON chat_members (user_id);`

func (s *Stack) startPostgres(ctx context.Context) error {
	c, err := s.start(ctx, service{
		name: "postgres", image: s.opts.Images.Postgres, aliases: []string{"postgres"},
		ports: []string{"5432/tcp"},
		wait: wait.ForLog("database system is ready to accept connections").
			WithStartupTimeout(timeouts.ContainerReady),
	})
	if err != nil {
		return err
	}
	hp, err := c.PortEndpoint(ctx, "5432/tcp", "")
	if err != nil {
		return err
	}
	s.Postgres = "postgres://postgres@" + hp + "/postgres?sslmode=disable"
	return retryConnect(ctx, timeouts.ContainerReady, postgresRetry,
		func(ctx context.Context) error { return createSchema(ctx, s.Postgres) })
}

// postgresRetry is how often the schema step tries again while PostgreSQL
// refuses connections: the final server follows the temporary one within
// a second or so, and each try costs one refused TCP connection.
const postgresRetry = 100 * time.Millisecond

// retryConnect calls try until it succeeds, fails with something other
// than a connection error, or bound has passed. The official image logs
// "ready to accept connections" first for a temporary server that runs the
// init scripts on a socket only, so the log wait can pass before TCP
// connections are accepted.
func retryConnect(ctx context.Context, bound, every time.Duration,
	try func(context.Context) error,
) error {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	tick := time.NewTicker(every)
	defer tick.Stop()
	start := time.Now()
	for tries := 1; ; tries++ {
		err := try(ctx)
		var cerr *pgconn.ConnectError
		if err == nil || !errors.As(err, &cerr) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no connection after %d tries in %v (bound %v): %w",
				tries, time.Since(start).Round(time.Millisecond), bound, err)
		case <-tick.C:
		}
	}
}

// createSchema connects once and creates the membership table.
func createSchema(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to postgres at %s: %w", url, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, Schema); err != nil {
		return fmt.Errorf("create chat_members: %w", err)
	}
	return nil
}

func (s *Stack) startNotify(ctx context.Context, replica int) (string, error) {
	env := map[string]string{
		"NOTIFY_CONFIG": "/app/config/notify.yml",
		"NATS_URL":      "nats://nats:4222",
		"DATABASE_URL":  "postgres://postgres@postgres:5432/postgres?sslmode=disable",
		"NOTIFY_PORT":   "6687",
	}
	for k, v := range s.opts.NotifyEnv {
		env[k] = v
	}
	c, err := s.start(ctx, service{
		name:    fmt.Sprintf("notify-server-%d", replica),
		image:   s.opts.Images.Notify,
		aliases: []string{"notify-server"},
		ports:   []string{"6687/tcp"},
		env:     env,
		binds:   []string{filepath.Join(s.opts.Dir, "notify.yml") + ":/app/config/notify.yml:ro"},
		// Only the HTTP check: a port wait passes on a FROM scratch image
		// before the program listens, and /health is 200 only once the
		// subscriptions are flushed and the database answers.
		wait: wait.ForHTTP("/health").WithPort("6687/tcp").
			WithStartupTimeout(timeouts.ContainerReady),
	})
	if err != nil {
		return "", err
	}
	return c.PortEndpoint(ctx, "6687/tcp", "http")
}

func (s *Stack) startNginx(ctx context.Context) error {
	dir := s.opts.Dir
	c, err := s.start(ctx, service{
		name: "nginx", image: s.opts.Images.Nginx, aliases: []string{"nginx"},
		ports: []string{"8080/tcp", "8443/tcp"},
		binds: []string{
			s.opts.NginxConf + ":/etc/nginx/nginx.conf:ro",
			filepath.Join(dir, "tls.crt") + ":/etc/nginx/tls/tls.crt:ro",
			filepath.Join(dir, "tls.key") + ":/etc/nginx/tls/tls.key:ro",
		},
		// A 401 from /events proves nginx listens and reaches notify-server.
		wait: wait.ForHTTP("/events").WithPort("8080/tcp").
			WithStatusCodeMatcher(func(code int) bool { return code == 401 }).
			WithStartupTimeout(timeouts.ContainerReady),
	})
	if err != nil {
		return err
	}
	if s.NginxHTTP, err = c.PortEndpoint(ctx, "8080/tcp", "http"); err != nil {
		return err
	}
	s.NginxHTTPS, err = c.PortEndpoint(ctx, "8443/tcp", "https")
	return err
}

// Terminate removes every container, the network and the run's files. A
// stack that is kept is simply never terminated, so Keep does not matter
// here. It is safe to call more than once.
func (s *Stack) Terminate(ctx context.Context) error {
	return s.terminate(ctx, true)
}

// terminate removes the containers and the network, and Dir when removeDir
// is set, all within timeouts.Teardown.
func (s *Stack) terminate(ctx context.Context, removeDir bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeouts.Teardown)
	defer cancel()
	s.mu.Lock()
	cs, nw := s.containers, s.network
	s.containers, s.network = nil, nil
	s.mu.Unlock()

	var errs []error
	var wg sync.WaitGroup
	var emu sync.Mutex
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := terminateContainer(ctx, c); err != nil {
				emu.Lock()
				errs = append(errs, err)
				emu.Unlock()
			}
		}()
	}
	wg.Wait()
	if nw != nil {
		if err := nw.Remove(ctx); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", nw.Name, err))
		}
	}
	if removeDir && s.opts.Dir != "" {
		errs = append(errs, os.RemoveAll(s.opts.Dir))
	}
	return errors.Join(errs...)
}

// terminateContainer stops and removes c within ctx. It calls the
// container's Terminate rather than testcontainers.TerminateContainer: that
// one hands ctx (StopContext) to the stop alone and removes the container
// with context.Background(), so a hung engine would outlive Teardown.
func terminateContainer(ctx context.Context, c testcontainers.Container) error {
	err := c.Terminate(ctx, testcontainers.StopTimeout(0))
	// Already gone (removed by `notifyctl down` or a reap, say) is the goal.
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("terminate container %s: %w", c.GetContainerID(), err)
}

// ContainerLogs returns a container's output so far, stdout and stderr
// merged, each line stamped by the engine. It needs only the container's id,
// so any suite process can collect evidence.
func ContainerLogs(ctx context.Context, id string) ([]byte, error) {
	cli, err := dockerClient(ctx)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	rc, err := cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{
		ShowStdout: true, ShowStderr: true, Timestamps: true,
	})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, rc); err != nil {
		return out.Bytes(), err
	}
	return out.Bytes(), nil
}

func newRunID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// prefixed copies a container's output line by line with its name in front.
type prefixed struct {
	mu   sync.Mutex
	w    io.Writer
	name string
}

func (p *prefixed) Accept(l testcontainers.Log) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := l.Content
	if len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	fmt.Fprintf(p.w, "[%s] %s\n", p.name, b)
}

// Exec runs cmd inside a container and returns its output, stdout and stderr
// merged (nginx -T for the evidence of a failed spec, for example).
func Exec(ctx context.Context, id string, cmd ...string) ([]byte, error) {
	cli, err := dockerClient(ctx)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	ex, err := cli.ExecCreate(ctx, id, client.ExecCreateOptions{
		AttachStdout: true, AttachStderr: true, Cmd: cmd,
	})
	if err != nil {
		return nil, err
	}
	att, err := cli.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		return nil, err
	}
	defer att.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, att.Reader); err != nil {
		return out.Bytes(), err
	}
	// The engine records the exit code before it closes the output, so it
	// is final once the copy above has ended. Without this check a command
	// that failed (nginx -T on a broken configuration) would pass for one
	// that printed its result.
	ins, err := cli.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
	if err != nil {
		return out.Bytes(), fmt.Errorf("inspect %q in container %s: %w", cmd, id, err)
	}
	if ins.ExitCode != 0 {
		return out.Bytes(), fmt.Errorf("%q in container %s exited with code %d; "+
			"last output:\n%s", cmd, id, ins.ExitCode, lastBytes(out.Bytes()))
	}
	return out.Bytes(), nil
}

// tailBytes is how much of a container's or command's output an error
// quotes: enough for the last few log lines that say why, short enough to
// keep a failure message readable.
const tailBytes = 2000

// lastBytes returns the end of b that an error message quotes.
func lastBytes(b []byte) []byte {
	if len(b) > tailBytes {
		return b[len(b)-tailBytes:]
	}
	return b
}
