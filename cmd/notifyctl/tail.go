package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fechatter/notify-e2e/internal/bus"
	"github.com/fechatter/notify-e2e/internal/certs"
	"github.com/fechatter/notify-e2e/internal/framing"
	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/sseclient"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// route is one way to reach notify-server's /events.
type route struct {
	name, base string
	tls        bool
}

// tail follows one user's stream and prints every event as it arrives.
// With --expect it is a check: it ends as soon as the expected events are
// in, or, when one is missing at the deadline, says at which hop it was
// lost, for which it follows the user's stream on the other side of nginx
// too, and NATS.
func tail(ctx context.Context, args []string) error {
	var user, workspace int64
	var viaDirect, viaTLS, verbose bool
	var replica int
	var expect stringList
	var within time.Duration
	var lastID string
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	fs.Int64Var(&user, "user", 0, "whose stream")
	fs.Int64Var(&workspace, "workspace", 1, "the user's workspace_id in the token")
	fs.BoolVar(&viaDirect, "direct", false, "straight to notify-server, bypassing nginx")
	fs.BoolVar(&viaTLS, "tls", false, "through nginx over https (default: http)")
	fs.IntVar(&replica, "replica", 0, "with --direct: which notify-server replica")
	fs.Var(&expect, "expect", "SSE event names that must arrive, e.g. NewMessage,MessageReceived")
	fs.DurationVar(&within, "within", timeouts.Delivery, "with --expect: how long to wait")
	fs.StringVar(&lastID, "last-event-id", "", "send Last-Event-ID, as a reconnecting browser")
	fs.BoolVar(&verbose, "v", false, "print comments (heartbeats) and retry fields too")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if user == 0 || fs.NArg() > 0 || (viaDirect && viaTLS) {
		return errors.New("usage: notifyctl tail --user N [--direct|--tls] " +
			"[--expect A,B --within 5s] [-v]")
	}
	st, err := loadState()
	if err != nil {
		return err
	}
	if replica < 0 || replica >= len(st.Notify) {
		return fmt.Errorf("--replica %d: the stack runs %d replicas", replica, len(st.Notify))
	}
	signer, err := token.SignerFromPEM(st.SigningKey)
	if err != nil {
		return fmt.Errorf("the state file's signing key: %w", err)
	}
	tlsConf, err := certs.ClientConfig(st.CACert)
	if err != nil {
		return err
	}
	proxied := route{"nginx/http", st.NginxHTTP, false}
	if viaTLS {
		proxied = route{"nginx/tls", st.NginxHTTPS, true}
	}
	direct := route{"direct", st.Notify[replica], false}
	followed := proxied
	if viaDirect {
		followed = direct
	}
	tok := signer.Mint(token.NewUser(user, workspace))
	open := func(r route) (*sseclient.Stream, error) {
		o := sseclient.Options{
			Label: fmt.Sprintf("user %d via %s", user, r.name),
			Base:  r.base, Token: tok, LastEventID: lastID,
		}
		if r.tls {
			o.TLS = tlsConf
		}
		cctx, cancel := context.WithTimeout(ctx, timeouts.Connect)
		defer cancel()
		return sseclient.Open(cctx, o)
	}

	start := time.Now()
	main, err := open(followed)
	if err != nil {
		return err
	}
	defer main.Close()

	// The observers a verdict needs, opened before the deadline starts.
	var judge *verdictInputs
	var deadline <-chan time.Time
	if len(expect) > 0 {
		judge = &verdictInputs{user: user}
		if judge.tap, err = bus.NewTap(st.NATS); err != nil {
			return err
		}
		defer judge.tap.Close()
		other := direct
		if viaDirect {
			other = proxied
		}
		second, err := open(other)
		if err != nil {
			return fmt.Errorf("open the stream the verdict compares with: %w", err)
		}
		defer second.Close()
		judge.direct, judge.proxied = second, main
		if viaDirect {
			judge.direct, judge.proxied = main, second
		}
		timer := time.NewTimer(within)
		defer timer.Stop()
		deadline = timer.C
	}

	fmt.Printf("tailing user %d via %s (%s); Ctrl-C to stop\n", user, followed.name,
		followed.base)
	p := printer{rec: main.Raw(), start: start, verbose: verbose}
	for {
		updated := main.Raw().Updated()
		p.flush()
		if len(expect) > 0 && missing(expect, main.Raw().Events()) == nil {
			fmt.Printf("every expected event arrived: %s\n", strings.Join(expect, ", "))
			return nil
		}
		if main.Raw().Closed() {
			return fmt.Errorf("the stream ended: %v", main.Raw().Err())
		}
		select {
		case <-updated:
		case <-ctx.Done():
			fmt.Println("stopped")
			return nil
		case <-deadline:
			p.flush()
			v := judge.verdict(expect)
			fmt.Print(judge.tapLog())
			return fmt.Errorf("expected %s within %v at user %d via %s\n%v",
				strings.Join(expect, ", "), within, user, followed.name, v)
		}
	}
}

// printer writes a stream's events, and with verbose its comments, in the
// order they arrived, each once.
type printer struct {
	rec                          *framing.Recorder
	start                        time.Time
	verbose                      bool
	events, comments, violations int
}

func (p *printer) flush() {
	type line struct {
		offset int
		at     time.Time
		text   string
	}
	var lines []line
	evs := p.rec.Events()
	for _, e := range evs[p.events:] {
		text := e.Name
		if e.HasID {
			text += "  id=" + e.ID
		}
		if p.verbose && e.HasRetry {
			text += fmt.Sprintf("  retry=%v", e.Retry)
		}
		lines = append(lines, line{e.Offset, e.At, text + "  " + e.Data})
	}
	p.events = len(evs)
	cs := p.rec.Comments()
	if p.verbose {
		for _, c := range cs[p.comments:] {
			lines = append(lines, line{c.Offset, c.At, ": " + c.Text})
		}
	}
	p.comments = len(cs)
	slices.SortFunc(lines, func(a, b line) int { return a.offset - b.offset })
	for _, l := range lines {
		fmt.Printf("%s %+8.3fs  %s\n", l.at.Format("15:04:05.000"),
			l.at.Sub(p.start).Seconds(), l.text)
	}
	// A framing fault is the kind of bug this tool is for: always shown.
	vs := p.rec.Violations()
	for _, v := range vs[p.violations:] {
		fmt.Printf("framing: a browser reads this differently: %v\n", v)
	}
	p.violations = len(vs)
}

// missing returns the expected names that are not (yet) among evs, each
// counted as often as it is expected.
func missing(want []string, evs []framing.Event) []string {
	rest := slices.Clone(evs)
	var out []string
	for _, w := range want {
		i := slices.IndexFunc(rest, func(e framing.Event) bool { return e.Name == w })
		if i < 0 {
			out = append(out, w)
			continue
		}
		rest = slices.Delete(rest, i, i+1)
	}
	return out
}

// verdictInputs are the observers that place a missing event at a hop.
type verdictInputs struct {
	user            int64
	tap             *bus.Tap
	direct, proxied *sseclient.Stream
}

// verdict fills hop.Judge's observation from names alone, since tail does
// not know what was published: the tap counts as having seen the event if
// it saw anything at all during the wait. That misplaces a loss at NATS when
// something else was published meanwhile; the tap log printed next to the
// verdict shows what it was.
func (j *verdictInputs) verdict(want []string) hop.Verdict {
	direct, proxied := j.direct.Raw().Events(), j.proxied.Raw().Events()
	obs := hop.Observation{
		TapSaw:   len(j.tap.Messages()) > 0,
		Direct:   j.problem(j.direct, want, direct),
		Proxied:  j.problem(j.proxied, want, proxied),
		Stalled:  len(proxied) <= 1 && len(direct) > 1,
		Encoding: j.proxied.Header.Get("Content-Encoding"),
	}
	// How much later than the direct stream each expected event came
	// through nginx, and whether they all came in one read.
	var ats []time.Time
	for _, w := range want {
		d := slices.IndexFunc(direct, func(e framing.Event) bool { return e.Name == w })
		p := slices.IndexFunc(proxied, func(e framing.Event) bool { return e.Name == w })
		if d < 0 || p < 0 {
			continue
		}
		obs.Late = max(obs.Late, proxied[p].At.Sub(direct[d].At))
		ats = append(ats, proxied[p].At)
	}
	obs.Bunched = len(ats) > 1 && !slices.ContainsFunc(ats, func(t time.Time) bool {
		return !t.Equal(ats[0])
	})
	return hop.Judge(obs, timeouts.Streaming)
}

func (j *verdictInputs) problem(s *sseclient.Stream, want []string, evs []framing.Event,
) hop.Problem {
	gone := missing(want, evs)
	if len(gone) == 0 {
		return hop.Problem{}
	}
	var got []string
	for _, e := range evs[1:] { // connection_confirmed is no answer
		got = append(got, "`"+e.Name+"`")
	}
	received := "nothing"
	if len(got) > 0 {
		received = strings.Join(got, ", ")
	}
	return hop.Problemf(hop.Missing, "`%s` never reached %s (received %s)",
		strings.Join(gone, "`, `"), s.Label, received)
}

func (j *verdictInputs) tapLog() string {
	msgs := j.tap.Messages()
	if len(msgs) == 0 {
		return fmt.Sprintf("the NATS tap on %s saw nothing during the wait: "+
			"was anything published?\n", bus.TapSubject)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the NATS tap on %s saw %d messages during the wait:\n",
		bus.TapSubject, len(msgs))
	for _, m := range msgs {
		fmt.Fprintf(&b, "  %s  %s  %s\n", m.At.Format("15:04:05.000"), m.Subject, m.Data)
	}
	return b.String()
}
