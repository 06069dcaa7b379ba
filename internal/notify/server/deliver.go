package server

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fechatter/notify-e2e/internal/notify/fault"
	"github.com/fechatter/notify-e2e/internal/notify/hub"
)

// RouteTimeout bounds the membership lookups of one event.
const RouteTimeout = 5 * time.Second

// maxFanoutDelay is the random delay per event of the concurrent-fanout fault, long
// enough that events published back to back overtake each other.
const maxFanoutDelay = 20 * time.Millisecond

// Consume handles messages from every subscription, one at a time, until ctx ends or
// msgs is closed. One goroutine for all subjects is what keeps the events of one chat
// in publish order across its subjects.
func (s *Server) Consume(ctx context.Context, msgs <-chan *nats.Msg) {
	// Subscriptions the poison-message fault stopped; messages of theirs
	// already queued in msgs are dropped too, as a dead handler drops them.
	dead := map[*nats.Subscription]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			if m.Sub != nil && dead[m.Sub] {
				continue
			}
			if s.Faults.On(fault.PoisonMessage) && !json.Valid(m.Data) {
				dead[m.Sub] = true
				s.poisoned(m)
				continue
			}
			if s.Faults.On(fault.ConcurrentFanout) {
				go func() {
					time.Sleep(rand.N(maxFanoutDelay))
					s.Deliver(ctx, m.Subject, m.Data)
				}()
				continue
			}
			s.Deliver(ctx, m.Subject, m.Data)
		}
	}
}

// poisoned stops the subscription the bad message came on, as a handler that returns
// an error instead of skipping the message would.
func (s *Server) poisoned(m *nats.Msg) {
	subject := ""
	if m.Sub != nil {
		subject = m.Sub.Subject
		if err := m.Sub.Unsubscribe(); err != nil {
			s.Log.Error("unsubscribe failed", "subject", subject, "error", err.Error())
		}
	}
	s.Log.Error("subscription stopped by a body that is not JSON", "subject", m.Subject,
		"subscription", subject, "fault", fault.PoisonMessage)
}

// Deliver routes one published body and queues its frames. Bad input is logged and
// dropped; it never stops the loop.
func (s *Server) Deliver(ctx context.Context, subject string, body []byte) {
	ctx, cancel := context.WithTimeout(ctx, RouteTimeout)
	defer cancel()
	kind, out, err := s.Router.Route(ctx, body)
	if err != nil {
		s.Log.Warn("event dropped", "subject", subject, "kind", orUnknown(kind),
			"reason", err.Error(), "bytes", len(body))
		return
	}
	msgs := make([]hub.Message, len(out))
	for i, d := range out {
		msgs[i] = hub.Message{UserID: d.UserID, Event: d.Event, Data: d.Data}
	}
	if s.Faults.On(fault.Broadcast) {
		msgs = broadcast(msgs, s.Hub.Users())
	}
	n := s.Hub.Publish(msgs)
	s.Log.Info("event routed", "kind", kind, "subject", subject, "connections", n,
		"frames", len(msgs), "users", countUsers(msgs))
}

// broadcast sends each distinct frame of an event to every connected user, ignoring
// who it was meant for.
func broadcast(msgs []hub.Message, users []int64) []hub.Message {
	var frames []hub.Message
	for _, m := range msgs {
		seen := false
		for _, f := range frames {
			if f.Event == m.Event && bytes.Equal(f.Data, m.Data) {
				seen = true
				break
			}
		}
		if !seen {
			frames = append(frames, m)
		}
	}
	var out []hub.Message
	for _, f := range frames {
		for _, u := range users {
			out = append(out, hub.Message{UserID: u, Event: f.Event, Data: f.Data})
		}
	}
	return out
}

func countUsers(msgs []hub.Message) int {
	users := map[int64]bool{}
	for _, m := range msgs {
		users[m.UserID] = true
	}
	return len(users)
}

// orUnknown names the kind of an event that failed before its variant was known.
func orUnknown(kind string) string {
	if kind == "" {
		return "unknown"
	}
	return kind
}
