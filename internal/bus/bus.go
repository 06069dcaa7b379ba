// Package bus plays the chat server's side of NATS: a Publisher that sends
// RealtimeEvents the way the chat server does (core publish, no headers),
// and a Tap that records everything on fechatter.realtime.> so a failure can
// say whether an event ever reached NATS.
package bus

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fechatter/notify-e2e/internal/timeouts"
)

// ClientPrefix starts the name of every NATS connection the suite opens, so
// the suite can tell its own connections from notify-server's.
const ClientPrefix = "notify-e2e "

// TapSubject is what the tap listens to: every realtime subject, however
// deep (">" is one or more tokens; "*" would be exactly one).
const TapSubject = "fechatter.realtime.>"

// Publisher publishes RealtimeEvents.
type Publisher struct {
	nc *nats.Conn
}

// Connect opens a NATS connection for publishing.
func Connect(url string) (*Publisher, error) {
	nc, err := nats.Connect(url, nats.Name(ClientPrefix+"publisher"))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	return &Publisher{nc: nc}, nil
}

// Publish sends body on subject and flushes, so that when it returns the
// server has the message.
func (p *Publisher) Publish(ctx context.Context, subject string, body []byte) error {
	if err := p.nc.Publish(subject, body); err != nil {
		return fmt.Errorf("publish on %s: %w", subject, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeouts.Delivery)
	defer cancel()
	if err := p.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("flush after publishing on %s: %w", subject, err)
	}
	return nil
}

// Close closes the connection without draining it: a Publisher has no
// subscriptions, and Publish returns only once the server has the message.
func (p *Publisher) Close() { p.nc.Close() }

// Message is one message the tap saw.
type Message struct {
	Subject string
	Data    []byte
	At      time.Time
}

// Tap records every realtime message.
type Tap struct {
	nc  *nats.Conn
	sub *nats.Subscription

	mu      sync.Mutex
	msgs    []Message
	changed chan struct{}
}

// NewTap subscribes to TapSubject and returns once the subscription is
// active on the server.
func NewTap(url string) (*Tap, error) {
	nc, err := nats.Connect(url, nats.Name(ClientPrefix+"tap"))
	if err != nil {
		return nil, fmt.Errorf("connect tap to NATS at %s: %w", url, err)
	}
	t := &Tap{nc: nc, changed: make(chan struct{})}
	t.sub, err = nc.Subscribe(TapSubject, func(m *nats.Msg) {
		t.mu.Lock()
		t.msgs = append(t.msgs, Message{Subject: m.Subject, Data: m.Data, At: time.Now()})
		close(t.changed)
		t.changed = make(chan struct{})
		t.mu.Unlock()
	})
	if err == nil {
		err = nc.Flush()
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("tap subscribe %s: %w", TapSubject, err)
	}
	return t, nil
}

// WaitFor returns the first message with this subject and body, waiting
// until ctx ends.
func (t *Tap) WaitFor(ctx context.Context, subject string, body []byte) (Message, bool) {
	for {
		t.mu.Lock()
		i := slices.IndexFunc(t.msgs, func(m Message) bool {
			return m.Subject == subject && bytes.Equal(m.Data, body)
		})
		changed := t.changed
		var m Message
		if i >= 0 {
			m = t.msgs[i]
		}
		t.mu.Unlock()
		if i >= 0 {
			return m, true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Message{}, false
		}
	}
}

// Messages returns everything seen so far.
func (t *Tap) Messages() []Message {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.msgs)
}

// Close stops the tap.
func (t *Tap) Close() { t.nc.Close() }
