package sseclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Bounds on waiting for the client; a passing test takes milliseconds.
const (
	waitBound  = 5 * time.Second
	closeBound = time.Second
)

const confirmed = "event: connection_confirmed\ndata: {\"user_id\":7}\n\n"

func TestOpenReturnsAfterConnectionConfirmed(t *testing.T) {
	srv := serve(t, http.StatusOK)
	srv.frames <- ": hello\n\n"

	type opened struct {
		s   *Stream
		err error
	}
	done := make(chan opened, 1)
	go func() {
		s, err := Open(bounded(t), Options{Label: "alice", Base: srv.URL})
		done <- opened{s, err}
	}()
	srv.request(t)
	select {
	case o := <-done:
		t.Fatalf("expected Open to wait for connection_confirmed, got it back early (%v)",
			o.err)
	default:
	}
	srv.frames <- confirmed

	o := <-done
	if o.err != nil {
		t.Fatalf("expected Open to succeed, got %v", o.err)
	}
	t.Cleanup(o.s.Close)
	evs := o.s.Events()
	if len(evs) != 1 || evs[0].Name != "connection_confirmed" || evs[0].Data != `{"user_id":7}` {
		t.Fatalf("expected connection_confirmed {\"user_id\":7} alone, got %v", evs)
	}
}

func TestEventsAreDecoded(t *testing.T) {
	srv := serve(t, http.StatusOK)
	s := open(t, srv, Options{})

	srv.frames <- "id: 1\nevent: MessageRead\ndata: {\"message_id\":42}\n\n"
	srv.frames <- "id: 2\nevent: MessageReceived\ndata: {\"content\":\ndata: \"two lines\"}\n\n"
	srv.frames <- "data: unnamed\n\n"
	evs := waitForCount(t, s, 4)

	want := []Event{
		{Name: "connection_confirmed", Data: `{"user_id":7}`},
		{Name: "MessageRead", Data: `{"message_id":42}`},
		{Name: "MessageReceived", Data: "{\"content\":\n\"two lines\"}"},
		{Name: "message", Data: "unnamed"},
	}
	sameEvents(t, want, evs)
	for _, e := range evs {
		if e.At.IsZero() {
			t.Errorf("expected an arrival time on %v, got none", e)
		}
	}
}

func TestHeartbeatAfterAnIDIsNotAnEvent(t *testing.T) {
	srv := serve(t, http.StatusOK)
	s := open(t, srv, Options{})

	srv.frames <- "id: 5\nevent: MessageRead\ndata: {}\n\n"
	srv.frames <- ": heartbeat\n\n"
	srv.frames <- "event: MessageReceived\ndata: {}\n\n"
	evs := waitForCount(t, s, 3)

	sameEvents(t, []Event{
		{Name: "connection_confirmed", Data: `{"user_id":7}`},
		{Name: "MessageRead", Data: "{}"},
		{Name: "MessageReceived", Data: "{}"},
	}, evs)
}

func TestOpenRefusedWrapsErrRefused(t *testing.T) {
	srv := serve(t, http.StatusUnauthorized)

	s, err := Open(bounded(t), Options{Label: "alice", Base: srv.URL, Token: "expired"})
	if err == nil {
		s.Close()
		t.Fatal("expected an error for HTTP 401, got an open stream")
	}
	if !errors.Is(err, ErrRefused) {
		t.Errorf("expected an error wrapping ErrRefused, got %v", err)
	}
	if !strings.Contains(err.Error(), "401") {
		t.Errorf("expected the error to name HTTP 401, got %v", err)
	}
}

func TestOpenRefusesAnotherFirstEvent(t *testing.T) {
	srv := serve(t, http.StatusOK)
	srv.frames <- "event: MessageRead\ndata: {}\n\n"

	s, err := Open(bounded(t), Options{Label: "alice", Base: srv.URL})
	if err == nil {
		s.Close()
		t.Fatal("expected an error for a first event other than connection_confirmed, " +
			"got an open stream")
	}
	for _, part := range []string{"alice", `"MessageRead"`, "connection_confirmed"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("expected the error to mention %s, got %v", part, err)
		}
	}
}

func TestWaitForReturnsErrEndedWhenTheServerEnds(t *testing.T) {
	srv := serve(t, http.StatusOK)
	s := open(t, srv, Options{})

	srv.frames <- "event: MessageRead\ndata: {}\n\n"
	close(srv.end)
	evs, err := s.WaitFor(bounded(t), func([]Event) bool { return false })

	if !errors.Is(err, ErrEnded) {
		t.Fatalf("expected ErrEnded, got %v", err)
	}
	if len(evs) != 2 {
		t.Errorf("expected the 2 events sent before the end, got %v", evs)
	}
	if ended, _ := s.Ended(); !ended {
		t.Errorf("expected Ended() true, got false")
	}
}

func TestRequestCarriesTokenAndHeaders(t *testing.T) {
	tests := []struct {
		name, lastEventID string
	}{
		{"first connection", ""},
		{"resuming", "41"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, http.StatusOK)
			srv.frames <- confirmed
			token := "a.b+c/d="

			s, err := Open(bounded(t), Options{Label: "alice", Base: srv.URL, Token: token,
				LastEventID: tt.lastEventID})
			if err != nil {
				t.Fatalf("expected Open to succeed, got %v", err)
			}
			t.Cleanup(s.Close)
			r := srv.request(t)

			if r.URL.Path != "/events" {
				t.Errorf("expected path /events, got %s", r.URL.Path)
			}
			if got := r.URL.Query().Get("access_token"); got != token {
				t.Errorf("expected access_token %q, got %q", token, got)
			}
			got, sent := r.Header["Last-Event-Id"]
			if tt.lastEventID == "" && sent {
				t.Errorf("expected no Last-Event-ID header, got %q", got)
			}
			if tt.lastEventID != "" && r.Header.Get("Last-Event-ID") != tt.lastEventID {
				t.Errorf("expected Last-Event-ID %q, got %q", tt.lastEventID, got)
			}
			if enc := r.Header.Get("Accept-Encoding"); !strings.Contains(enc, "gzip") {
				t.Errorf("expected Accept-Encoding to offer gzip, got %q", enc)
			}
		})
	}
}

func TestRawRecordsTheBytes(t *testing.T) {
	srv := serve(t, http.StatusOK)
	s := open(t, srv, Options{})
	frames := []string{": heartbeat\n\n", "id: 1\nevent: MessageRead\ndata: {}\n\n"}

	for _, f := range frames {
		srv.frames <- f
	}
	waitForCount(t, s, 2)

	var got strings.Builder
	for _, c := range s.Raw().Chunks() {
		got.Write(c.Bytes)
	}
	if want := confirmed + strings.Join(frames, ""); got.String() != want {
		t.Fatalf("expected the recorder to hold %q, got %q", want, got.String())
	}
	if evs := s.Raw().Events(); len(evs) != 2 || evs[1].ID != "1" {
		t.Errorf("expected the recorder to parse 2 events, the second with id 1, got %v", evs)
	}
	if cs := s.Raw().Comments(); len(cs) != 1 || cs[0].Text != "heartbeat" {
		t.Errorf("expected the recorder to keep the heartbeat comment, got %v", cs)
	}
}

func TestEventLargerThan64KiBIsIntact(t *testing.T) {
	srv := serve(t, http.StatusOK)
	s := open(t, srv, Options{})
	data := `{"content":"` + strings.Repeat("x", 200<<10) + `"}`

	srv.frames <- "event: MessageReceived\ndata: " + data + "\n\n"
	evs := waitForCount(t, s, 2)

	if got := evs[1]; got.Name != "MessageReceived" || got.Data != data {
		t.Fatalf("expected MessageReceived with %d bytes of data, got %s with %d bytes",
			len(data), got.Name, len(got.Data))
	}
}

func TestCloseReturnsPromptly(t *testing.T) {
	srv := serve(t, http.StatusOK)
	s := open(t, srv, Options{})

	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()

	select {
	case <-closed:
	case <-time.After(closeBound):
		t.Fatalf("expected Close to return within %v, got it still blocked", closeBound)
	}
	select {
	case <-srv.gone:
	case <-time.After(closeBound):
		t.Fatalf("expected the server to see the client leave within %v, got it still "+
			"connected", closeBound)
	}
	if ended, _ := s.Ended(); !ended {
		t.Errorf("expected Ended() true after Close, got false")
	}
}

// sseServer is an event stream the test drives frame by frame.
type sseServer struct {
	*httptest.Server
	status int
	// requests receives the stream's request; frames are written and
	// flushed one at a time; closing end ends the stream from the server.
	requests chan *http.Request
	frames   chan string
	end      chan struct{}
	// gone receives when the client has left.
	gone chan struct{}
}

func serve(t *testing.T, status int) *sseServer {
	t.Helper()
	s := &sseServer{
		status:   status,
		requests: make(chan *http.Request, 1),
		frames:   make(chan string, 16),
		end:      make(chan struct{}),
		gone:     make(chan struct{}, 1),
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *sseServer) handle(w http.ResponseWriter, r *http.Request) {
	select {
	case s.requests <- r.Clone(context.Background()):
	default:
	}
	if s.status != http.StatusOK {
		http.Error(w, "invalid token", s.status)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	for {
		select {
		case f := <-s.frames:
			_, _ = io.WriteString(w, f)
			_ = rc.Flush()
		case <-s.end:
			return
		case <-r.Context().Done():
			s.gone <- struct{}{}
			return
		}
	}
}

// request returns the stream's request once the server has it.
func (s *sseServer) request(t *testing.T) *http.Request {
	t.Helper()
	select {
	case r := <-s.requests:
		return r
	case <-time.After(waitBound):
		t.Fatalf("expected a request within %v, got none", waitBound)
		return nil
	}
}

// open opens a stream whose server confirms at once, closed when t ends.
func open(t *testing.T, srv *sseServer, o Options) *Stream {
	t.Helper()
	srv.frames <- confirmed
	o.Label, o.Base = "alice", srv.URL
	s, err := Open(bounded(t), o)
	if err != nil {
		t.Fatalf("expected Open to succeed, got %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// waitForCount waits until the stream has decoded n events.
func waitForCount(t *testing.T, s *Stream, n int) []Event {
	t.Helper()
	evs, err := s.WaitFor(bounded(t), func(evs []Event) bool { return len(evs) >= n })
	if err != nil {
		t.Fatalf("expected %d events within %v, got %v: %v", n, waitBound, evs, err)
	}
	return evs
}

func sameEvents(t *testing.T, want, got []Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("expected %d events %v, got %d %v", len(want), want, len(got), got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Data != want[i].Data {
			t.Errorf("expected event %d to be %v, got %v", i, want[i], got[i])
		}
	}
}

func bounded(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitBound)
	t.Cleanup(cancel)
	return ctx
}
