// Package hub keeps the open streams of this replica, gives every routed event its id,
// and remembers recent events per user so a reconnecting client can catch up.
package hub

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Defaults for Options fields left zero.
const (
	// DefaultRetain is twice what the contract promises (60 s), so a client that
	// reconnects after a minute of backoff still gets a replay, not a resync.
	DefaultRetain  = 120 * time.Second
	DefaultPerUser = 10000
	DefaultQueue   = 1024
)

// Message is one SSE event routed to one user, before it has an id.
type Message struct {
	UserID int64
	Event  string
	Data   []byte
}

// Frame is a message with the id this replica gave it.
type Frame struct {
	ID    uint64
	Event string
	Data  []byte
}

// Options configures a Hub. Zero fields take the defaults above.
type Options struct {
	Retain  time.Duration
	PerUser int
	Queue   int
	// StartID is the id before the first one issued. Seeding it from the start time
	// makes ids of a restarted replica larger than those of its predecessor, so an old
	// Last-Event-ID is recognised as foreign and answered with a resync.
	StartID uint64
	Now     func() time.Time
	Log     *slog.Logger
	// DuplicateFirstTab reproduces the duplicate-per-tab fault: a user's first
	// connection receives every frame twice once the user has two connections.
	DuplicateFirstTab bool
}

// Hub is safe for concurrent use. One mutex covers ids, history and connections, which is
// what makes registration with replay atomic against live delivery.
//
// Ids are per replica: another replica numbers the same events differently, so a client
// that reconnects to another replica with its Last-Event-ID gets a resync, not a replay.
type Hub struct {
	opts Options

	mu      sync.Mutex
	startID uint64
	lastID  uint64
	conns   map[int64][]*Conn
	history map[int64]*history
}

// history is one user's recent frames, oldest first. A user's record outlives its frames
// (it costs a few bytes) so that evictedUpTo still tells an old Last-Event-ID apart.
type history struct {
	frames      []stamped
	evictedUpTo uint64
}

type stamped struct {
	Frame
	at time.Time
}

// New returns an empty hub.
func New(opts Options) *Hub {
	if opts.Retain <= 0 {
		opts.Retain = DefaultRetain
	}
	if opts.PerUser <= 0 {
		opts.PerUser = DefaultPerUser
	}
	if opts.Queue <= 0 {
		opts.Queue = DefaultQueue
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		opts:    opts,
		startID: opts.StartID,
		lastID:  opts.StartID,
		conns:   map[int64][]*Conn{},
		history: map[int64]*history{},
	}
}

// Conn is one open stream. The writer sends Resync (when set), then Backlog, then what
// arrives on Frames, until Dropped is closed.
type Conn struct {
	ID     string
	UserID int64
	// Resync is why the client's Last-Event-ID cannot be replayed; empty when it can.
	Resync string
	// Backlog is the replay: the user's frames after Last-Event-ID, oldest first.
	Backlog []Frame

	frames   chan Frame
	dropped  chan struct{}
	dropOnce sync.Once
}

// Frames delivers live frames in id order.
func (c *Conn) Frames() <-chan Frame { return c.frames }

// Dropped is closed when the hub gave up on the connection because it fell behind.
func (c *Conn) Dropped() <-chan struct{} { return c.dropped }

func (c *Conn) drop() { c.dropOnce.Do(func() { close(c.dropped) }) }

// Register adds a stream for userID. When resume is true, lastEventID is the client's
// Last-Event-ID: the frames it missed become the Backlog, or Resync says why they cannot.
// Both are decided under the same lock as live delivery, so the client sees no gap and
// no duplicate between replay and live frames.
func (h *Hub) Register(userID int64, connID, lastEventID string, resume bool) *Conn {
	c := &Conn{
		ID:      connID,
		UserID:  userID,
		frames:  make(chan Frame, h.opts.Queue),
		dropped: make(chan struct{}),
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if resume {
		c.Backlog, c.Resync = h.replay(userID, lastEventID)
	}
	h.conns[userID] = append(h.conns[userID], c)
	return c
}

func (h *Hub) replay(userID int64, lastEventID string) ([]Frame, string) {
	k, err := strconv.ParseUint(lastEventID, 10, 64)
	if err != nil {
		return nil, fmt.Sprintf("Last-Event-ID %q is not an event id", lastEventID)
	}
	if k > h.lastID {
		return nil, fmt.Sprintf("Last-Event-ID %d was not issued by this replica", k)
	}
	if k < h.startID {
		return nil, fmt.Sprintf("Last-Event-ID %d predates this replica", k)
	}
	hist := h.history[userID]
	if hist == nil {
		return nil, ""
	}
	h.evict(hist)
	if hist.evictedUpTo > k {
		return nil, fmt.Sprintf("Last-Event-ID %d is older than the %s replay window",
			k, h.opts.Retain)
	}
	i, _ := slices.BinarySearchFunc(hist.frames, k+1, func(s stamped, id uint64) int {
		return compare(s.ID, id)
	})
	backlog := make([]Frame, 0, len(hist.frames)-i)
	for _, s := range hist.frames[i:] {
		backlog = append(backlog, s.Frame)
	}
	return backlog, ""
}

func compare(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Unregister removes c; later frames for its user no longer reach it.
func (h *Hub) Unregister(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(c)
}

func (h *Hub) remove(c *Conn) {
	list := slices.DeleteFunc(h.conns[c.UserID], func(o *Conn) bool { return o == c })
	if len(list) == 0 {
		delete(h.conns, c.UserID)
		return
	}
	h.conns[c.UserID] = list
}

// Publish gives each message the next id, records it for replay and queues it on every
// connection of its user, in the order given. It never blocks: a connection whose queue
// is full is dropped, so one stalled browser cannot hold up everyone else. It returns
// how many distinct connections received at least one frame.
func (h *Hub) Publish(msgs []Message) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	reached := map[*Conn]bool{}
	now := h.opts.Now()
	for _, m := range msgs {
		h.lastID++
		f := Frame{ID: h.lastID, Event: m.Event, Data: m.Data}
		h.record(m.UserID, f, now)
		conns := h.conns[m.UserID]
		for i, c := range slices.Clone(conns) {
			copies := 1
			if i == 0 && len(conns) > 1 && h.opts.DuplicateFirstTab {
				copies = 2
			}
			for range copies {
				if !h.enqueue(c, f) {
					break
				}
				reached[c] = true
			}
		}
	}
	return len(reached)
}

func (h *Hub) enqueue(c *Conn, f Frame) bool {
	select {
	case c.frames <- f:
		return true
	default:
		h.remove(c)
		c.drop()
		h.opts.Log.Warn("connection dropped", "user_id", c.UserID, "connection_id", c.ID,
			"reason", "send queue full", "queue", cap(c.frames))
		return false
	}
}

func (h *Hub) record(userID int64, f Frame, now time.Time) {
	hist := h.history[userID]
	if hist == nil {
		hist = &history{}
		h.history[userID] = hist
	}
	hist.frames = append(hist.frames, stamped{Frame: f, at: now})
	h.evict(hist)
}

// evict forgets frames beyond the per-user cap or older than the window.
func (h *Hub) evict(hist *history) {
	cutoff := h.opts.Now().Add(-h.opts.Retain)
	n := 0
	for n < len(hist.frames) &&
		(len(hist.frames)-n > h.opts.PerUser || hist.frames[n].at.Before(cutoff)) {
		n++
	}
	if n == 0 {
		return
	}
	hist.evictedUpTo = hist.frames[n-1].ID
	hist.frames = slices.Delete(hist.frames, 0, n)
}

// Sweep evicts expired frames of every user; call it now and then so idle users do not
// pin memory.
func (h *Hub) Sweep() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, hist := range h.history {
		h.evict(hist)
	}
}

// Users lists users with at least one open connection.
func (h *Hub) Users() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	users := make([]int64, 0, len(h.conns))
	for u := range h.conns {
		users = append(users, u)
	}
	slices.Sort(users)
	return users
}

// Connections counts the open connections of userID.
func (h *Hub) Connections(userID int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns[userID])
}
