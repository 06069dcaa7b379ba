package hub

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source, so window tests take no time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const start = 1000

func newHub(opts Options) (*Hub, *clock) {
	c := &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	opts.Now = c.Now
	opts.StartID = start
	return New(opts), c
}

func msg(user int64, event string) Message {
	return Message{UserID: user, Event: event, Data: []byte(`{}`)}
}

// drain returns the frames queued on c without waiting.
func drain(c *Conn) []Frame {
	var out []Frame
	for {
		select {
		case f := <-c.Frames():
			out = append(out, f)
		default:
			return out
		}
	}
}

func names(fs []Frame) string {
	var s []string
	if len(fs) > 20 {
		return fmt.Sprintf("%d frames from %d to %d", len(fs), fs[0].ID, fs[len(fs)-1].ID)
	}
	for _, f := range fs {
		s = append(s, fmt.Sprintf("%d:%s", f.ID, f.Event))
	}
	return strings.Join(s, " ")
}

func TestPublishReachesEveryConnectionOfTheUserOnce(t *testing.T) {
	h, _ := newHub(Options{})
	tab1 := h.Register(1, "a", "", false)
	tab2 := h.Register(1, "b", "", false)
	other := h.Register(2, "c", "", false)

	n := h.Publish([]Message{msg(1, "MessageReceived"), msg(1, "NewMessage")})

	if n != 2 {
		t.Errorf("expected 2 connections reached, got %d", n)
	}
	for _, c := range []*Conn{tab1, tab2} {
		if got, want := names(drain(c)), "1001:MessageReceived 1002:NewMessage"; got != want {
			t.Errorf("connection %s: expected %q, got %q", c.ID, want, got)
		}
	}
	if got := drain(other); len(got) != 0 {
		t.Errorf("expected nothing for user 2, got %q", names(got))
	}
}

func TestUnregisteredConnectionGetsNothing(t *testing.T) {
	h, _ := newHub(Options{})
	c := h.Register(1, "a", "", false)
	h.Unregister(c)
	if n := h.Publish([]Message{msg(1, "x")}); n != 0 || len(drain(c)) != 0 {
		t.Fatalf("expected no delivery after unregister, got %d connections", n)
	}
}

func TestReplayAfterLastEventID(t *testing.T) {
	h, _ := newHub(Options{})
	h.Publish([]Message{msg(1, "a"), msg(2, "b"), msg(1, "c"), msg(1, "d")})

	c := h.Register(1, "a", "1001", true)

	if c.Resync != "" {
		t.Fatalf("expected a replay, got resync %q", c.Resync)
	}
	if got, want := names(c.Backlog), "1003:c 1004:d"; got != want {
		t.Fatalf("expected backlog %q, got %q", want, got)
	}
	h.Publish([]Message{msg(1, "e")})
	if got, want := names(drain(c)), "1005:e"; got != want {
		t.Fatalf("expected live %q after the replay, got %q", want, got)
	}
}

func TestReplayOfTheLatestIDIsEmpty(t *testing.T) {
	h, _ := newHub(Options{})
	h.Publish([]Message{msg(1, "a")})
	c := h.Register(1, "a", "1001", true)
	if c.Resync != "" || len(c.Backlog) != 0 {
		t.Fatalf("expected nothing to replay, got %q / %q", c.Resync, names(c.Backlog))
	}
}

func TestResync(t *testing.T) {
	cases := map[string]struct {
		lastID string
		setup  func(h *Hub, c *clock)
		reason string
	}{
		"not a number": {lastID: "abc", reason: "not an event id"},
		"negative":     {lastID: "-1", reason: "not an event id"},
		"ahead": {
			lastID: "1002",
			setup:  func(h *Hub, _ *clock) { h.Publish([]Message{msg(1, "a")}) },
			reason: "not issued by this replica",
		},
		"before this replica": {lastID: "17", reason: "predates this replica"},
		"older than the window": {
			lastID: "1001",
			setup: func(h *Hub, c *clock) {
				h.Publish([]Message{msg(1, "a"), msg(1, "b")})
				c.Advance(DefaultRetain + time.Second)
				h.Publish([]Message{msg(1, "c")})
			},
			reason: "older than",
		},
		"evicted by the cap": {
			lastID: "1001",
			setup: func(h *Hub, _ *clock) {
				// The cap is 3, so 1002 is evicted by the fifth event.
				for range 5 {
					h.Publish([]Message{msg(1, "a")})
				}
			},
			reason: "older than",
		},
		"expired without newer events": {
			lastID: "1001",
			setup: func(h *Hub, c *clock) {
				h.Publish([]Message{msg(1, "a"), msg(1, "b")})
				c.Advance(DefaultRetain + time.Second)
			},
			reason: "older than",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h, c := newHub(Options{PerUser: 3})
			if tc.setup != nil {
				tc.setup(h, c)
			}
			conn := h.Register(1, "a", tc.lastID, true)
			if !strings.Contains(conn.Resync, tc.reason) {
				t.Fatalf("expected a resync mentioning %q, got %q (backlog %q)",
					tc.reason, conn.Resync, names(conn.Backlog))
			}
			if len(conn.Backlog) != 0 {
				t.Fatalf("expected no replay with a resync, got %q", names(conn.Backlog))
			}
		})
	}
}

func TestEvictionOfOtherUsersDoesNotResync(t *testing.T) {
	h, c := newHub(Options{})
	h.Publish([]Message{msg(2, "old")})
	c.Advance(DefaultRetain + time.Second)
	h.Publish([]Message{msg(1, "a"), msg(2, "new"), msg(1, "b")})

	conn := h.Register(1, "a", "1002", true)

	if conn.Resync != "" || names(conn.Backlog) != "1004:b" {
		t.Fatalf("expected replay of b, got resync %q backlog %q",
			conn.Resync, names(conn.Backlog))
	}
}

// A client reconnecting while events stream must see each id once, in order, split
// between backlog and live queue at whatever point the registration landed.
func TestReplayHasNoGapOrDuplicateUnderConcurrentPublish(t *testing.T) {
	const events = 5000
	h, _ := newHub(Options{Queue: events})
	first := h.Register(1, "first", "", false)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range events {
			h.Publish([]Message{msg(1, "e")})
		}
	}()
	// Wait for some events so the reconnect lands mid-stream.
	seen := []Frame{<-first.Frames()}
	for len(seen) < 10 {
		seen = append(seen, <-first.Frames())
	}
	last := seen[len(seen)-1].ID
	second := h.Register(1, "second", fmt.Sprint(last), true)
	wg.Wait()

	got := append(append([]Frame{}, second.Backlog...), drain(second)...)
	if second.Resync != "" {
		t.Fatalf("expected a replay, got resync %q", second.Resync)
	}
	want := last + 1
	for _, f := range got {
		if f.ID != want {
			t.Fatalf("expected id %d, got %d (gap or duplicate)", want, f.ID)
		}
		want++
	}
	if want != start+events+1 {
		t.Fatalf("expected ids up to %d, stopped at %d", start+events, want-1)
	}
}

func TestFullQueueDropsOnlyThatConnection(t *testing.T) {
	h, _ := newHub(Options{Queue: 2})
	slow := h.Register(1, "slow", "", false)
	fast := h.Register(2, "fast", "", false)

	for range 3 {
		h.Publish([]Message{msg(1, "a"), msg(2, "b")})
		drain(fast)
	}

	select {
	case <-slow.Dropped():
	default:
		t.Fatal("expected the slow connection to be dropped")
	}
	if h.Connections(1) != 0 || h.Connections(2) != 1 {
		t.Fatalf("expected only user 1's connection gone, got %d and %d",
			h.Connections(1), h.Connections(2))
	}
}

func TestDuplicateFirstTab(t *testing.T) {
	h, _ := newHub(Options{DuplicateFirstTab: true})
	first := h.Register(1, "a", "", false)
	h.Publish([]Message{msg(1, "alone")})
	second := h.Register(1, "b", "", false)
	h.Publish([]Message{msg(1, "x")})

	if got, want := names(drain(first)), "1001:alone 1002:x 1002:x"; got != want {
		t.Errorf("expected first tab %q, got %q", want, got)
	}
	if got, want := names(drain(second)), "1002:x"; got != want {
		t.Errorf("expected second tab %q, got %q", want, got)
	}
}

func TestSweepKeepsEvictionMark(t *testing.T) {
	h, c := newHub(Options{})
	h.Publish([]Message{msg(1, "a"), msg(1, "b")})
	c.Advance(DefaultRetain + time.Second)
	h.Sweep()
	if conn := h.Register(1, "a", "1001", true); conn.Resync == "" {
		t.Fatal("expected a resync after the sweep evicted b")
	}
	if conn := h.Register(1, "b", "1002", true); conn.Resync != "" {
		t.Fatalf("expected nothing missed after 1002, got resync %q", conn.Resync)
	}
}
