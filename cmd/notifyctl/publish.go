package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fechatter/notify-e2e/internal/bus"
	"github.com/fechatter/notify-e2e/internal/fixtures"
	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/members"
	"github.com/fechatter/notify-e2e/internal/project"
	"github.com/fechatter/notify-e2e/internal/timeouts"
)

const publishUsage = `usage:
  notifyctl publish <Variant> --chat N ... (the body's fields as flags)
  notifyctl publish --fixture <Variant> [--set role=id,...]
  notifyctl publish --subject S --body JSON   (published as given, for bad input)

Variants: %s.
`

// publish plays the chat server: one RealtimeEvent on NATS, flushed, with a
// tap on fechatter.realtime.> subscribed first, so the output says whether
// the event got as far as NATS (hops 1 and 2 of contract.md section 8).
func publish(ctx context.Context, args []string) error {
	var ev eventFlags
	var fixture, rawSubject, rawBody string
	var sets stringList
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), publishUsage, variantList())
		fs.PrintDefaults()
	}
	ev.register(fs)
	fs.StringVar(&fixture, "fixture", "", "publish fixtures/<Variant>.yaml's body")
	fs.Var(&sets, "set", "with --fixture: role=id for a placeholder, e.g. sender=1,alice=2;\n"+
		"the others get fresh ids")
	fs.StringVar(&rawSubject, "subject", "", "with --body: the subject, as given")
	fs.StringVar(&rawBody, "body", "", "with --subject: the body, as given")

	// The variant comes first by habit (publish MessageRead --chat 2), which
	// the flag package would take for the end of the flags.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags take one value each)", fs.Args())
	}
	ev.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { ev.set[f.Name] = true })
	for _, own := range []string{"fixture", "set", "subject", "body"} {
		delete(ev.set, own)
	}

	st, err := loadState()
	if err != nil {
		return err
	}
	var subject string
	var body []byte
	switch {
	case rawSubject != "" || rawBody != "":
		if rawSubject == "" || rawBody == "" || name != "" || fixture != "" ||
			len(ev.set) > 0 {
			return errors.New("--subject and --body go together, and with nothing else")
		}
		subject, body = rawSubject, []byte(rawBody)
	case fixture != "":
		if name != "" || len(ev.set) > 0 {
			return errors.New("--fixture takes its body from the fixture: give only --set")
		}
		subject, body, err = fixtureEvent(ctx, st, fixture, sets)
	case name == "":
		fs.Usage()
		return errors.New("which variant?")
	default:
		if len(sets) > 0 {
			return errors.New("--set goes with --fixture")
		}
		if name, err = variantNamed(name); err != nil {
			return err
		}
		subject, body, err = buildEvent(name, ev, time.Now(), freshIDs())
	}
	if err != nil {
		return err
	}
	return publishWatched(ctx, st, subject, body)
}

func publishWatched(ctx context.Context, st upState, subject string, body []byte) error {
	fmt.Printf("subject  %s\nbody     %s\n", subject, body)
	tap, err := bus.NewTap(st.NATS)
	if err != nil {
		return err
	}
	defer tap.Close()
	pub, err := bus.Connect(st.NATS)
	if err != nil {
		return err
	}
	defer pub.Close()

	start := time.Now()
	obs := hop.Observation{PublishErr: pub.Publish(ctx, subject, body)}
	if obs.PublishErr == nil {
		tctx, cancel := context.WithTimeout(ctx, timeouts.Delivery)
		var m bus.Message
		m, obs.TapSaw = tap.WaitFor(tctx, subject, body)
		cancel()
		if obs.TapSaw {
			fmt.Printf("published and flushed; the NATS tap on %s saw it after %v\n",
				bus.TapSubject, m.At.Sub(start).Round(time.Microsecond))
			return nil
		}
	}
	v := hop.Judge(obs, timeouts.Streaming)
	if !strings.HasPrefix(subject, "fechatter.realtime.") {
		return fmt.Errorf("%v (waited %v; %s is outside the tap's %s)", v,
			timeouts.Delivery, subject, bus.TapSubject)
	}
	return fmt.Errorf("%v (waited %v)", v, timeouts.Delivery)
}

// fixtureEvent binds fixtures/<name>.yaml with the ids given by --set and
// fresh ones for the rest, seeds the fixture's membership with those ids,
// and prints what each user should receive, so tailing those users shows
// the fixture's story.
func fixtureEvent(ctx context.Context, st upState, name string, sets []string,
) (string, []byte, error) {
	root, err := project.Root()
	if err != nil {
		return "", nil, err
	}
	all, err := fixtures.Load(filepath.Join(root, "fixtures"))
	if err != nil {
		return "", nil, err
	}
	i := slices.IndexFunc(all, func(f fixtures.Fixture) bool {
		return strings.EqualFold(f.Variant, name)
	})
	if i < 0 {
		return "", nil, fmt.Errorf("no fixture for %q in %s", name,
			filepath.Join(root, "fixtures"))
	}
	f := all[i]
	ids, err := fixtureIDs(f.Placeholders(), sets, freshIDs())
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", f.File, err)
	}
	b, err := f.Bind(ids)
	if err != nil {
		return "", nil, err
	}

	m, err := members.Open(ctx, st.Postgres)
	if err != nil {
		return "", nil, err
	}
	defer m.Close()
	for chat, roles := range f.Members {
		if err := m.Join(ctx, ids[chat], roleIDs(ids, roles)...); err != nil {
			return "", nil, err
		}
	}
	for chat, roles := range f.Left {
		if err := m.Join(ctx, ids[chat], roleIDs(ids, roles)...); err != nil {
			return "", nil, err
		}
		if err := m.Leave(ctx, ids[chat], roleIDs(ids, roles)...); err != nil {
			return "", nil, err
		}
	}

	fmt.Printf("fixture  %s\n", f.File)
	for _, role := range f.Users {
		ws := int64(1)
		if w, ok := f.Workspaces[role]; ok {
			ws = w
		}
		var evs []string
		for _, e := range b.Expect[ids[role]] {
			evs = append(evs, e.Event)
		}
		want := "nothing"
		if len(evs) > 0 {
			want = strings.Join(evs, ", then ")
		}
		fmt.Printf("  user %-10d %-9s workspace %d  %s%s\n", ids[role], role, ws, want,
			membership(f, role, ids))
	}
	return b.Subject, b.Body, nil
}

// membership says which of the fixture's chats a role was seeded into.
func membership(f fixtures.Fixture, role string, ids map[string]int64) string {
	var out []string
	for chat, roles := range f.Members {
		if slices.Contains(roles, role) {
			out = append(out, fmt.Sprintf("member of chat %d", ids[chat]))
		}
	}
	for chat, roles := range f.Left {
		if slices.Contains(roles, role) {
			out = append(out, fmt.Sprintf("left chat %d", ids[chat]))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "  (" + strings.Join(out, ", ") + ")"
}

// fixtureIDs gives every placeholder an id: the one --set names, or a
// fresh one.
func fixtureIDs(placeholders, sets []string, fresh func() int64) (map[string]int64, error) {
	ids := map[string]int64{}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("--set %q: want role=id", s)
		}
		if !slices.Contains(placeholders, k) {
			return nil, fmt.Errorf("--set %q: no placeholder %q; the fixture has %s", s, k,
				strings.Join(placeholders, ", "))
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--set %q: %q is not an id", s, v)
		}
		ids[k] = id
	}
	for _, p := range placeholders {
		if _, ok := ids[p]; !ok {
			ids[p] = fresh()
		}
	}
	return ids, nil
}

func roleIDs(ids map[string]int64, roles []string) []int64 {
	out := make([]int64, len(roles))
	for i, r := range roles {
		out[i] = ids[r]
	}
	return out
}

// freshIDs hands out ids no earlier invocation used: they start from the
// clock, a hundred apart per second, far above the seeded users 1 to 4.
// Two invocations within one second can meet; ids are printed, so a
// collision shows.
func freshIDs() func() int64 {
	next := time.Now().Unix() % 10_000_000 * 100
	return func() int64 {
		next++
		return next
	}
}
