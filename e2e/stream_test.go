package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/sseclient"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// Each spec opens the stream straight to notify-server and through nginx
// over one transport, so a problem is laid at the first hop that shows it.
var _ = Describe("The event stream", Label("stream"), func() {
	for _, p := range proxied {
		Context("through nginx over "+p.label, Label(p.label), func() {
			It("is served as an uncompressed, uncached event stream", func(ctx SpecContext) {
				u := token.NewUser(env.id(), 1)
				sts := connectVia(ctx, u, "user", direct, p)

				expectClean(check(sts, headerProblem))
			}, SpecTimeout(timeouts.Spec))

			It("opens with connection_confirmed naming the user", func(ctx SpecContext) {
				u := token.NewUser(env.id(), 1)
				sts := connectVia(ctx, u, "user", direct, p)

				expectClean(check(sts, func(st *sseclient.Stream) hop.Problem {
					return confirmedProblem(st, u.ID)
				}))
			}, SpecTimeout(timeouts.Spec))

			It("stays open while idle, with heartbeat comments", Label("heartbeat"),
				func(ctx SpecContext) {
					chat, u := env.id(), token.NewUser(env.id(), 1)
					sts := connectVia(ctx, u, "user", direct, p)

					// Waits end early on what idleProblem then reports, so
					// their own failures are not the spec's.
					By("wait for a heartbeat straight from notify-server")
					_ = InterceptGomegaFailure(func() {
						Eventually(ctx, func() int { return len(sts[0].Raw().Comments()) }).
							WithTimeout(timeouts.IdleWindow).Should(BeNumerically(">", 0))
					})

					By(fmt.Sprintf("stay idle for %v, longer than a proxy read timeout "+
						"that heartbeats do not reset", timeouts.IdleWindow))
					_ = InterceptGomegaFailure(func() {
						Consistently(ctx, func() bool {
							for _, st := range sts {
								if ended, _ := st.Ended(); ended {
									return true
								}
							}
							return false
						}).WithTimeout(timeouts.IdleWindow).Should(BeFalse())
					})
					expectClean(check(sts, idleProblem))

					By("after the idle window, check every stream still delivers")
					expectOnly(ctx, chat, u.ID, sts, nil)
				}, SpecTimeout(timeouts.Spec))
		})
	}
})

func check(sts []*sseclient.Stream, f func(*sseclient.Stream) hop.Problem) []finding {
	out := make([]finding, len(sts))
	for i, st := range sts {
		out[i] = on(st, f(st))
	}
	return out
}

var eventStream = regexp.MustCompile(`^text/event-stream\s*(;\s*charset=(?i:utf-8)\s*)?$`)

func headerProblem(st *sseclient.Stream) hop.Problem {
	h := st.Header
	switch {
	case !eventStream.MatchString(h.Get("Content-Type")):
		return hop.Problemf(hop.Headers, "%s: Content-Type %q, expected text/event-stream",
			st.Label, h.Get("Content-Type"))
	case h.Get("Cache-Control") != "no-cache":
		return hop.Problemf(hop.Headers, "%s: Cache-Control %q, expected no-cache",
			st.Label, h.Get("Cache-Control"))
	case h.Get("Content-Encoding") != "":
		return hop.Problemf(hop.Headers,
			"%s: Content-Encoding %q: the stream must not be compressed "+
				"(gzip holds events back)", st.Label, h.Get("Content-Encoding"))
	// nginx consumes X-Accel-Buffering, so only the direct client sees it.
	case hopOf(st) == hop.NotifyServer && h.Get("X-Accel-Buffering") != "no":
		return hop.Problemf(hop.Headers,
			"%s: X-Accel-Buffering %q, expected no (it switches proxy "+
				"buffering off for the stream)", st.Label, h.Get("X-Accel-Buffering"))
	}
	return hop.Problem{}
}

func confirmedProblem(st *sseclient.Stream, user int64) hop.Problem {
	first := st.Events()[0]
	var data struct {
		UserID       *int64  `json:"user_id"`
		ConnectionID *string `json:"connection_id"`
	}
	if err := json.Unmarshal([]byte(first.Data), &data); err != nil {
		return hop.Problemf(hop.Payload, "%s: connection_confirmed data %q is not JSON",
			st.Label, first.Data)
	}
	if data.UserID == nil || *data.UserID != user {
		return hop.Problemf(hop.Payload, "%s: connection_confirmed %s, expected user_id %d",
			st.Label, first.Data, user)
	}
	if data.ConnectionID == nil || !uuid.MatchString(*data.ConnectionID) {
		return hop.Problemf(hop.Payload, "%s: connection_confirmed %s has no UUID connection_id",
			st.Label, first.Data)
	}
	if raw := st.Raw().Events(); len(raw) == 0 || !raw[0].HasRetry {
		return hop.Problemf(hop.Payload,
			"%s: connection_confirmed carries no retry: field", st.Label)
	}
	return hop.Problem{}
}

var uuid = regexp.MustCompile(
	`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// idleProblem runs after the idle window: the stream must still be open and
// have had at least one comment line in it.
// A heartbeat may come up to one interval late (a timer started just after
// a frame), so the count allows one missing and a gap up to two intervals.
const (
	beatSlack = 1
	beatGap   = 2 * timeouts.Heartbeat
)

func idleProblem(st *sseclient.Stream) hop.Problem {
	if ended, err := st.Ended(); ended {
		return hop.Problemf(hop.Closed, "%s: the stream closed while idle (%v): a proxy "+
			"read timeout shorter than the heartbeat, or no heartbeat", st.Label, err)
	}
	// A heartbeat is a comment at the configured interval, not one comment:
	// count those after connection_confirmed (both stamped by the recorder,
	// at the read that brought them) and look at the gaps, the last one
	// up to now included.
	confirmed := st.Raw().Events()[0].At
	var beats []time.Time
	for _, c := range st.Raw().Comments() {
		if !c.At.Before(confirmed) {
			beats = append(beats, c.At)
		}
	}
	// Counted over the time actually idled: the wait ends early when a
	// stream closes, and that is reported above, on the stream it happened to.
	idled := time.Since(confirmed)
	if want := int(idled/timeouts.Heartbeat) - beatSlack; len(beats) < want {
		return hop.Problemf(hop.Missing, "%s: %d heartbeat comments in %v of idling, "+
			"expected at least %d at the %v interval", st.Label, len(beats),
			idled.Round(100*time.Millisecond), want, timeouts.Heartbeat)
	}
	prev := confirmed
	for _, at := range append(beats, time.Now()) {
		if gap := at.Sub(prev); gap > beatGap {
			return hop.Problemf(hop.Missing, "%s: %v without a heartbeat comment, "+
				"interval %v", st.Label, gap.Round(time.Millisecond), timeouts.Heartbeat)
		}
		prev = at
	}
	return hop.Problem{}
}
