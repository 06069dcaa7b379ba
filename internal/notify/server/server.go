// Package server is the notify-server itself: the SSE endpoint, the health check and
// the loop that turns NATS messages into routed frames.
package server

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fechatter/notify-e2e/internal/notify/auth"
	"github.com/fechatter/notify-e2e/internal/notify/fault"
	"github.com/fechatter/notify-e2e/internal/notify/hub"
	"github.com/fechatter/notify-e2e/internal/notify/route"
)

// Server holds what the endpoints and the event loop share.
type Server struct {
	Hub       *hub.Hub
	Router    route.Router
	PublicKey ed25519.PublicKey
	Heartbeat time.Duration
	Faults    fault.Set
	Log       *slog.Logger
	// Health reports why the replica cannot serve yet; nil means healthy.
	Health func(ctx context.Context) error
	// Closing is closed at shutdown so open streams end; http.Server.Shutdown alone
	// would wait for them forever.
	Closing <-chan struct{}
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time
}

// HealthTimeout bounds one health check, database ping included.
const HealthTimeout = 2 * time.Second

// Handler serves GET /events and GET /health.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("GET /health", s.health)
	return mux
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), HealthTimeout)
	defer cancel()
	if s.Health != nil {
		if err := s.Health(ctx); err != nil {
			http.Error(w, "unhealthy: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	claims, err := s.verify(bearer(r))
	if err != nil {
		s.Log.Info("token refused", "reason", err.Error(), "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="fechatter"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	userID := claims.User.ID

	lastID, resume := lastEventID(r)
	if s.Faults.On(fault.IDsIgnored) {
		resume = false
	}
	conn := s.Hub.Register(userID, uuid.NewString(), lastID, resume)
	s.Log.Info("connection registered", "user_id", userID, "connection_id", conn.ID,
		"last_event_id", lastID, "replay", len(conn.Backlog), "resync", conn.Resync)
	reason := "client gone"
	defer func() {
		s.Hub.Unregister(conn)
		s.Log.Info("connection closed", "user_id", userID, "connection_id", conn.ID,
			"reason", reason)
	}()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	if s.Faults.On(fault.WrongContentType) {
		h.Set("Content-Type", "text/plain")
	}
	h.Set("Cache-Control", "no-cache")
	if !s.Faults.On(fault.NoAccelHeader) {
		h.Set("X-Accel-Buffering", "no")
	}
	w.WriteHeader(http.StatusOK)

	out := newStream(w, s.Faults.On(fault.NoFlush))
	out.unsplit = s.Faults.On(fault.UnsplitData)
	out.ownIDs = s.Faults.On(fault.IDsIgnored)
	if s.Faults.On(fault.UnregisterAfterFirstFrame) {
		// Forgotten as the welcome frame goes out: done just before writing it,
		// so no event can slip in between the frame and the unregistration.
		s.Hub.Unregister(conn)
		s.Log.Warn("connection unregistered after first frame", "user_id", userID,
			"connection_id", conn.ID, "fault", fault.UnregisterAfterFirstFrame)
	}
	if err := out.confirmed(userID, conn.ID); err != nil {
		reason = "write failed: " + err.Error()
		return
	}
	reason = s.serve(r.Context(), out, conn)
}

// serve writes the resync notice or the replay, then live frames, until the stream
// ends; it returns why it ended.
func (s *Server) serve(ctx context.Context, out *stream, conn *hub.Conn) string {
	if conn.Resync != "" {
		if err := out.resync(conn.Resync); err != nil {
			return "write failed: " + err.Error()
		}
	}
	for _, f := range conn.Backlog {
		if err := out.routed(f); err != nil {
			return "write failed: " + err.Error()
		}
	}

	// A nil channel never fires, which is how no-heartbeat stays silent.
	var beat <-chan time.Time
	var timer *time.Timer
	if !s.Faults.On(fault.NoHeartbeat) {
		timer = time.NewTimer(s.Heartbeat)
		defer timer.Stop()
		beat = timer.C
	}
	for {
		var err error
		select {
		case <-ctx.Done():
			return "client gone"
		case <-s.Closing:
			return "server shutting down"
		case <-conn.Dropped():
			return "dropped: send queue full"
		case f := <-conn.Frames():
			err = out.routed(f)
		case <-beat:
			err = out.heartbeat()
		}
		if err != nil {
			return "write failed: " + err.Error()
		}
		// Heartbeats fill silence only, so every write restarts the wait.
		if timer != nil {
			timer.Reset(s.Heartbeat)
		}
	}
}

func (s *Server) verify(token string) (auth.Claims, error) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	if s.Faults.On(fault.ExpiredTokensAccepted) {
		return auth.VerifyIgnoringExpiry(token, s.PublicKey, now)
	}
	return auth.Verify(token, s.PublicKey, now)
}

// bearer takes the token from ?access_token=, which EventSource needs because it cannot
// set headers, or from an Authorization: Bearer header.
func bearer(r *http.Request) string {
	if t := r.URL.Query().Get("access_token"); t != "" {
		return t
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	return ""
}

// lastEventID reads the Last-Event-ID header EventSource sends on reconnect, or the
// lastEventId query parameter clients use when they reconnect by hand.
func lastEventID(r *http.Request) (string, bool) {
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		return v, true
	}
	if v := r.URL.Query().Get("lastEventId"); v != "" {
		return v, true
	}
	return "", false
}

// errNotReady is what Health returns before subscriptions are flushed.
var errNotReady = errors.New("NATS subscriptions not active yet")
