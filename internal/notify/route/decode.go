package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// The seven RealtimeEvent variants the chat server publishes.
const (
	KindMessageReceived = "MessageReceived"
	KindMessageRead     = "MessageRead"
	KindMessageUnread   = "MessageUnread"
	KindTypingStarted   = "TypingStarted"
	KindTypingStopped   = "TypingStopped"
	KindUserPresence    = "UserPresence"
	KindMessageDeleted  = "MessageDeleted"
)

var kinds = []string{
	KindMessageReceived, KindMessageRead, KindMessageUnread, KindTypingStarted,
	KindTypingStopped, KindUserPresence, KindMessageDeleted,
}

// Event is one decoded RealtimeEvent. Only the fields of Kind are set; Body is the
// variant's object exactly as published, which several outputs forward unchanged.
type Event struct {
	Kind string
	Body json.RawMessage

	ChatID     int64
	UserID     int64 // MessageUnread, Typing*, UserPresence
	ActorID    int64 // reader_id of MessageRead, deleted_by of MessageDeleted
	UserName   string
	Message    Message // MessageReceived
	Recipients []int64 // MessageReceived
}

// Message is the `message` object of MessageReceived.
type Message struct {
	ID       string
	ChatID   int64
	SenderID int64
	Body     json.RawMessage
}

// Decode reads a variant-keyed body such as {"MessageRead":{...}} and checks that every
// field the contract lists is present with its type. Unknown extra fields are allowed so
// a newer chat server does not silence an older notify-server.
func Decode(body []byte) (Event, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return Event{}, fmt.Errorf("body is not a JSON object: %w", err)
	}
	if top == nil {
		return Event{}, errors.New("body is null, not a JSON object")
	}
	if len(top) != 1 {
		keys := make([]string, 0, len(top))
		for k := range top {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return Event{}, fmt.Errorf("want exactly one variant key, got %v", keys)
	}
	for kind, inner := range top {
		return decodeVariant(kind, inner)
	}
	panic("unreachable")
}

// DecodeTypeTagged reads {"type":"MessageRead",...} with the fields beside the tag. It is
// the shape production wrongly expected, kept only for the wrong-shape fault: real
// variant-keyed bodies have no type field and are dropped.
func DecodeTypeTagged(body []byte) (Event, error) {
	o, err := readObject("body", body)
	if err != nil {
		return Event{}, err
	}
	kind := o.str("type")
	if o.err != nil {
		return Event{}, o.err
	}
	return decodeVariant(kind, body)
}

func decodeVariant(kind string, inner json.RawMessage) (Event, error) {
	if !slices.Contains(kinds, kind) {
		return Event{}, fmt.Errorf("unknown variant %q", kind)
	}
	o, err := readObject(kind, inner)
	if err != nil {
		return Event{}, err
	}
	ev := Event{Kind: kind, Body: inner}
	switch kind {
	case KindMessageReceived:
		m := o.obj("message")
		if m != nil {
			ev.Message = Message{
				ID:       m.str("id"),
				ChatID:   m.int("chat_id"),
				SenderID: m.int("sender_id"),
				Body:     m.raw,
			}
			m.str("content")
			m.strs("files")
			m.int("timestamp")
			o.adopt(m)
		}
		ev.ChatID = o.int("chat_id")
		ev.Recipients = o.ints("recipients")
	case KindMessageRead:
		o.int("message_id")
		ev.ChatID = o.int("chat_id")
		ev.ActorID = o.int("reader_id")
		o.time("read_at")
	case KindMessageUnread:
		o.int("message_id")
		ev.ChatID = o.int("chat_id")
		ev.UserID = o.int("user_id")
	case KindTypingStarted:
		ev.ChatID = o.int("chat_id")
		ev.UserID = o.int("user_id")
		ev.UserName = o.str("user_name")
	case KindTypingStopped:
		ev.ChatID = o.int("chat_id")
		ev.UserID = o.int("user_id")
	case KindUserPresence:
		ev.UserID = o.int("user_id")
		if s := o.str("status"); o.err == nil && !slices.Contains(presence, s) {
			o.fail("status", fmt.Errorf("%q is not one of %v", s, presence))
		}
		o.nullableTime("last_seen")
	case KindMessageDeleted:
		o.int("message_id")
		ev.ChatID = o.int("chat_id")
		ev.ActorID = o.int("deleted_by")
		o.time("deleted_at")
	}
	if o.err != nil {
		return Event{}, o.err
	}
	return ev, nil
}

var presence = []string{"online", "away", "offline"}

// object reads required fields of one JSON object and keeps the first problem, so a
// variant decodes as a flat list of field reads followed by one error check.
type object struct {
	path   string
	raw    json.RawMessage
	fields map[string]json.RawMessage
	err    error
}

func readObject(path string, raw json.RawMessage) (*object, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("%s: want a JSON object, got %s", path, kindOf(raw))
	}
	return &object{path: path, raw: raw, fields: fields}, nil
}

func (o *object) fail(name string, err error) {
	if o.err == nil {
		o.err = fmt.Errorf("%s.%s: %w", o.path, name, err)
	}
}

// adopt keeps the first error of a nested object.
func (o *object) adopt(child *object) {
	if o.err == nil {
		o.err = child.err
	}
}

// field decodes name into dst. A null counts as the wrong type: encoding/json would
// leave dst unchanged and hide a missing value.
func (o *object) field(name, want string, dst any) bool {
	raw, ok := o.fields[name]
	if !ok {
		o.fail(name, errors.New("missing"))
		return false
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		o.fail(name, fmt.Errorf("want %s, got null", want))
		return false
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		o.fail(name, fmt.Errorf("want %s, got %s", want, kindOf(raw)))
		return false
	}
	return true
}

func (o *object) int(name string) int64 {
	var v int64
	o.field(name, "an integer", &v)
	return v
}

func (o *object) str(name string) string {
	var v string
	o.field(name, "a string", &v)
	return v
}

func (o *object) ints(name string) []int64 {
	var items []json.RawMessage
	if !o.field(name, "an array of integers", &items) {
		return nil
	}
	out := make([]int64, len(items))
	for i, item := range items {
		if bytes.Equal(bytes.TrimSpace(item), []byte("null")) ||
			json.Unmarshal(item, &out[i]) != nil {
			o.fail(fmt.Sprintf("%s[%d]", name, i),
				fmt.Errorf("want an integer, got %s", kindOf(item)))
			return nil
		}
	}
	return out
}

func (o *object) strs(name string) []string {
	var items []json.RawMessage
	if !o.field(name, "an array of strings", &items) {
		return nil
	}
	out := make([]string, len(items))
	for i, item := range items {
		if bytes.Equal(bytes.TrimSpace(item), []byte("null")) ||
			json.Unmarshal(item, &out[i]) != nil {
			o.fail(fmt.Sprintf("%s[%d]", name, i),
				fmt.Errorf("want a string, got %s", kindOf(item)))
			return nil
		}
	}
	return out
}

func (o *object) obj(name string) *object {
	var raw json.RawMessage
	if !o.field(name, "an object", &raw) {
		return nil
	}
	child, err := readObject(o.path+"."+name, raw)
	if err != nil {
		if o.err == nil {
			o.err = err
		}
		return nil
	}
	return child
}

func (o *object) time(name string) {
	s := o.str(name)
	if o.err != nil {
		return
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		o.fail(name, fmt.Errorf("%q is not an RFC 3339 time", s))
	}
}

func (o *object) nullableTime(name string) {
	raw, ok := o.fields[name]
	if !ok {
		o.fail(name, errors.New("missing"))
		return
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return
	}
	o.time(name)
}

// kindOf names the JSON type of raw for error messages.
func kindOf(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		if bytes.ContainsAny(t, ".eE") {
			return "a fractional number " + string(t)
		}
		return "a number " + string(t)
	}
}
