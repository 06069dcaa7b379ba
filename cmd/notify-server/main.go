// Command notify-server is the reference notify-server: it subscribes to the chat
// server's RealtimeEvents on NATS and streams them to browsers as Server-Sent Events.
//
// Environment: NOTIFY_CONFIG (path of notify.yml), NATS_URL, DATABASE_URL and
// NOTIFY_PORT (override the file), NOTIFY_FAULT (comma-separated fault switches that
// break the server on purpose, for the suite's self-check).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fechatter/notify-e2e/internal/notify/auth"
	"github.com/fechatter/notify-e2e/internal/notify/config"
	"github.com/fechatter/notify-e2e/internal/notify/fault"
	"github.com/fechatter/notify-e2e/internal/notify/hub"
	"github.com/fechatter/notify-e2e/internal/notify/route"
	"github.com/fechatter/notify-e2e/internal/notify/server"
)

const (
	// startupWait bounds how long NATS and PostgreSQL may take to come up, since the
	// containers of the stack start in any order.
	startupWait = 60 * time.Second
	// queryTimeout bounds one membership query.
	queryTimeout = 3 * time.Second
	// shutdownWait bounds draining NATS and closing connections at SIGTERM.
	shutdownWait = 5 * time.Second
	// sweepEvery is how often expired replay frames are freed.
	sweepEvery = 30 * time.Second
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if err := run(log); err != nil {
		log.Error("notify-server stopped", "error", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	faults, err := fault.Parse(os.Getenv("NOTIFY_FAULT"))
	if err != nil {
		return err
	}
	for _, n := range faults.Names() {
		log.Warn("FAULT INJECTED", "fault", n,
			"note", "this notify-server is broken on purpose")
	}

	path := os.Getenv("NOTIFY_CONFIG")
	if path == "" {
		path = config.DefaultPath
	}
	cfg, err := config.Load(path, os.Getenv)
	if err != nil {
		return err
	}
	pk, err := auth.ParsePublicKeyPEM(cfg.PublicKeyPEM)
	if err != nil {
		return fmt.Errorf("config %s: auth.pk: %w", path, err)
	}
	subjects := cfg.Subjects
	if faults.On(fault.WildcardTooShallow) {
		subjects = shallow(subjects)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	startup, cancel := context.WithTimeout(ctx, startupWait)
	defer cancel()
	pool, err := pgxpool.New(startup, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("database url: %w", err)
	}
	defer pool.Close()
	nc, err := server.ConnectNATS(startup, cfg.NATSURL, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	queue := ""
	if faults.On(fault.QueueGroup) {
		queue = server.QueueGroup
	}
	sub, err := server.Subscribe(nc, subjects, queue, log)
	if err != nil {
		return err
	}
	if err := waitForDatabase(startup, pool, log); err != nil {
		return err
	}

	closing := make(chan struct{})
	srv := &server.Server{
		Hub: hub.New(hub.Options{
			// Seeding ids with the start time keeps them rising across restarts.
			StartID:           uint64(time.Now().UnixMicro()),
			Log:               log,
			DuplicateFirstTab: faults.On(fault.DuplicatePerTab),
		}),
		Router: route.Router{
			Members:      route.PostgresMembership{Pool: pool, Timeout: queryTimeout},
			RawData:      faults.On(fault.UnsplitData),
			TypeTagged:   faults.On(fault.WrongShape),
			GenericNames: faults.On(fault.GenericNames),
		},
		PublicKey: pk,
		Heartbeat: cfg.HeartbeatEach,
		Faults:    faults,
		Log:       log,
		Closing:   closing,
		Health: func(ctx context.Context) error {
			if err := sub.Check(); err != nil {
				return err
			}
			if err := pool.Ping(ctx); err != nil {
				return fmt.Errorf("database: %w", err)
			}
			return nil
		},
	}
	go srv.Consume(ctx, sub.Inbox)
	go sweep(ctx, srv.Hub)

	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return err
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// No WriteTimeout: a stream is one response that lasts as long as the tab.
	}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	log.Info("ready", "port", cfg.Port, "subjects", subjects, "queue_group", queue,
		"heartbeat_ms", cfg.HeartbeatEach.Milliseconds(), "faults", faults.Names())

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "cause", "signal")
	close(closing)
	sub.Close()
	done, cancelDone := context.WithTimeout(context.Background(), shutdownWait)
	defer cancelDone()
	if err := httpSrv.Shutdown(done); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown incomplete", "error", err.Error())
	}
	if err := nc.Drain(); err != nil {
		log.Warn("nats drain failed", "error", err.Error())
	}
	log.Info("stopped")
	return nil
}

// waitForDatabase pings until PostgreSQL answers or ctx ends.
func waitForDatabase(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	for attempt := 1; ; attempt++ {
		ping, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := pool.Ping(ping)
		cancel()
		if err == nil {
			log.Info("database answered", "attempt", attempt)
			return nil
		}
		log.Info("database not reachable yet", "attempt", attempt, "error", err.Error())
		select {
		case <-ctx.Done():
			return fmt.Errorf("ping database: %w (gave up: %v)", err, context.Cause(ctx))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func sweep(ctx context.Context, h *hub.Hub) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.Sweep()
		}
	}
}

// shallow turns a trailing ">" into "*", which matches one token instead of one or more.
func shallow(subjects []string) []string {
	out := make([]string, len(subjects))
	for i, s := range subjects {
		if strings.HasSuffix(s, ">") {
			s = strings.TrimSuffix(s, ">") + "*"
		}
		out[i] = s
	}
	return out
}
