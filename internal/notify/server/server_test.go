package server

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fechatter/notify-e2e/internal/notify/auth"
	"github.com/fechatter/notify-e2e/internal/notify/fault"
	"github.com/fechatter/notify-e2e/internal/notify/hub"
	"github.com/fechatter/notify-e2e/internal/notify/route"
)

// frameWait bounds every read of a frame the test expects to arrive.
const frameWait = 5 * time.Second

type fixture struct {
	srv  *Server
	http *httptest.Server
	priv ed25519.PrivateKey
}

func newFixture(t *testing.T, faults ...fault.Name) *fixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set := fault.Set{}
	for _, f := range faults {
		set[f] = true
	}
	members := &route.StaticMembership{}
	members.Join(2, 1, 2, 3)
	closing := make(chan struct{})
	s := &Server{
		Hub: hub.New(hub.Options{
			StartID: 100, DuplicateFirstTab: set.On(fault.DuplicatePerTab),
		}),
		Router: route.Router{
			Members:      members,
			GenericNames: set.On(fault.GenericNames),
			RawData:      set.On(fault.UnsplitData),
		},
		PublicKey: pub,
		Heartbeat: time.Hour,
		Faults:    set,
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Closing:   closing,
	}
	f := &fixture{srv: s, priv: priv}
	f.http = httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		close(closing)
		f.http.Close()
	})
	return f
}

func (f *fixture) token(t *testing.T, userID int64) string {
	t.Helper()
	u := auth.User{ID: userID, WorkspaceID: 1, Fullname: "U", Email: "u@example.test",
		Status: auth.StatusActive, CreatedAt: time.Now().Add(-time.Hour)}
	c := auth.NewClaims(u, time.Now().Add(-time.Minute), time.Hour)
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(f.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// frame is one parsed SSE event or comment.
type frame struct {
	id, event, data, comment string
	retry                    string
}

type client struct {
	resp   *http.Response
	frames chan frame
}

func (f *fixture) connect(t *testing.T, userID int64, header map[string]string) *client {
	t.Helper()
	req, err := http.NewRequest("GET", f.http.URL+"/events?access_token="+f.token(t, userID),
		nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("expected 200 for user %d, got %s", userID, resp.Status)
	}
	c := &client{resp: resp, frames: make(chan frame, 100)}
	go c.read()
	return c
}

// read parses the stream with the WHATWG field rules this test needs.
func (c *client) read() {
	defer close(c.frames)
	sc := bufio.NewScanner(c.resp.Body)
	var cur frame
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			cur.data = strings.Join(data, "\n")
			c.frames <- cur
			cur, data = frame{}, nil
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "":
			cur.comment = value
		case "id":
			cur.id = value
		case "event":
			cur.event = value
		case "data":
			data = append(data, value)
		case "retry":
			cur.retry = value
		}
	}
}

func (c *client) next(t *testing.T) frame {
	t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			t.Fatal("expected a frame, the stream ended")
		}
		return f
	case <-time.After(frameWait):
		t.Fatalf("expected a frame within %s, got none", frameWait)
	}
	return frame{}
}

func (c *client) silent(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case f := <-c.frames:
		t.Fatalf("expected nothing for %s, got %+v", d, f)
	case <-time.After(d):
	}
}

func (f *fixture) publish(body string) {
	f.srv.Deliver(context.Background(), "fechatter.realtime.chat.2", []byte(body))
}

const unread = `{"MessageUnread":{"message_id":17,"chat_id":2,"user_id":3}}`

func TestRefusedTokensGetNoStream(t *testing.T) {
	f := newFixture(t)
	for name, query := range map[string]string{
		"no token":  "",
		"malformed": "?access_token=abc",
		"foreign":   "?access_token=" + newFixture(t).token(t, 1),
	} {
		resp, err := http.Get(f.http.URL + "/events" + query)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: expected 401, got %s", name, resp.Status)
		}
		if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "event-stream") {
			t.Errorf("%s: expected no stream, got Content-Type %q", name, ct)
		}
	}
}

func TestBearerHeaderIsAccepted(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest("GET", f.http.URL+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+f.token(t, 3))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("expected 200, got %s", resp.Status)
	}
}

func TestStreamHeadersAndConfirmation(t *testing.T) {
	f := newFixture(t)
	c := f.connect(t, 3, nil)

	h := c.resp.Header
	if h.Get("Content-Type") != "text/event-stream; charset=utf-8" ||
		h.Get("Cache-Control") != "no-cache" || h.Get("X-Accel-Buffering") != "no" ||
		h.Get("Content-Encoding") != "" {
		t.Fatalf("unexpected stream headers %v", h)
	}
	first := c.next(t)
	if first.event != "connection_confirmed" || first.id != "" || first.retry != "3000" ||
		!strings.HasPrefix(first.data, `{"user_id":3,"connection_id":"`) {
		t.Fatalf("unexpected first frame %+v", first)
	}
}

func TestRoutedEventsCarryIncreasingIDs(t *testing.T) {
	f := newFixture(t)
	c := f.connect(t, 3, nil)
	c.next(t)

	f.publish(unread)
	f.publish(unread)

	a, b := c.next(t), c.next(t)
	if a.event != "MessageUnread" || a.data != `{"message_id":17,"chat_id":2,"user_id":3}` {
		t.Fatalf("unexpected frame %+v", a)
	}
	if a.id != "101" || b.id != "102" {
		t.Fatalf("expected ids 101 and 102, got %q and %q", a.id, b.id)
	}
}

func TestEveryTabReceivesEachEventOnce(t *testing.T) {
	f := newFixture(t)
	tabs := []*client{f.connect(t, 3, nil), f.connect(t, 3, nil)}
	for _, c := range tabs {
		c.next(t)
	}
	f.publish(unread)
	for i, c := range tabs {
		if got := c.next(t); got.event != "MessageUnread" {
			t.Fatalf("tab %d: expected MessageUnread, got %+v", i, got)
		}
		c.silent(t, 50*time.Millisecond)
	}
}

func TestHeartbeatWhileIdle(t *testing.T) {
	f := newFixture(t)
	f.srv.Heartbeat = 20 * time.Millisecond
	c := f.connect(t, 3, nil)
	c.next(t)
	if got := c.next(t); got.comment != "heartbeat" {
		t.Fatalf("expected a heartbeat comment, got %+v", got)
	}
}

func TestReplayAndResyncOnReconnect(t *testing.T) {
	f := newFixture(t)
	f.publish(unread)
	f.publish(unread)

	viaHeader := f.connect(t, 3, map[string]string{"Last-Event-ID": "101"})
	viaHeader.next(t)
	if got := viaHeader.next(t); got.id != "102" || got.event != "MessageUnread" {
		t.Fatalf("expected the replay of 102, got %+v", got)
	}

	for _, lastID := range []string{"abc", "999999", "5"} {
		c := f.connect(t, 3, map[string]string{"Last-Event-ID": lastID})
		c.next(t)
		if got := c.next(t); got.event != "resync" || !strings.Contains(got.data, "reason") {
			t.Fatalf("Last-Event-ID %s: expected resync, got %+v", lastID, got)
		}
	}
}

func TestLastEventIDQueryParameter(t *testing.T) {
	f := newFixture(t)
	f.publish(unread)
	req := f.http.URL + "/events?lastEventId=100&access_token=" + f.token(t, 3)
	resp, err := http.Get(req)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{resp: resp, frames: make(chan frame, 10)}
	t.Cleanup(func() { resp.Body.Close() })
	go c.read()
	c.next(t)
	if got := c.next(t); got.id != "101" {
		t.Fatalf("expected the replay of 101, got %+v", got)
	}
}

func TestHealthReportsTheCheck(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		err  error
		want int
	}{{nil, 200}, {errNotReady, 503}} {
		f.srv.Health = func(context.Context) error { return tc.err }
		resp, err := http.Get(f.http.URL + "/health")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("health with %v: expected %d, got %d", tc.err, tc.want, resp.StatusCode)
		}
	}
}

func TestFaultHeaders(t *testing.T) {
	wrongType := newFixture(t, fault.WrongContentType).connect(t, 3, nil)
	if ct := wrongType.resp.Header.Get("Content-Type"); ct != "text/plain" {
		t.Errorf("wrong-content-type: expected text/plain, got %q", ct)
	}
	noAccel := newFixture(t, fault.NoAccelHeader).connect(t, 3, nil)
	if _, ok := noAccel.resp.Header["X-Accel-Buffering"]; ok {
		t.Errorf("no-accel-header: expected no X-Accel-Buffering header")
	}
}

func TestFaultUnregisterAfterFirstFrame(t *testing.T) {
	f := newFixture(t, fault.UnregisterAfterFirstFrame)
	f.srv.Heartbeat = 30 * time.Millisecond
	c := f.connect(t, 3, nil)
	c.next(t)
	f.publish(unread)
	if got := c.next(t); got.comment != "heartbeat" {
		t.Fatalf("expected only heartbeats after unregistering, got %+v", got)
	}
}

func TestFaultGenericNames(t *testing.T) {
	f := newFixture(t, fault.GenericNames)
	c := f.connect(t, 3, nil)
	c.next(t)
	f.publish(unread)
	got := c.next(t)
	if got.event != "Generic" || !strings.HasPrefix(got.data, `{"type":"MessageUnread"`) {
		t.Fatalf("expected a Generic frame, got %+v", got)
	}
}

func TestFaultIDsIgnored(t *testing.T) {
	f := newFixture(t, fault.IDsIgnored)
	f.publish(unread)
	c := f.connect(t, 3, map[string]string{"Last-Event-ID": "abc"})
	c.next(t)
	f.publish(unread)
	if got := c.next(t); got.event != "MessageUnread" || got.id != "1" {
		t.Fatalf("expected a live frame with id 1 and no resync, got %+v", got)
	}
}

func TestFaultDuplicatePerTab(t *testing.T) {
	f := newFixture(t, fault.DuplicatePerTab)
	first, second := f.connect(t, 3, nil), f.connect(t, 3, nil)
	first.next(t)
	second.next(t)
	f.publish(unread)
	a, b := first.next(t), first.next(t)
	if a.id != b.id {
		t.Fatalf("expected the first tab to get one frame twice, got %+v and %+v", a, b)
	}
}

func TestFaultUnsplitData(t *testing.T) {
	f := newFixture(t, fault.UnsplitData)
	c := f.connect(t, 3, nil)
	c.next(t)
	f.publish("{\"MessageUnread\":{\n\"message_id\":17,\"chat_id\":2,\"user_id\":3}}")
	if got := c.next(t); got.data != "{" {
		t.Fatalf("expected the data cut at the first line break, got %q", got.data)
	}
}

func TestFaultNoFlushHoldsFrames(t *testing.T) {
	f := newFixture(t, fault.NoFlush)
	url := f.http.URL + "/events?access_token=" + f.token(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("expected nothing, not even headers, before the buffer fills; got %s",
			resp.Status)
	}
}
