package e2e

import (
	"encoding/json"
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
		sent := map[int64]time.Time{} // by message_id
		var want []hop.Want
		for range latencySamples {
			at := time.Now()
			w := publishUnread(ctx, chat, u.ID)
			sent[messageID(w.Data)] = at
			want = append(want, w)
		}
		expectOnly(ctx, chat, u.ID, sts, want)

		var report strings.Builder
		fmt.Fprintf(&report, "%-16s %9s %9s %9s\n", "observer", "p50", "p99", "max")
		for _, st := range sts {
			var ds []time.Duration
			for _, e := range st.Events() {
				if at, ok := sent[messageID(e.Data)]; ok {
					ds = append(ds, e.At.Sub(at))
				}
			}
			if len(ds) == 0 {
				Fail(fmt.Sprintf("%s: no event carried a message_id that was published", st.Label))
			}
			slices.Sort(ds)
			fmt.Fprintf(&report, "%-16s %9v %9v %9v\n", streams.route(st).name,
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

// messageID reads the message_id of an event's data, whatever the order
// and spacing of its fields; 0 when it has none.
func messageID(data string) int64 {
	var v struct {
		MessageID int64 `json:"message_id"`
	}
	_ = json.Unmarshal([]byte(data), &v) // no id, no sample
	return v.MessageID
}
