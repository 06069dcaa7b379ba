package e2e

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/framing"
	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/sseclient"
	"github.com/fechatter/notify-e2e/internal/timeouts"
)

// sentinel is a MessageUnread for one user in the spec's chat, published
// after the event under test. Events of one chat arrive in publish order,
// so once the sentinel is in, anything the event was going to bring to this
// connection is in too: that is how "nothing" is proven without sleeping.
type sentinel struct {
	chat, user, msg int64
	match           *regexp.Regexp
}

func (w *world) newSentinel(chat, user int64) sentinel {
	msg := w.id()
	return sentinel{
		chat: chat, user: user, msg: msg,
		// Matched on the payload alone, so a server that renames frames or
		// wraps payloads still lets the spec see where the event stream ends.
		match: regexp.MustCompile(`"message_id"\s*:\s*` + strconv.FormatInt(msg, 10) + `\b`),
	}
}

func (s sentinel) subject() string {
	return fmt.Sprintf("fechatter.realtime.chat.%d.unread", s.chat)
}

func (s sentinel) body() []byte {
	return fmt.Appendf(nil, `{"MessageUnread":{"message_id":%d,"chat_id":%d,"user_id":%d}}`,
		s.msg, s.chat, s.user)
}

func (s sentinel) in(e sseclient.Event) bool { return s.match.MatchString(e.Data) }

// reading is what one stream received around the sentinel.
type reading struct {
	before []hop.Got // between connection_confirmed and the sentinel
	after  []hop.Got // after the sentinel, as far as had arrived
	at     time.Time // when the sentinel arrived
	err    error     // the sentinel did not arrive in time
}

// upTo waits for the sentinel on st and splits what st received at it.
func (s sentinel) upTo(ctx context.Context, st *sseclient.Stream) reading {
	ctx, cancel := context.WithTimeout(ctx, timeouts.Delivery)
	defer cancel()
	evs, err := st.WaitFor(ctx, func(evs []sseclient.Event) bool {
		return slices.ContainsFunc(evs, s.in)
	})
	var r reading
	seen := false
	for _, e := range evs[1:] {
		g := hop.Got{Name: e.Name, Data: e.Data, At: e.At}
		switch {
		case !seen && s.in(e):
			seen, r.at = true, e.At
		case seen:
			r.after = append(r.after, g)
		default:
			r.before = append(r.before, g)
		}
	}
	if err != nil {
		r.err = fmt.Errorf("the sentinel MessageUnread published after the event "+
			"did not reach %s within %v (%v); the stream delivered %d events", st.Label,
			timeouts.Delivery, err, len(evs)-1)
	}
	return r
}

// problem is the first thing wrong with what a stream received against
// want: the events themselves, whether the sentinel came, then ids and
// framing.
func (r reading) problem(st *sseclient.Stream, want []hop.Want, who string) hop.Problem {
	diff := hop.Diff(want, r.before, who)
	if diff.Kind == hop.Missing {
		// An expected event that came only after the sentinel, published
		// later in the same chat, was overtaken: order, not loss.
		if missing, _ := hop.Unmatched(want, r.before); len(missing) > 0 {
			if late, _ := hop.Unmatched(missing, r.after); len(late) < len(missing) {
				diff = hop.Problemf(hop.Reordered, "%s; it arrived after the sentinel "+
					"published after it in the same chat: publish order was not kept",
					diff.Text)
			}
		}
	}
	switch {
	case !diff.OK() && r.err != nil:
		diff.Text += "; " + r.err.Error()
		return diff
	case !diff.OK():
		return diff
	case r.err != nil:
		return hop.Problem{Kind: hop.Missing, Text: r.err.Error()}
	}
	if p := idProblem(st); !p.OK() {
		return p
	}
	return framingProblem(st)
}

// idProblem checks the ids of the events a stream decoded: every routed
// event carries its own id, and ids increase.
func idProblem(st *sseclient.Stream) hop.Problem {
	var prev string
	for _, e := range st.Raw().Events() {
		if e.Name == "connection_confirmed" || e.Name == "resync" {
			continue
		}
		if !e.HasID {
			return hop.Problemf(hop.BadIDs, "%s: `%s` has no id: line (bytes %q)",
				st.Label, e.Name, e.Raw)
		}
		if prev != "" && !idAfter(e.ID, prev) {
			return hop.Problemf(hop.BadIDs, "%s: id %q follows id %q; ids must increase",
				st.Label, e.ID, prev)
		}
		prev = e.ID
	}
	return hop.Problem{}
}

// idAfter orders opaque ids: numbers by value, anything else by length then
// bytes, which is numeric order for decimal strings.
func idAfter(a, b string) bool {
	if x, err := strconv.ParseUint(a, 10, 64); err == nil {
		if y, err := strconv.ParseUint(b, 10, 64); err == nil {
			return x > y
		}
	}
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// framingProblem quotes the first bytes a browser would read differently.
func framingProblem(st *sseclient.Stream) hop.Problem {
	vs := st.Raw().Violations()
	if len(vs) == 0 {
		return hop.Problem{}
	}
	return hop.Problemf(hop.Framing, "%s: framing a browser reads differently: %v",
		st.Label, vs[0])
}

// bunched says whether the last n events came in one read of the stream,
// which is what a proxy that buffered them produces.
func bunched(rec *framing.Recorder, n int) bool {
	evs := rec.Events()
	if n < 2 || len(evs) < n {
		return false
	}
	last := evs[len(evs)-n:]
	return last[0].At.Equal(last[n-1].At)
}

// describe renders a user's expectation as the end of a spec sentence.
func describe(want []hop.Want) string {
	if len(want) == 0 {
		return "nothing"
	}
	n := make([]string, len(want))
	for i, w := range want {
		n[i] = w.Name
	}
	return strings.Join(n, " then ")
}

// expectOnly publishes a sentinel to user in chat and requires that every
// stream received exactly want, in order, before it.
func expectOnly(ctx context.Context, chat, user int64, sts []*sseclient.Stream,
	want []hop.Want,
) {
	GinkgoHelper()
	sent := env.newSentinel(chat, user)
	Expect(env.publish(ctx, sent.subject(), sent.body())).To(Succeed())
	var found []problem
	for _, st := range sts {
		found = append(found, on(st, sent.upTo(ctx, st).problem(st, want, st.Label)))
	}
	expectClean(found)
}

// problem is what a check found wrong at one hop's observer.
type problem struct {
	at hop.Hop
	hop.Problem
}

// on lays a problem found on st at the hop st observes.
func on(st *sseclient.Stream, p hop.Problem) problem { return problem{hopOf(st), p} }

// hopOf is the hop a stream observes: notify-server for a stream straight
// to it, nginx for one through the proxy.
func hopOf(st *sseclient.Stream) hop.Hop {
	streams.Lock()
	defer streams.Unlock()
	if streams.via[st].name == direct.name {
		return hop.NotifyServer
	}
	return hop.Nginx
}

// expectClean fails with the verdict of the first hop that shows a
// problem: one straight from notify-server is notify-server's, one seen
// only through nginx is nginx's, one seen only in the browser is the
// browser's.
func expectClean(found []problem) {
	GinkgoHelper()
	var v hop.Verdict
	for _, f := range found {
		if f.OK() {
			continue
		}
		if f.at == hop.Nginx && f.Kind.ServerMade() {
			f.at = hop.NotifyServer
			f.Text += hop.ServerMadeNote
		}
		if v.Hop == hop.None || f.at.Before(v.Hop) {
			v = hop.Verdict{Hop: f.at, Cause: f.Text}
		}
	}
	if slices.ContainsFunc(found, func(f problem) bool { return f.at.Before(v.Hop) }) {
		v.Cause += "; the observers before it got it as expected"
	}
	expectDelivered(v, fmt.Sprintf("bounds: %v per event, %v to connect",
		timeouts.Delivery, timeouts.Connect))
}

// expectDelivered fails the spec with the verdict alone, so the report's
// first line says at which hop and why.
func expectDelivered(v hop.Verdict, bounds string) {
	GinkgoHelper()
	if v.Hop == hop.None {
		return
	}
	if bounds != "" {
		Fail(fmt.Sprintf("%s\n(%s)", v, bounds))
	}
	Fail(v.String())
}
