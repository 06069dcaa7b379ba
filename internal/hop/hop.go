// Package hop decides where along the path an event went wrong: publish,
// NATS, notify-server or nginx (contract.md section 8), and why, from what
// the observers at each hop recorded.
package hop

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Hop is one stage of the path from the chat server to the browser.
type Hop string

const (
	None         Hop = ""
	Publish      Hop = "publish"
	NATS         Hop = "NATS"
	NotifyServer Hop = "notify-server"
	Nginx        Hop = "nginx"
	Browser      Hop = "browser"
)

// path is the order of the hops, from the chat server to the browser.
var path = []Hop{Publish, NATS, NotifyServer, Nginx, Browser}

// Before says h comes earlier on the path than other.
func (h Hop) Before(other Hop) bool {
	return slices.Index(path, h) < slices.Index(path, other)
}

// Want is an event a client must receive.
type Want struct {
	Name string
	Data string
}

// Got is an event a client received.
type Got struct {
	Name string
	Data string
	At   time.Time
}

// Kind sorts problems by what could have caused them.
type Kind string

const (
	Missing    Kind = "missing"
	Unexpected Kind = "unexpected"
	Renamed    Kind = "renamed"
	Payload    Kind = "payload"
	Reordered  Kind = "reordered"
	Duplicated Kind = "duplicated"
	BadIDs     Kind = "ids"
	Framing    Kind = "framing"
	Headers    Kind = "headers"
	Closed     Kind = "closed"
)

// ServerMade says a proxy that passes bytes through cannot produce this
// kind of problem: it neither renames, rewrites, reorders nor copies
// events. Seen only through nginx, it still comes from notify-server.
func (k Kind) ServerMade() bool {
	switch k {
	case Renamed, Payload, Reordered, Duplicated, BadIDs:
		return true
	}
	return false
}

// Problem is the first thing wrong with what one client received.
type Problem struct {
	Kind Kind
	Text string
}

// OK says nothing is wrong.
func (p Problem) OK() bool { return p.Kind == "" }

func Problemf(k Kind, format string, args ...any) Problem {
	return Problem{Kind: k, Text: fmt.Sprintf(format, args...)}
}

// Diff compares what a client received with what it should have, in order,
// and returns the first problem, or the zero Problem when they match. user
// names the receiver in messages ("user 7 (alice)").
func Diff(want []Want, got []Got, user string) Problem {
	if len(got) == len(want) {
		ok := true
		for i := range want {
			if got[i].Name != want[i].Name || !sameJSON(got[i].Data, want[i].Data) {
				ok = false
				break
			}
		}
		if ok {
			return Problem{}
		}
	}
	if len(want) == 0 {
		g := got[0]
		return Problemf(Unexpected,
			"%s received `%s` %s but must receive nothing from this event", user, g.Name, g.Data)
	}
	if len(got) == 0 {
		return Problemf(Missing, "%s received nothing; expected %s", user, names(want))
	}

	missing, extra := Unmatched(want, got)
	switch {
	case len(missing) == 0 && len(extra) == 0:
		// The same events in another order.
		for i := range want {
			if got[i].Name != want[i].Name || !sameJSON(got[i].Data, want[i].Data) {
				return Problemf(Reordered, "out of order for %s: `%s` %s arrived where `%s` "+
					"%s was expected (received %s)", user, got[i].Name, got[i].Data,
					want[i].Name, want[i].Data, gotNames(got))
			}
		}
	case len(extra) == 0:
		w := missing[0]
		return Problemf(Missing, "%d of %d expected events never reached %s, the first "+
			"`%s` %s (received %s)", len(missing), len(want), user, w.Name, w.Data,
			gotNames(got))
	case len(missing) == 0:
		g := extra[0]
		if slices.ContainsFunc(want, func(w Want) bool {
			return w.Name == g.Name && sameJSON(w.Data, g.Data)
		}) {
			return Problemf(Duplicated, "`%s` reached %s more than once (received %s)",
				g.Name, user, gotNames(got))
		}
		return Problemf(Unexpected, "%s received an unexpected `%s` %s", user, g.Name, g.Data)
	}

	// Some expected events are missing and others came instead.
	for _, w := range missing {
		if i := slices.IndexFunc(extra, func(g Got) bool { return g.Name == w.Name }); i >= 0 {
			return Problemf(Payload, "`%s` for %s has the wrong payload: expected %s, got %s",
				w.Name, user, w.Data, extra[i].Data)
		}
	}
	g, w := extra[0], missing[0]
	if !slices.ContainsFunc(want, func(w Want) bool { return w.Name == g.Name }) {
		return Problemf(Renamed, "event name `%s`, expected `%s` (for %s; data %s)",
			g.Name, w.Name, user, g.Data)
	}
	return Problemf(Unexpected, "%s received an unexpected `%s` %s, and `%s` %s never came",
		user, g.Name, g.Data, w.Name, w.Data)
}

// Unmatched pairs wanted and received events that are equal, in any order,
// and returns those left on each side.
func Unmatched(want []Want, got []Got) (missing []Want, extra []Got) {
	extra = slices.Clone(got)
	for _, w := range want {
		i := slices.IndexFunc(extra, func(g Got) bool {
			return g.Name == w.Name && sameJSON(g.Data, w.Data)
		})
		if i < 0 {
			missing = append(missing, w)
			continue
		}
		extra = slices.Delete(extra, i, i+1)
	}
	return missing, extra
}

// Observation is what the observers recorded for one expectation.
type Observation struct {
	PublishErr error
	// TapSaw says the NATS tap saw the published message.
	TapSaw bool
	// Direct and Proxied are what is wrong with the client straight to
	// notify-server and the client through nginx.
	Direct, Proxied Problem
	// Late is how much later than the direct client the client through
	// nginx got its events; Bunched says they arrived in one read.
	Late    time.Duration
	Bunched bool
	// Stalled says nothing at all arrived through nginx after the
	// publish, not even the sentinel.
	Stalled bool
	// Encoding is the Content-Encoding seen through nginx, if any.
	Encoding string
}

// Verdict names the first hop where the event went missing, and why.
type Verdict struct {
	Hop   Hop
	Cause string
}

func (v Verdict) String() string {
	if v.Hop == None {
		return "delivered as the contract says"
	}
	return fmt.Sprintf("lost at %s: %s", v.Hop, v.Cause)
}

// Judge walks the hops in order and stops at the first that failed.
// streamBound is how late through nginx still counts as streaming.
func Judge(o Observation, streamBound time.Duration) Verdict {
	switch {
	case o.PublishErr != nil:
		return Verdict{Publish, o.PublishErr.Error()}
	case !o.TapSaw:
		return Verdict{NATS, "the NATS tap on fechatter.realtime.> never saw the message"}
	case !o.Direct.OK():
		return Verdict{NotifyServer, o.Direct.Text + directContext(o.Direct)}
	case o.Proxied.Kind.ServerMade():
		at, p := Locate(Nginx, o.Proxied)
		return Verdict{at, p.Text}
	case o.Encoding != "":
		return Verdict{Nginx, fmt.Sprintf("the stream through nginx is compressed "+
			"(Content-Encoding: %s): gzip on text/event-stream", o.Encoding)}
	case o.Stalled:
		return Verdict{Nginx, "nothing arrived through nginx while the direct client " +
			"streamed: the proxy holds the stream back (proxy_buffering, proxy_cache or " +
			"an HTTP/1.0 upstream); " + o.Proxied.Text}
	case !o.Proxied.OK():
		return Verdict{Nginx, o.Proxied.Text + "; the direct client got it as expected"}
	case o.Late > streamBound:
		how := "late"
		if o.Bunched {
			how = "late and bunched in one read"
		}
		return Verdict{Nginx, fmt.Sprintf("arrived through nginx %s (held %v; the direct "+
			"client had it at once): proxy buffering", how, o.Late.Round(time.Millisecond))}
	}
	return Verdict{}
}

// Locate says at which hop a problem seen by the observer at hop at was
// made: nginx passes events through unchanged, in order and once, so a
// problem of a kind it cannot make is notify-server's.
func Locate(at Hop, p Problem) (Hop, Problem) {
	if at == Nginx && p.Kind.ServerMade() {
		p.Text += " (seen through nginx only, but a proxy passes events through " +
			"unchanged, in order and once: this comes from notify-server)"
		return NotifyServer, p
	}
	return at, p
}

func directContext(p Problem) string {
	if p.Kind == Missing {
		return "; the NATS tap saw it, the direct client did not: notify-server did not route it"
	}
	return ""
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return reflect.DeepEqual(x, y)
}

func names(want []Want) string {
	n := make([]string, len(want))
	for i, w := range want {
		n[i] = "`" + w.Name + "`"
	}
	return strings.Join(n, ", ")
}

func gotNames(got []Got) string {
	if len(got) == 0 {
		return "nothing"
	}
	n := make([]string, len(got))
	for i, g := range got {
		n[i] = "`" + g.Name + "`"
	}
	return strings.Join(n, ", ")
}
