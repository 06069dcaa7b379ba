package route

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// chat 2 has users 1, 2 and 3; chat 9 has users 3 and 4; user 5 is in no chat.
func members() *StaticMembership {
	m := &StaticMembership{}
	m.Join(2, 1, 2, 3)
	m.Join(9, 3, 4)
	return m
}

// render lists deliveries as "user event data" lines, which keeps expectations short.
func render(ds []Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = fmt.Sprintf("%d %s %s", d.UserID, d.Event, d.Data)
	}
	return out
}

func route(t *testing.T, r Router, body string) []string {
	t.Helper()
	_, out, err := r.Route(context.Background(), []byte(body))
	if err != nil {
		t.Fatalf("expected %s to route, got %v", body, err)
	}
	return render(out)
}

func expect(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("expected deliveries\n  %s\ngot\n  %s",
			strings.Join(want, "\n  "), strings.Join(got, "\n  "))
	}
}

const message = `{"id":"m-1","chat_id":2,"sender_id":1,"content":"hi\nthere",` +
	`"files":["a.png"],"timestamp":1764756000}`

func TestMessageReceived(t *testing.T) {
	body := `{"MessageReceived": {"message": ` + message +
		`, "chat_id": 2, "recipients": [1, 2, 3, 2]}}`
	variant := `{"message":` + message + `,"chat_id":2,"recipients":[1,2,3,2]}`

	got := route(t, Router{Members: members()}, body)

	expect(t, got, []string{
		"1 MessageReceived " + variant,
		"2 MessageReceived " + variant,
		"3 MessageReceived " + variant,
		"2 NewMessage " + message,
		"3 NewMessage " + message,
		`1 message_delivered {"message_id":"m-1","chat_id":2,"delivered_to":2}`,
	})
}

func TestMessageReceivedUsesRecipientsNotMembership(t *testing.T) {
	body := `{"MessageReceived":{"message":` + message + `,"chat_id":2,"recipients":[1,5]}}`
	got := route(t, Router{Members: members()}, body)
	if len(got) != 4 || !strings.HasPrefix(got[1], "5 MessageReceived") ||
		!strings.HasPrefix(got[2], "5 NewMessage") ||
		!strings.HasSuffix(got[3], `"delivered_to":1}`) {
		t.Fatalf("expected user 5 as the only other recipient, got %q", got)
	}
}

func TestMessageRead(t *testing.T) {
	variant := `{"message_id":17,"chat_id":2,"reader_id":1,"read_at":"2026-12-03T10:00:00+00:00"}`
	got := route(t, Router{Members: members()}, `{"MessageRead":`+variant+`}`)
	expect(t, got, []string{"2 MessageRead " + variant, "3 MessageRead " + variant})
}

func TestMessageUnreadGoesToTheUserOnly(t *testing.T) {
	variant := `{"message_id":17,"chat_id":2,"user_id":3}`
	got := route(t, Router{Members: members()}, `{"MessageUnread":`+variant+`}`)
	expect(t, got, []string{"3 MessageUnread " + variant})
}

func TestTypingStarted(t *testing.T) {
	body := `{"TypingStarted":{"chat_id":2,"user_id":3,"user_name":"Carol"}}`
	got := route(t, Router{Members: members()}, body)
	data := `{"chat_id":2,"user_id":3,"user_name":"Carol","is_typing":true}`
	expect(t, got, []string{"1 TypingStatus " + data, "2 TypingStatus " + data})
}

func TestTypingStopped(t *testing.T) {
	body := `{"TypingStopped":{"chat_id":2,"user_id":1}}`
	got := route(t, Router{Members: members()}, body)
	data := `{"chat_id":2,"user_id":1,"is_typing":false}`
	expect(t, got, []string{"2 TypingStatus " + data, "3 TypingStatus " + data})
}

func TestUserPresenceReachesChatPeersOnly(t *testing.T) {
	variant := `{"user_id":3,"status":"away","last_seen":null}`
	got := route(t, Router{Members: members()}, `{"UserPresence":`+variant+`}`)
	expect(t, got, []string{
		"1 UserPresence " + variant,
		"2 UserPresence " + variant,
		"4 UserPresence " + variant,
	})

	lonely := `{"user_id":5,"status":"online","last_seen":"2026-12-03T10:00:00Z"}`
	expect(t, route(t, Router{Members: members()}, `{"UserPresence":`+lonely+`}`), nil)
}

func TestMessageDeletedReachesTheDeleterToo(t *testing.T) {
	variant := `{"message_id":17,"chat_id":9,"deleted_by":4,"deleted_at":"2026-12-03T10:00:00Z"}`
	got := route(t, Router{Members: members()}, `{"MessageDeleted":`+variant+`}`)
	expect(t, got, []string{"3 MessageDeleted " + variant, "4 MessageDeleted " + variant})
}

func TestMembershipIsReadWhenTheEventIsHandled(t *testing.T) {
	m := members()
	m.Leave(2, 3)
	got := route(t, Router{Members: m}, `{"TypingStopped":{"chat_id":2,"user_id":1}}`)
	expect(t, got, []string{`2 TypingStatus {"chat_id":2,"user_id":1,"is_typing":false}`})
}

func TestRouteDropsBadInput(t *testing.T) {
	read := `"message_id":17,"chat_id":2,"reader_id":1,"read_at":"2026-12-03T10:00:00Z"`
	cases := map[string]struct{ body, reason string }{
		"not json":        {`hello`, "not a JSON object"},
		"json array":      {`[1]`, "not a JSON object"},
		"null":            {`null`, "null"},
		"two variants":    {`{"MessageRead":{},"MessageUnread":{}}`, "exactly one"},
		"unknown variant": {`{"MessageEdited":{"chat_id":2}}`, "unknown variant"},
		"type tagged":     {`{"type":"MessageRead",` + read + `}`, "exactly one"},
		"variant not obj": {`{"MessageRead":[1]}`, "want a JSON object"},
		"missing field": {
			`{"MessageRead":{"message_id":17,"chat_id":2,"reader_id":1}}`,
			"MessageRead.read_at: missing",
		},
		"wrong type": {
			`{"MessageRead":{` + strings.Replace(read, `"chat_id":2`, `"chat_id":"2"`, 1) + `}}`,
			"MessageRead.chat_id: want an integer, got a string",
		},
		"null field": {
			`{"MessageUnread":{"message_id":17,"chat_id":null,"user_id":3}}`,
			"got null",
		},
		"fraction": {
			`{"MessageUnread":{"message_id":1.5,"chat_id":2,"user_id":3}}`,
			"fractional",
		},
		"bad time": {
			`{"MessageRead":{` + strings.Replace(read, "2026-12-03T10:00:00Z", "yesterday", 1) +
				`}}`,
			"RFC 3339",
		},
		"bad status": {
			`{"UserPresence":{"user_id":3,"status":"busy","last_seen":null}}`,
			"status",
		},
		"missing last_seen": {
			`{"UserPresence":{"user_id":3,"status":"online"}}`, "last_seen: missing",
		},
		"message id number": {
			`{"MessageReceived":{"message":` + strings.Replace(message, `"m-1"`, "1", 1) +
				`,"chat_id":2,"recipients":[1]}}`,
			"message.id: want a string",
		},
		"recipient string": {
			`{"MessageReceived":{"message":` + message + `,"chat_id":2,"recipients":["1"]}}`,
			"recipients[0]",
		},
		"file number": {
			`{"MessageReceived":{"message":` + strings.Replace(message, `"a.png"`, "1", 1) +
				`,"chat_id":2,"recipients":[1]}}`,
			"files[0]",
		},
		"typing without name": {
			`{"TypingStarted":{"chat_id":2,"user_id":3}}`, "user_name: missing",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, out, err := Router{Members: members()}.Route(context.Background(),
				[]byte(tc.body))
			if err == nil {
				t.Fatalf("expected the event to be dropped, got %q", render(out))
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("expected a reason mentioning %q, got %q", tc.reason, err)
			}
		})
	}
}

type brokenMembership struct{}

func (brokenMembership) Members(context.Context, int64) ([]int64, error) {
	return nil, errors.New("connection refused")
}

func (brokenMembership) Peers(context.Context, int64) ([]int64, error) {
	return nil, errors.New("connection refused")
}

func TestRouteReportsMembershipFailures(t *testing.T) {
	kind, _, err := Router{Members: brokenMembership{}}.Route(context.Background(),
		[]byte(`{"TypingStopped":{"chat_id":2,"user_id":1}}`))
	if err == nil || kind != KindTypingStopped || !strings.Contains(err.Error(), "chat 2") {
		t.Fatalf("expected a membership error for chat 2, got kind %q and %v", kind, err)
	}
}

func TestGenericNamesWrapsEveryEvent(t *testing.T) {
	r := Router{Members: members(), GenericNames: true}
	got := route(t, r, `{"MessageUnread":{"message_id":17,"chat_id":2,"user_id":3}}`)
	expect(t, got, []string{
		`3 Generic {"type":"MessageUnread","data":{"message_id":17,"chat_id":2,"user_id":3}}`,
	})
}

func TestTypeTaggedDropsVariantKeyedBodies(t *testing.T) {
	r := Router{Members: members(), TypeTagged: true}
	_, _, err := r.Route(context.Background(),
		[]byte(`{"MessageUnread":{"message_id":17,"chat_id":2,"user_id":3}}`))
	if err == nil || !strings.Contains(err.Error(), "type: missing") {
		t.Fatalf("expected a variant-keyed body to be dropped, got %v", err)
	}
	got := route(t, r, `{"type":"MessageUnread","message_id":17,"chat_id":2,"user_id":3}`)
	if len(got) != 1 || !strings.HasPrefix(got[0], "3 MessageUnread") {
		t.Fatalf("expected the type-tagged body to route, got %q", got)
	}
}

func TestRawDataKeepsPublishedWhitespace(t *testing.T) {
	body := "{\"MessageUnread\": {\n  \"message_id\": 17,\n  \"chat_id\": 2,\n  \"user_id\": 3\n}}"
	got := route(t, Router{Members: members(), RawData: true}, body)
	want := "3 MessageUnread {\n  \"message_id\": 17,\n  \"chat_id\": 2,\n  \"user_id\": 3\n}"
	expect(t, got, []string{want})

	compact := route(t, Router{Members: members()}, body)
	expect(t, compact, []string{`3 MessageUnread {"message_id":17,"chat_id":2,"user_id":3}`})
}
