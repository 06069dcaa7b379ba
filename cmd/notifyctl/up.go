package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fechatter/notify-e2e/internal/members"
	"github.com/fechatter/notify-e2e/internal/settings"
	"github.com/fechatter/notify-e2e/internal/stack"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// upChats is the membership `make up` seeds, so a first publish has
// somebody to reach: user 2 shares both chats, which makes presence and
// "member of one chat, not the other" visible without seeding more.
var upChats = []struct {
	chat  int64
	users []int64
}{
	{1, []int64{1, 2, 3}},
	{2, []int64{2, 4}},
}

// up starts the stack the suite starts and leaves it running.
func up(ctx context.Context, _ []string) error {
	root, set, err := settings.Load()
	if err != nil {
		return err
	}
	path, err := statePath(root)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := stack.CheckDocker(ctx); err != nil {
		return err
	}
	if old, err := loadState(); err == nil {
		total, running, err := stack.RunState(ctx, old.Run)
		if err != nil {
			return err
		}
		if running > 0 && running < total {
			return fmt.Errorf("the stack from an earlier `make up` (run %s) is partly down: "+
				"%d of %d containers run; see `docker ps -a`, then `make down` and "+
				"`make up` again", old.Run, running, total)
		}
		if running > 0 {
			fmt.Printf("A stack from an earlier `make up` is still up (run %s, started %s);\n"+
				"reusing it. Run `make down` first for a fresh one.\n",
				old.Run, old.Started.Local().Format(time.DateTime))
			return printUp(os.Stdout, old)
		}
		// Its containers are gone (make clean, an engine restart): start afresh.
		if _, err := stack.RemoveRun(ctx, old.Run); err != nil {
			return err
		}
	} else if !errors.Is(err, errNoStack) {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if n, err := stack.Reap(ctx, false); err != nil || n > 0 {
		fmt.Fprintf(os.Stderr, "removed %d leftovers of earlier runs (errors: %v)\n", n, err)
	}

	fmt.Fprintln(os.Stderr, "checking the images (the missing ones are built)")
	imgs, err := stack.ResolveImages(ctx, set, os.Stderr)
	if err != nil {
		return err
	}
	// The containers' output would drown the summary; it goes to a file,
	// and `docker logs` shows it live.
	logPath := filepath.Join(dir, "stack.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	fmt.Fprintf(os.Stderr, "starting NATS, PostgreSQL, notify-server and nginx (log: %s)\n",
		logPath)
	sctx, cancel := context.WithTimeout(ctx, timeouts.StackStart)
	defer cancel()
	opts := stack.OptionsFor(root, set, imgs, dir, logFile)
	opts.Keep = true // make up's stack outlives the command
	s, err := stack.Start(sctx, opts)
	if err != nil {
		return fmt.Errorf("%w\n(the containers were removed; their output is in %s)",
			err, logPath)
	}
	st := upState{Endpoints: s.Endpoints, Dir: dir, Started: time.Now()}

	if err := seedUp(ctx, st.Postgres); err != nil {
		_, rerr := stack.RemoveRun(context.WithoutCancel(ctx), st.Run)
		return errors.Join(err, rerr)
	}
	if err := saveState(path, st); err != nil {
		_, rerr := stack.RemoveRun(context.WithoutCancel(ctx), st.Run)
		return errors.Join(err, rerr)
	}
	return printUp(os.Stdout, st)
}

func seedUp(ctx context.Context, postgres string) error {
	m, err := members.Open(ctx, postgres)
	if err != nil {
		return err
	}
	defer m.Close()
	for _, c := range upChats {
		if err := m.Join(ctx, c.chat, c.users...); err != nil {
			return err
		}
	}
	return nil
}

func printUp(w io.Writer, s upState) error {
	signer, err := token.SignerFromPEM(s.SigningKey)
	if err != nil {
		return fmt.Errorf("the state file's signing key: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nThe stack is up (run %s). It stays up until `make down`.\n\n", s.Run)
	fmt.Fprintf(&b, "  nginx           %s  %s  (stream: /events?access_token=…)\n",
		s.NginxHTTP, s.NginxHTTPS)
	for i, u := range s.Notify {
		fmt.Fprintf(&b, "  notify-server   %s  (replica %d, straight, no nginx)\n", u, i)
	}
	fmt.Fprintf(&b, "  NATS            %s  (monitoring %s)\n", s.NATS, s.NATSMonitor)
	fmt.Fprintf(&b, "  PostgreSQL      %s\n", s.Postgres)
	fmt.Fprintf(&b, "  CA file         %s  (for https)\n", s.CAFile())
	fmt.Fprintf(&b, "  state file      %s\n", filepath.Join(s.Dir, "stack.json"))
	for _, c := range s.Containers {
		fmt.Fprintf(&b, "  logs            docker logs -f %.12s   # %s\n", c.ID, c.Name)
	}

	chats := make([]string, len(upChats))
	for i, c := range upChats {
		chats[i] = fmt.Sprintf("chat %d: users %s", c.chat, joinIDs(c.users))
	}
	fmt.Fprintf(&b, "\nSeeded members: %s\n", strings.Join(chats, "; "))
	b.WriteString("\nTokens (workspace 1; they expire, mint a fresh one with " +
		"`bin/notifyctl token --user N`):\n")
	for _, id := range seededUsers() {
		fmt.Fprintf(&b, "  user %d  %s\n", id, signer.Mint(token.NewUser(id, 1)))
	}

	https := strings.TrimPrefix(s.NginxHTTPS, "https://")
	fmt.Fprintf(&b, `
Try, each in its own terminal:
  bin/notifyctl tail --user 1
  bin/notifyctl tail --user 2 --tls
  bin/notifyctl publish MessageReceived --chat 1 --sender 1 --recipients 1,2,3 --content hi
  bin/notifyctl publish MessageRead --chat 1 --message 17 --reader 2
  bin/notifyctl publish --fixture MessageReceived --set sender=1,alice=2,bob=3
  bin/notifyctl seed --chat 2 --users 1,3
  curl -N --cacert %s "https://%s/events?access_token=$(bin/notifyctl token --user 1)"

Stop it with: make down
`, s.CAFile(), https)
	_, err = io.WriteString(w, b.String())
	return err
}

// seededUsers lists every user upChats mentions, once, in order.
func seededUsers() []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, c := range upChats {
		for _, u := range c.users {
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}

// down removes what up started: the containers and network of its run
// only, then its files.
func down(ctx context.Context, _ []string) error {
	st, err := loadState()
	if errors.Is(err, errNoStack) {
		fmt.Printf("%v\n(`make clean` removes what any run left behind.)\n",
			strings.TrimSuffix(err.Error(), ": start one with `make up`"))
		return nil
	}
	if err != nil {
		return err
	}
	if st.Compose {
		return fmt.Errorf("%s belongs to the docker compose stack; stop it with "+
			"`docker-compose -f compose/docker-compose.yml down`", os.Getenv(stateEnv))
	}
	n, err := stack.RemoveRun(ctx, st.Run)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(st.Dir); err != nil {
		return err
	}
	fmt.Printf("removed run %s: %d containers and networks, and %s\n", st.Run, n, st.Dir)
	return nil
}
