package server

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/fechatter/notify-e2e/internal/notify/fault"
)

// startNATS runs an in-process NATS server on a random loopback port.
func startNATS(t *testing.T) *nats.Conn {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(5 * time.Second) {
		t.Fatal("expected the NATS server to accept connections within 5s")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := ConnectNATS(ctx, ns.ClientURL(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// subscribed wires f's server to NATS as main does and returns the publishing side.
func subscribed(t *testing.T, f *fixture, subjects ...string) (*nats.Conn, *Subscription) {
	t.Helper()
	nc := startNATS(t)
	sub, err := Subscribe(nc, subjects, "", f.srv.Log)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Check(); err != nil {
		t.Fatalf("expected active subscriptions, got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go f.srv.Consume(ctx, sub.Inbox)
	return nc, sub
}

func publish(t *testing.T, nc *nats.Conn, subject, body string) {
	t.Helper()
	if err := nc.Publish(subject, []byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

const read = `{"MessageRead":{"message_id":17,"chat_id":2,"reader_id":1,` +
	`"read_at":"2026-12-03T10:00:00Z"}}`

func TestEventsOfOneChatKeepPublishOrderAcrossSubjects(t *testing.T) {
	f := newFixture(t)
	nc, _ := subscribed(t, f, "fechatter.realtime.>")
	c := f.connect(t, 3, nil)
	c.next(t)

	for range 50 {
		publish(t, nc, "fechatter.realtime.chat.2.read", read)
		publish(t, nc, "fechatter.realtime.chat.2.unread", unread)
	}

	for i := range 100 {
		want := "MessageRead"
		if i%2 == 1 {
			want = "MessageUnread"
		}
		if got := c.next(t); got.event != want {
			t.Fatalf("frame %d: expected %s, got %+v", i, want, got)
		}
	}
}

func TestBadInputDoesNotStopDelivery(t *testing.T) {
	f := newFixture(t)
	nc, _ := subscribed(t, f, "fechatter.realtime.>")
	c := f.connect(t, 3, nil)
	c.next(t)

	for _, bad := range []string{"not json", `{"Nope":{}}`, `{"MessageUnread":{}}`} {
		publish(t, nc, "fechatter.realtime.chat.2.unread", bad)
	}
	publish(t, nc, "fechatter.realtime.chat.2.unread", unread)

	if got := c.next(t); got.event != "MessageUnread" {
		t.Fatalf("expected the valid event after bad ones, got %+v", got)
	}
}

func TestFaultPoisonMessageStopsTheSubscription(t *testing.T) {
	f := newFixture(t, fault.PoisonMessage)
	nc, sub := subscribed(t, f, "fechatter.realtime.>")
	c := f.connect(t, 3, nil)
	c.next(t)

	publish(t, nc, "fechatter.realtime.chat.2.unread", "not json")
	publish(t, nc, "fechatter.realtime.chat.2.unread", unread)

	c.silent(t, 200*time.Millisecond)
	if sub.subs[0].IsValid() {
		t.Fatal("expected the subscription to be gone")
	}
}
