package e2e

import (
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// latencySamples is how many events the latency measurement publishes: a
// few seconds of a busy chat, small enough to run on every suite run.
const latencySamples = 200

// A measurement, not an assertion on speed: it reports how long events take
// from publish to each observer, and fails only if one does not arrive.
var _ = Describe("Delivery latency", Label("benchmark"), func() {
	It("is measured from publish to each hop and reported", func(ctx SpecContext) {
		chat, u := env.id(), token.NewUser(env.id(), 1)
		sts := connectVia(ctx, u, "user", direct, viaHTTP, viaTLS)

		By(fmt.Sprintf("publish %d events, one at a time", latencySamples))
		sent := map[string]time.Time{}
		var want []hop.Want
		for range latencySamples {
			at := time.Now()
			w := publishUnread(ctx, chat, u.ID)
			sent[w.Data] = at
			want = append(want, w)
		}
		expectOnly(ctx, chat, u.ID, sts, want)

		var report strings.Builder
		fmt.Fprintf(&report, "%-16s %9s %9s %9s\n", "observer", "p50", "p99", "max")
		for _, st := range sts {
			var ds []time.Duration
			for _, e := range st.Events() {
				if at, ok := sent[e.Data]; ok {
					ds = append(ds, e.At.Sub(at))
				}
			}
			slices.Sort(ds)
			fmt.Fprintf(&report, "%-16s %9v %9v %9v\n", st.Label[len("user via "):],
				pct(ds, 50), pct(ds, 99), ds[len(ds)-1].Round(time.Microsecond))
		}
		// In the JSON report always; on the console with -v (make bench).
		AddReportEntry("delivery latency, publish to client", report.String(),
			ReportEntryVisibilityFailureOrVerbose)
	}, SpecTimeout(timeouts.Spec))
})

// pct is the p-th percentile of sorted durations.
func pct(ds []time.Duration, p int) time.Duration {
	return ds[(len(ds)-1)*p/100].Round(time.Microsecond)
}
