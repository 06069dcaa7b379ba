// Package fault holds the switches that turn the reference notify-server into a broken
// one, so the end-to-end suite can prove it fails on each known way of losing an event.
package fault

import (
	"fmt"
	"slices"
	"strings"
)

// Name is one fault switch, as written in NOTIFY_FAULT.
type Name string

// Every switch reproduces a failure seen in production or in a proxy in front of it.
const (
	// WildcardTooShallow: config said fechatter.realtime.*, which misses chat.{id}.
	WildcardTooShallow Name = "wildcard-too-shallow"
	// GenericNames: every frame named Generic while the browser listened for real names.
	GenericNames Name = "generic-names"
	// WrongShape: events parsed as {"type":...} instead of variant-keyed, so dropped.
	WrongShape Name = "wrong-shape"
	// UnregisterAfterFirstFrame: a per-frame cleanup hook dropped the user after welcome.
	UnregisterAfterFirstFrame Name = "unregister-after-first-frame"
	// NoFlush: frames sit in a write buffer until 4 KiB accumulate.
	NoFlush Name = "no-flush"
	// ConcurrentFanout: one goroutine per event, so events of one chat overtake each other.
	ConcurrentFanout Name = "concurrent-fanout"
	// Broadcast: routing ignored, every event reaches every connected user.
	Broadcast Name = "broadcast"
	// QueueGroup: replicas share a queue group, so each event reaches one replica only.
	QueueGroup Name = "queue-group"
	// NoHeartbeat: idle streams stay silent until a proxy times them out.
	NoHeartbeat Name = "no-heartbeat"
	// IDsIgnored: Last-Event-ID ignored and ids restart per connection, so gaps go unseen.
	IDsIgnored Name = "ids-ignored"
	// DuplicatePerTab: a user's first tab is registered twice and sees every event twice.
	DuplicatePerTab Name = "duplicate-per-tab"
	// WrongContentType: text/plain, which EventSource refuses to read as a stream.
	WrongContentType Name = "wrong-content-type"
	// ExpiredTokensAccepted: exp not checked, so a leaked old token opens a stream.
	ExpiredTokensAccepted Name = "expired-tokens-accepted"
	// PoisonMessage: one body that is not JSON kills the subscription for good.
	PoisonMessage Name = "poison-message"
	// UnsplitData: multi-line data written on one data: line, which breaks SSE framing.
	UnsplitData Name = "unsplit-data"
	// NoAccelHeader: no X-Accel-Buffering: no, so nginx buffering holds frames over TLS.
	NoAccelHeader Name = "no-accel-header"
)

// All lists every switch in the order the help text shows them.
var All = []Name{
	WildcardTooShallow, GenericNames, WrongShape, UnregisterAfterFirstFrame, NoFlush,
	ConcurrentFanout, Broadcast, QueueGroup, NoHeartbeat, IDsIgnored, DuplicatePerTab,
	WrongContentType, ExpiredTokensAccepted, PoisonMessage, UnsplitData, NoAccelHeader,
}

// Set is the switches that are on. The zero value has every switch off.
type Set map[Name]bool

// On reports whether switch n is on.
func (s Set) On(n Name) bool { return s[n] }

// Names lists the switches that are on, in the order of All.
func (s Set) Names() []Name {
	on := []Name{}
	for _, n := range All {
		if s[n] {
			on = append(on, n)
		}
	}
	return on
}

// Parse reads NOTIFY_FAULT: empty, or switch names separated by commas.
func Parse(spec string) (Set, error) {
	set := Set{}
	for _, part := range strings.Split(spec, ",") {
		n := Name(strings.TrimSpace(part))
		if n == "" {
			continue
		}
		if !slices.Contains(All, n) {
			valid := make([]string, len(All))
			for i, a := range All {
				valid[i] = string(a)
			}
			return nil, fmt.Errorf("NOTIFY_FAULT: unknown fault %q; valid names: %s",
				n, strings.Join(valid, ", "))
		}
		set[n] = true
	}
	return set, nil
}
