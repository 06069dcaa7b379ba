package framing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// ErrClientClosed is what Err reports when the suite closed the body before
// the server ended the stream.
var ErrClientClosed = errors.New("framing: body closed by the client")

// Recorder keeps every byte of one stream with its arrival time and reads
// them as a browser would. Its methods are safe to call while the stream is
// being read; the slices they return are snapshots and must not be modified.
type Recorder struct {
	label string

	mu      sync.Mutex
	parser  *parser
	chunks  []Chunk
	updated chan struct{}
	ended   bool
	endedAt time.Time
	err     error
}

// NewRecorder returns a Recorder whose label (say "alice/tab-2") names the
// stream in error messages and transcripts.
func NewRecorder(label string) *Recorder {
	return &Recorder{
		label:   label,
		parser:  newParser(),
		updated: make(chan struct{}),
	}
}

// Label returns the name given to NewRecorder.
func (r *Recorder) Label() string { return r.label }

// Wrap returns a body that hands the caller exactly the bytes of body and
// records each chunk as it is read. Wrap one body per Recorder.
func (r *Recorder) Wrap(body io.ReadCloser) io.ReadCloser {
	return &tap{rec: r, body: body}
}

type tap struct {
	rec  *Recorder
	body io.ReadCloser
}

func (t *tap) Read(b []byte) (int, error) {
	n, err := t.body.Read(b)
	now := time.Now()
	if n > 0 {
		t.rec.record(b[:n], now)
	}
	if err != nil {
		t.rec.end(err, now)
	}
	return n, err
}

func (t *tap) Close() error {
	err := t.body.Close()
	t.rec.end(ErrClientClosed, time.Now())
	return err
}

func (r *Recorder) record(b []byte, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	chunk := Chunk{At: at, Bytes: append([]byte(nil), b...)}
	r.chunks = append(r.chunks, chunk)
	r.parser.feed(chunk.Bytes, at)
	r.notify()
}

func (r *Recorder) end(err error, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.ended, r.endedAt, r.err = true, at, err
	r.parser.finish()
	r.notify()
}

// notify wakes every waiter; callers hold r.mu.
func (r *Recorder) notify() {
	close(r.updated)
	r.updated = make(chan struct{})
}

// Updated returns a channel that is closed when the next bytes arrive or the
// stream ends. Take a fresh one after each wake-up.
func (r *Recorder) Updated() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.updated
}

// Events returns the events dispatched so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.parser.events...)
}

// Comments returns the comment lines read so far.
func (r *Recorder) Comments() []Comment {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Comment(nil), r.parser.comments...)
}

// Chunks returns the bytes received so far, one entry per Read.
func (r *Recorder) Chunks() []Chunk {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Chunk(nil), r.chunks...)
}

// Violations returns the framing faults found so far. A truncated final
// event is only known once the stream has ended.
func (r *Recorder) Violations() []Violation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Violation(nil), r.parser.violations...)
}

// LastEventID returns the ID a browser would send as Last-Event-ID if it
// reconnected now.
func (r *Recorder) LastEventID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.parser.lastID
}

// Retry returns the reconnection time the stream last set, and whether it
// set one at all.
func (r *Recorder) Retry() (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.parser.reconnect, r.parser.hasReconnect
}

// Closed reports whether the stream has ended, from either side.
func (r *Recorder) Closed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended
}

// ClosedAt returns when the stream ended; zero while it is open.
func (r *Recorder) ClosedAt() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.endedAt
}

// Err returns why the stream ended: io.EOF when the server ended it,
// ErrClientClosed when the suite closed the body first, or the read error
// (a cancelled request shows up here). It is nil while the stream is open.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Wait blocks until done accepts the events dispatched so far and returns
// them. It gives up when ctx ends or when the stream ends without done
// being satisfied; the error then names what the wait was for and what
// the stream had delivered by then.
func (r *Recorder) Wait(ctx context.Context, what string,
	done func([]Event) bool) ([]Event, error) {
	start := time.Now()
	for {
		r.mu.Lock()
		events := append([]Event(nil), r.parser.events...)
		ended, endErr, updated := r.ended, r.err, r.updated
		r.mu.Unlock()

		if done(events) {
			return events, nil
		}
		if ended {
			return events, r.waitError(what, start, events,
				fmt.Sprintf("the stream ended (%v)", endErr))
		}
		select {
		case <-updated:
		case <-ctx.Done():
			return events, r.waitError(what, start, events, ctx.Err().Error())
		}
	}
}

// WaitEvents blocks until at least n events have been dispatched.
func (r *Recorder) WaitEvents(ctx context.Context, n int) ([]Event, error) {
	what := fmt.Sprintf("%d events", n)
	return r.Wait(ctx, what, func(events []Event) bool {
		return len(events) >= n
	})
}

func (r *Recorder) waitError(what string, start time.Time, events []Event,
	cause string) error {
	seen := "no events"
	if len(events) > 0 {
		seen = fmt.Sprintf("%d events, the last %v", len(events),
			events[len(events)-1])
	}
	return fmt.Errorf("stream %q: waited %v for %s, got %s; gave up because %s",
		r.label, time.Since(start).Round(time.Millisecond), what, seen, cause)
}

// Transcript renders the stream for an evidence file: one line per chunk,
// stamped with milliseconds since the first chunk, then how the stream ended
// and any violations.
func (r *Recorder) Transcript() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out strings.Builder
	fmt.Fprintf(&out, "# stream %q: %d chunks, %d events, %d comments\n",
		r.label, len(r.chunks), len(r.parser.events), len(r.parser.comments))
	var first time.Time
	if len(r.chunks) > 0 {
		first = r.chunks[0].At
	}
	for _, c := range r.chunks {
		fmt.Fprintf(&out, "+%10.3fms %q\n", ms(c.At.Sub(first)), c.Bytes)
	}
	switch {
	case !r.ended:
		out.WriteString("# still open\n")
	case first.IsZero():
		fmt.Fprintf(&out, "# ended before any bytes: %v\n", r.err)
	default:
		fmt.Fprintf(&out, "# ended +%.3fms: %v\n", ms(r.endedAt.Sub(first)), r.err)
	}
	for _, v := range r.parser.violations {
		fmt.Fprintf(&out, "# violation: %v\n", v)
	}
	return out.String()
}

func ms(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}
