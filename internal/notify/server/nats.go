package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// QueueGroup is the group the queue-group fault joins; replicas in one group split the
// events between them instead of each receiving all.
const QueueGroup = "notify"

// InboxSize is the channel all subscriptions share. NATS drops messages (slow consumer)
// when it is full, so it is sized for bursts far beyond what one replica routes.
const InboxSize = 65536

// ConnectNATS dials url, retrying until ctx ends, because containers start in any
// order. Once connected the client reconnects forever and resubscribes by itself.
func ConnectNATS(ctx context.Context, url string, log *slog.Logger) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name("notify-server"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			// A nil error is our own Close or Drain at shutdown, not news.
			if err != nil {
				log.Warn("nats disconnected", "error", err.Error())
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Error("nats error", "subject", subject, "error", err.Error())
		}),
	}
	for attempt := 1; ; attempt++ {
		nc, err := nats.Connect(url, opts...)
		if err == nil {
			log.Info("nats connected", "url", nc.ConnectedUrlRedacted(), "attempt", attempt)
			return nc, nil
		}
		log.Info("nats not reachable yet", "url", url, "attempt", attempt,
			"error", err.Error())
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect to NATS at %s: %w (gave up: %v)",
				url, err, context.Cause(ctx))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Subscription is every subject this replica listens on, all feeding one channel.
type Subscription struct {
	Inbox chan *nats.Msg
	subs  []*nats.Subscription
	nc    *nats.Conn
	ready atomic.Bool
}

// Subscribe listens on subjects, in queue group queue when it is not empty, and
// flushes so the server has the interest before anyone is told the replica is ready.
func Subscribe(nc *nats.Conn, subjects []string, queue string, log *slog.Logger) (
	*Subscription, error) {
	s := &Subscription{Inbox: make(chan *nats.Msg, InboxSize), nc: nc}
	for _, subject := range subjects {
		var sub *nats.Subscription
		var err error
		if queue != "" {
			sub, err = nc.ChanQueueSubscribe(subject, queue, s.Inbox)
		} else {
			sub, err = nc.ChanSubscribe(subject, s.Inbox)
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("subscribe to %s: %w", subject, err)
		}
		s.subs = append(s.subs, sub)
		log.Info("subscribed", "subject", subject, "queue_group", queue)
	}
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		s.Close()
		return nil, fmt.Errorf("flush subscriptions to %s: %w", nc.ConnectedUrlRedacted(), err)
	}
	s.ready.Store(true)
	return s, nil
}

// Check reports whether the subscriptions can receive events now.
func (s *Subscription) Check() error {
	if s == nil || !s.ready.Load() {
		return errNotReady
	}
	if !s.nc.IsConnected() {
		return fmt.Errorf("NATS connection is %s", status(s.nc))
	}
	return nil
}

// Close unsubscribes every subject.
func (s *Subscription) Close() {
	s.ready.Store(false)
	for _, sub := range s.subs {
		_ = sub.Unsubscribe()
	}
}

func status(nc *nats.Conn) string {
	switch nc.Status() {
	case nats.CONNECTED:
		return "connected"
	case nats.RECONNECTING:
		return "reconnecting"
	case nats.CLOSED:
		return "closed"
	case nats.DISCONNECTED:
		return "disconnected"
	default:
		return fmt.Sprintf("in state %d", nc.Status())
	}
}
