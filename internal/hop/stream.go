package hop

import (
	"strconv"

	"github.com/fechatter/notify-e2e/internal/framing"
)

// IDs checks the ids of the events one stream carried, as a browser read
// them: every routed event has an id: line of its own, and ids increase.
// connection_confirmed and resync are not routed events.
func IDs(label string, evs []framing.Event) Problem {
	var prev string
	for _, e := range evs {
		if e.Name == "connection_confirmed" || e.Name == "resync" {
			continue
		}
		if !e.HasID {
			return Problemf(BadIDs, "%s: `%s` has no id: line (bytes %q)", label, e.Name, e.Raw)
		}
		if prev != "" && !idAfter(e.ID, prev) {
			return Problemf(BadIDs, "%s: id %q follows id %q; ids must increase",
				label, e.ID, prev)
		}
		prev = e.ID
	}
	return Problem{}
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

// Bunched says whether the last n events arrived in one read, which is
// what a proxy that held them back and let them go at once produces.
func Bunched(evs []framing.Event, n int) bool {
	if n < 2 || len(evs) < n {
		return false
	}
	last := evs[len(evs)-n:]
	return last[0].At.Equal(last[n-1].At)
}
