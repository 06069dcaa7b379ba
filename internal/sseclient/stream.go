// Package sseclient opens one user's event stream the way the chat team's Go
// tooling would, with r3labs/sse, and tees every byte it receives into a
// framing.Recorder, so a spec can assert on what the client decoded and on
// exactly which bytes arrived when.
package sseclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/r3labs/sse/v2"
	"gopkg.in/cenkalti/backoff.v1"

	"github.com/fechatter/notify-e2e/internal/framing"
)

// maxEventSize is the largest event the client accepts. r3labs/sse's default
// of 64 KiB silently loses larger events; a chat message with files can be
// bigger than that.
const maxEventSize = 1 << 20

// Event is one event as the Go client decoded it.
type Event struct {
	Name string
	Data string
	At   time.Time
}

func (e Event) String() string { return fmt.Sprintf("%s %s", e.Name, e.Data) }

// Options select where a stream connects and how.
type Options struct {
	// Label names the stream in failure messages ("user 7 via nginx/tls").
	Label string
	// Base is the server's base URL; the stream is Base + "/events".
	Base  string
	Token string
	TLS   *tls.Config
	// LastEventID, when set, is sent as the Last-Event-ID header.
	LastEventID string
}

// Stream is one open connection and everything it received.
type Stream struct {
	Label  string
	Header http.Header
	raw    *framing.Recorder
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	events  []Event
	changed chan struct{} // closed and replaced whenever events or state change
	err     error
	ended   bool
}

// ErrRefused is returned by Open when the server answers without a stream.
var ErrRefused = errors.New("stream refused")

// Open connects and returns once connection_confirmed has been read, so a
// caller may publish right after. It fails after the bound in ctx; a stream
// that did not confirm is returned closed with the error, so its bytes can
// still serve as evidence.
func Open(ctx context.Context, o Options) (*Stream, error) {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Stream{
		Label:   o.Label,
		raw:     framing.NewRecorder(o.Label),
		cancel:  cancel,
		done:    make(chan struct{}),
		changed: make(chan struct{}),
	}
	u, err := url.Parse(o.Base + "/events")
	if err != nil {
		cancel()
		return nil, err
	}
	q := u.Query()
	q.Set("access_token", o.Token)
	u.RawQuery = q.Encode()

	c := sse.NewClient(u.String(), sse.ClientMaxBufferSize(maxEventSize))
	// One connection per Stream: a spec that wants a reconnect opens a new
	// Stream, so a reconnect never happens behind the assertions' back.
	c.ReconnectStrategy = &backoff.StopBackOff{}
	c.Connection = &http.Client{Transport: &tee{
		rt:  &http.Transport{TLSClientConfig: o.TLS, DisableCompression: true},
		rec: s.raw,
		hdr: func(h http.Header) {
			s.mu.Lock()
			s.Header = h
			s.mu.Unlock()
		},
	}}
	// Ask for compression as a browser does: a proxy that gzips the stream
	// only shows it to clients that accept gzip. DisableCompression keeps
	// the bytes as they came, so the recorder sees what a browser would.
	c.Headers["Accept-Encoding"] = "gzip, deflate, br"
	if o.LastEventID != "" {
		c.Headers["Last-Event-ID"] = o.LastEventID
	}
	c.ResponseValidator = func(_ *sse.Client, resp *http.Response) error {
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return fmt.Errorf("%w: HTTP %d", ErrRefused, resp.StatusCode)
		}
		return nil
	}

	go func() {
		defer close(s.done)
		err := c.SubscribeRawWithContext(sctx, s.accept)
		s.mu.Lock()
		s.ended, s.err = true, err
		s.notifyLocked()
		s.mu.Unlock()
	}()

	_, err = s.WaitFor(ctx, func(evs []Event) bool { return len(evs) > 0 })
	if err != nil {
		s.Close()
		return s, fmt.Errorf("%s: no connection_confirmed: %w%s", o.Label, err, s.seen())
	}
	if first := s.Events()[0]; first.Name != "connection_confirmed" {
		s.Close()
		return s, fmt.Errorf("%s: first event is %q, expected connection_confirmed",
			o.Label, first.Name)
	}
	return s, nil
}

// seen describes what did arrive, for a stream that never confirmed.
func (s *Stream) seen() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Header == nil {
		return " (no response headers either)"
	}
	msg := fmt.Sprintf(" (headers arrived: Content-Type %q", s.Header.Get("Content-Type"))
	if enc := s.Header.Get("Content-Encoding"); enc != "" {
		msg += fmt.Sprintf(", Content-Encoding %q: compressed, so held back", enc)
	}
	n := 0
	for _, c := range s.raw.Chunks() {
		n += len(c.Bytes)
	}
	return msg + fmt.Sprintf("; %d bytes of body)", n)
}

func (s *Stream) accept(m *sse.Event) {
	// r3labs/sse hands a heartbeat comment that follows an id as an event
	// with no name and no data (it copies the last id into it): not an event.
	if len(m.Event) == 0 && len(m.Data) == 0 {
		return
	}
	name := string(m.Event)
	if name == "" {
		name = "message"
	}
	s.mu.Lock()
	s.events = append(s.events, Event{Name: name, Data: string(m.Data), At: time.Now()})
	s.notifyLocked()
	s.mu.Unlock()
}

func (s *Stream) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Events returns everything decoded so far, connection_confirmed first.
func (s *Stream) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// Raw is the byte-level record of the stream.
func (s *Stream) Raw() *framing.Recorder { return s.raw }

// Ended reports whether the stream has ended, and the error it ended with.
func (s *Stream) Ended() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended, s.err
}

// ErrEnded is returned by WaitFor when the stream closes before the
// condition holds.
var ErrEnded = errors.New("stream ended")

// WaitFor blocks until done holds for the events so far, the stream ends,
// or ctx expires. It returns the events it last looked at.
func (s *Stream) WaitFor(ctx context.Context, done func([]Event) bool) ([]Event, error) {
	for {
		s.mu.Lock()
		evs, changed, ended, err := slices.Clone(s.events), s.changed, s.ended, s.err
		s.mu.Unlock()
		if done(evs) {
			return evs, nil
		}
		if ended {
			if err == nil {
				return evs, ErrEnded
			}
			// %w on both, so Open's caller can tell a refusal (ErrRefused).
			return evs, fmt.Errorf("%w: %w", ErrEnded, err)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return evs, ctx.Err()
		}
	}
}

// Close ends the connection and waits for the client to let go of it.
func (s *Stream) Close() {
	s.cancel()
	<-s.done
}

// tee passes the response through unchanged while the recorder keeps every
// byte with its arrival time.
type tee struct {
	rt  http.RoundTripper
	rec *framing.Recorder
	hdr func(http.Header)
}

func (t *tee) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	t.hdr(resp.Header.Clone())
	resp.Body = t.rec.Wrap(resp.Body)
	return resp, nil
}
