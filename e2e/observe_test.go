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
	// match finds the sentinel by its payload alone, so a server that
	// renames frames or wraps payloads still shows where its events end.
	match *regexp.Regexp
}

// sendSentinel publishes a sentinel to user in chat and checks that NATS
// carried it.
func (w *world) sendSentinel(ctx context.Context, chat, user int64) sentinel {
	GinkgoHelper()
	msg := w.id()
	s := sentinel{
		chat: chat, user: user, msg: msg,
		match: regexp.MustCompile(`"message_id"\s*:\s*` + strconv.FormatInt(msg, 10) + `\b`),
	}
	By("publish a sentinel to the user and read every stream up to it")
	subject := fmt.Sprintf("fechatter.realtime.chat.%d.unread", chat)
	body := []byte(`{"MessageUnread":` + unreadData(msg, chat, user) + `}`)
	w.publish(ctx, subject, body)
	w.expectTapped(ctx, subject, body)
	return s
}

func (s sentinel) in(e sseclient.Event) bool { return s.match.MatchString(e.Data) }

// reading is what one stream received up to the sentinel.
type reading struct {
	s      sentinel
	from   int       // where this reading starts in the stream's events
	before []hop.Got // between connection_confirmed and the sentinel
	at     time.Time // when the sentinel arrived
	err    error     // the sentinel did not arrive in time
}

// upTo waits for the sentinel on st.
func (s sentinel) upTo(ctx context.Context, st *sseclient.Stream) reading {
	ctx, cancel := context.WithTimeout(ctx, timeouts.Delivery)
	defer cancel()
	evs, err := st.WaitFor(ctx, func(evs []sseclient.Event) bool {
		return slices.ContainsFunc(evs, s.in)
	})
	r := reading{s: s, from: streams.readUpTo(st)}
	r.before, r.at, _ = split(s, evs[r.from:])
	if err != nil {
		r.err = fmt.Errorf("the sentinel MessageUnread published after the event "+
			"did not reach %s within %v (%v); the stream delivered %d events", st.Label,
			timeouts.Delivery, err, len(evs)-r.from)
	}
	return r
}

// split cuts a stream's events since the last reading at the sentinel.
func split(s sentinel, evs []sseclient.Event) (before []hop.Got, at time.Time, after []hop.Got) {
	seen := false
	for _, e := range evs {
		g := hop.Got{Name: e.Name, Data: e.Data, At: e.At}
		switch {
		case !seen && s.in(e):
			seen, at = true, e.At
		case seen:
			after = append(after, g)
		default:
			before = append(before, g)
		}
	}
	return before, at, after
}

// problem is the first thing wrong with what st received against want: the
// events up to the sentinel, whether the sentinel came, anything that came
// after it by the time of asking, then ids and framing. ordered says the
// event shares the sentinel's chat, so contract section 6 orders the two;
// otherwise the caller has waited with settle, and the events on both sides
// of the sentinel are judged together.
func (r reading) problem(ctx context.Context, st *sseclient.Stream, want []hop.Want,
	who string, ordered bool,
) hop.Problem {
	if !ordered {
		_, _, after := split(r.s, st.Events()[r.from:])
		diff := hop.Diff(want, append(slices.Clone(r.before), after...), who)
		if !diff.OK() {
			return diff
		}
		return r.trailer(st)
	}

	diff := hop.Diff(want, r.before, who)
	missing, _ := hop.Unmatched(want, r.before)
	if diff.Kind == hop.Missing && r.err == nil {
		// Only on the way to a failure: give the missing events the
		// streaming bound to turn up after the sentinel, to tell an event
		// that was overtaken from one that was lost.
		_ = InterceptGomegaFailure(func() {
			Eventually(ctx, func() int {
				_, _, after := split(r.s, st.Events()[r.from:])
				late, _ := hop.Unmatched(missing, after)
				return len(late)
			}).WithTimeout(timeouts.Streaming).Should(BeZero())
		})
	}
	_, _, after := split(r.s, st.Events()[r.from:])
	if diff.Kind == hop.Missing {
		// An expected event that came only after the sentinel, published
		// later in the same chat, was overtaken: order, not loss.
		if late, _ := hop.Unmatched(missing, after); len(late) < len(missing) {
			diff = hop.Problemf(hop.Reordered, "publish order was not kept for %s: %d of "+
				"%d events came only after the sentinel published after them in the same "+
				"chat, the first `%s` %s", who, len(missing)-len(late), len(want),
				missing[0].Name, missing[0].Data)
		}
	}
	if !diff.OK() {
		if r.err != nil {
			diff.Text += "; " + r.err.Error()
		}
		return diff
	}
	if len(after) > 0 {
		// Nothing else is published to this user, so anything after the
		// sentinel is a copy or an event meant for someone else.
		return hop.Diff(want, append(slices.Clone(r.before), after...), who)
	}
	return r.trailer(st)
}

// trailer is what is left to check once the events are right: that the
// sentinel came, then ids and framing.
func (r reading) trailer(st *sseclient.Stream) hop.Problem {
	if r.err != nil {
		return hop.Problem{Kind: hop.Missing, Text: r.err.Error()}
	}
	if p := hop.IDs(st.Label, st.Raw().Events()); !p.OK() {
		return p
	}
	return framingProblem(st)
}

// settle is for an event the sentinel does not order: it waits, within the
// delivery bound, until every stream has what it wants on either side of
// the sentinel, then holds still for the streaming bound so that anything
// extra shows up before the verdict.
func settle(ctx context.Context, s sentinel, reads map[*sseclient.Stream]reading,
	want []hop.Want,
) {
	_ = InterceptGomegaFailure(func() {
		Eventually(ctx, func() int {
			short := 0
			for st, r := range reads {
				missing, _ := hop.Unmatched(want, gotSince(st, r.from))
				short += len(missing)
			}
			return short
		}).WithTimeout(timeouts.Delivery).Should(BeZero())
	})
	sts := make([]*sseclient.Stream, 0, len(reads))
	for st := range reads {
		sts = append(sts, st)
	}
	holdStill(ctx, sts...)
}

// gotSince is what st received from index from on, as hop.Got.
func gotSince(st *sseclient.Stream, from int) []hop.Got {
	var got []hop.Got
	for _, e := range st.Events()[from:] {
		got = append(got, hop.Got{Name: e.Name, Data: e.Data, At: e.At})
	}
	return got
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
// stream received exactly want, in order, before it, and nothing after.
func expectOnly(ctx context.Context, chat, user int64, sts []*sseclient.Stream,
	want []hop.Want,
) {
	GinkgoHelper()
	expectClean(readAll(ctx, env.sendSentinel(ctx, chat, user), sts, want, true))
}

// readAll reads every stream up to the sentinel and says what is wrong with
// each; ordered as for reading.problem.
func readAll(ctx context.Context, s sentinel, sts []*sseclient.Stream, want []hop.Want,
	ordered bool,
) []finding {
	reads := make(map[*sseclient.Stream]reading, len(sts))
	for _, st := range sts {
		reads[st] = s.upTo(ctx, st)
	}
	if !ordered {
		settle(ctx, s, reads, want)
	}
	found := make([]finding, len(sts))
	for i, st := range sts {
		found[i] = on(st, reads[st].problem(ctx, st, want, st.Label, ordered))
		streams.markRead(st, s)
	}
	return found
}

// finding is what a check found wrong at one hop's observer.
type finding struct {
	at hop.Hop
	hop.Problem
}

// on lays a problem found on st at the hop st observes.
func on(st *sseclient.Stream, p hop.Problem) finding { return finding{hopOf(st), p} }

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
func expectClean(found []finding) {
	GinkgoHelper()
	var v hop.Verdict
	for _, f := range found {
		if f.OK() {
			continue
		}
		at, p := hop.Locate(f.at, f.Problem)
		if v.Hop == hop.None || at.Before(v.Hop) {
			v = hop.Verdict{Hop: at, Cause: p.Text}
		}
	}
	if slices.ContainsFunc(found, func(f finding) bool { return f.at.Before(v.Hop) }) {
		v.Cause += "; the observers before it got it as expected"
	}
	failWithVerdict(v, fmt.Sprintf("bounds: %v per event, %v to connect",
		timeouts.Delivery, timeouts.Connect))
}

// failWithVerdict fails the spec with the verdict first, so the report's
// first line says at which hop and why; it does nothing when all is well.
func failWithVerdict(v hop.Verdict, bounds string) {
	GinkgoHelper()
	if v.Hop == hop.None {
		return
	}
	msg := v.String()
	if bounds != "" {
		msg += "\n(" + bounds + ")"
	}
	Fail(msg)
}

// holdStill waits out the streaming bound, ending early if a stream gets
// anything; the caller then judges what arrived. It proves "nothing more"
// where no sentinel can: for an event on a subject the sentinel does not
// share, the contract gives no order between them.
func holdStill(ctx context.Context, sts ...*sseclient.Stream) {
	counts := make([]int, len(sts))
	for i, st := range sts {
		counts[i] = len(st.Events())
	}
	_ = InterceptGomegaFailure(func() {
		Consistently(ctx, func() bool {
			for i, st := range sts {
				if len(st.Events()) != counts[i] {
					return false
				}
			}
			return true
		}).WithTimeout(timeouts.Streaming).WithPolling(timeouts.Poll).Should(BeTrue())
	})
}
