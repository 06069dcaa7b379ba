// Package route turns a RealtimeEvent into the SSE events each user receives, following
// the routing table of the delivery contract.
package route

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// SSE event names the browser listens for, besides the variant names themselves.
const (
	EventNewMessage       = "NewMessage"
	EventMessageDelivered = "message_delivered"
	EventTypingStatus     = "TypingStatus"
	EventGeneric          = "Generic"
)

// Membership answers who is in a chat now. Routing asks at the time it handles an event,
// so a user who left a chat stops receiving its events at once.
type Membership interface {
	// Members lists the users currently in chatID.
	Members(ctx context.Context, chatID int64) ([]int64, error)
	// Peers lists the users sharing at least one chat with userID, not userID itself.
	Peers(ctx context.Context, userID int64) ([]int64, error)
}

// Delivery is one SSE event for one user.
type Delivery struct {
	UserID int64
	Event  string
	Data   []byte
}

// Router decides receivers and payloads. The flags reproduce fault switches.
type Router struct {
	Members Membership
	// RawData forwards published JSON as it came, whitespace and line breaks included,
	// instead of compacting it (unsplit-data).
	RawData bool
	// TypeTagged decodes {"type":...} bodies instead of variant-keyed ones (wrong-shape).
	TypeTagged bool
	// GenericNames wraps every event as Generic {"type","data"} (generic-names).
	GenericNames bool
}

// Route decodes body and returns its deliveries in the order each user must see them.
// The error says why the event is dropped; Kind is set whenever decoding got that far.
func (r Router) Route(ctx context.Context, body []byte) (kind string, out []Delivery,
	err error) {
	decode := Decode
	if r.TypeTagged {
		decode = DecodeTypeTagged
	}
	ev, err := decode(body)
	if err != nil {
		return "", nil, err
	}
	out, err = r.deliveries(ctx, ev)
	if err != nil {
		return ev.Kind, nil, err
	}
	if r.GenericNames {
		for i, d := range out {
			out[i].Event = EventGeneric
			out[i].Data = mustJSON(struct {
				Type string          `json:"type"`
				Data json.RawMessage `json:"data"`
			}{d.Event, d.Data})
		}
	}
	return ev.Kind, out, nil
}

func (r Router) deliveries(ctx context.Context, ev Event) ([]Delivery, error) {
	body := r.payload(ev.Body)
	switch ev.Kind {
	case KindMessageReceived:
		return r.messageReceived(ev, body), nil
	case KindMessageUnread:
		// Only the reader's own other tabs care that a message went back to unread.
		return to([]int64{ev.UserID}, ev.Kind, body), nil
	case KindUserPresence:
		peers, err := r.Members.Peers(ctx, ev.UserID)
		if err != nil {
			return nil, fmt.Errorf("look up chat peers of user %d: %w", ev.UserID, err)
		}
		return to(without(peers, ev.UserID), ev.Kind, body), nil
	}

	members, err := r.Members.Members(ctx, ev.ChatID)
	if err != nil {
		return nil, fmt.Errorf("look up members of chat %d: %w", ev.ChatID, err)
	}
	switch ev.Kind {
	case KindMessageRead:
		return to(without(members, ev.ActorID), ev.Kind, body), nil
	case KindTypingStarted, KindTypingStopped:
		status := typingStatus{ChatID: ev.ChatID, UserID: ev.UserID}
		if ev.Kind == KindTypingStarted {
			status.UserName = &ev.UserName
			status.IsTyping = true
		}
		return to(without(members, ev.UserID), EventTypingStatus, mustJSON(status)), nil
	case KindMessageDeleted:
		// The deleter's other tabs need the deletion too, so the deleter is not excluded.
		return to(members, ev.Kind, body), nil
	}
	return nil, fmt.Errorf("no route for variant %q", ev.Kind)
}

type typingStatus struct {
	ChatID   int64   `json:"chat_id"`
	UserID   int64   `json:"user_id"`
	UserName *string `json:"user_name,omitempty"`
	IsTyping bool    `json:"is_typing"`
}

type delivered struct {
	MessageID   string `json:"message_id"`
	ChatID      int64  `json:"chat_id"`
	DeliveredTo int    `json:"delivered_to"`
}

// messageReceived emits every MessageReceived before any NewMessage or
// message_delivered, which keeps the contract's order on each user's stream.
func (r Router) messageReceived(ev Event, body []byte) []Delivery {
	recipients := distinct(ev.Recipients)
	others := without(recipients, ev.Message.SenderID)
	out := to(recipients, ev.Kind, body)
	out = append(out, to(others, EventNewMessage, r.payload(ev.Message.Body))...)
	receipt := delivered{
		MessageID:   ev.Message.ID,
		ChatID:      ev.ChatID,
		DeliveredTo: len(others),
	}
	return append(out, Delivery{
		UserID: ev.Message.SenderID,
		Event:  EventMessageDelivered,
		Data:   mustJSON(receipt),
	})
}

// payload is published JSON as the stream carries it: compact, so it fits one data:
// line, unless the unsplit-data fault keeps it raw.
func (r Router) payload(raw json.RawMessage) []byte {
	if r.RawData {
		return bytes.Clone(raw)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		// Decode already parsed raw, so it is valid JSON.
		panic(fmt.Sprintf("compact decoded JSON: %v", err))
	}
	return buf.Bytes()
}

func to(users []int64, event string, data []byte) []Delivery {
	out := make([]Delivery, 0, len(users))
	for _, u := range distinct(users) {
		out = append(out, Delivery{UserID: u, Event: event, Data: data})
	}
	return out
}

// distinct keeps the first occurrence of each user, in order.
func distinct(users []int64) []int64 {
	seen := make(map[int64]bool, len(users))
	out := make([]int64, 0, len(users))
	for _, u := range users {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

func without(users []int64, drop int64) []int64 {
	out := make([]int64, 0, len(users))
	for _, u := range users {
		if u != drop {
			out = append(out, u)
		}
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err))
	}
	return b
}
