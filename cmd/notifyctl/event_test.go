package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

// now and fresh pin the two defaults a body takes from outside the flags.
var now = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func fresh() int64 { return 900 }

// flagsFrom parses args as publish does.
func flagsFrom(t *testing.T, args ...string) eventFlags {
	t.Helper()
	var f eventFlags
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return f
}

func TestEveryVariantIsBuiltFromItsFlags(t *testing.T) {
	cases := []struct {
		variant, args, subject, body string
	}{{
		"MessageReceived", "--chat 1 --sender 1 --recipients 1,2,3 --message 17 --content hi",
		"fechatter.realtime.chat.1",
		`{"MessageReceived":{"message":{"id":"17","chat_id":1,"sender_id":1,"content":"hi",` +
			`"files":[],"timestamp":1796292000},"chat_id":1,"recipients":[1,2,3]}}`,
	}, {
		"MessageReceived", "--chat 1 --sender 2 --recipients 2 --recipients 4 " +
			"--files /a.pdf,/b.png --timestamp 5",
		"fechatter.realtime.chat.1",
		`{"MessageReceived":{"message":{"id":"900","chat_id":1,"sender_id":2,` +
			`"content":"hello from notifyctl","files":["/a.pdf","/b.png"],"timestamp":5},` +
			`"chat_id":1,"recipients":[2,4]}}`,
	}, {
		"MessageRead", "--chat 2 --message 17 --reader 5",
		"fechatter.realtime.chat.2.read",
		`{"MessageRead":{"message_id":17,"chat_id":2,"reader_id":5,` +
			`"read_at":"2026-12-03T10:00:00Z"}}`,
	}, {
		"MessageRead", "--chat 2 --reader 5 --read-at 2026-12-03T10:00:00+00:00",
		"fechatter.realtime.chat.2.read",
		`{"MessageRead":{"message_id":900,"chat_id":2,"reader_id":5,` +
			`"read_at":"2026-12-03T10:00:00+00:00"}}`,
	}, {
		"MessageUnread", "--chat 2 --message 17 --user 5",
		"fechatter.realtime.chat.2.unread",
		`{"MessageUnread":{"message_id":17,"chat_id":2,"user_id":5}}`,
	}, {
		"TypingStarted", "--chat 2 --user 5",
		"fechatter.realtime.chat.2.typing",
		`{"TypingStarted":{"chat_id":2,"user_id":5,"user_name":"User 5"}}`,
	}, {
		"TypingStarted", "--chat 2 --user 5 --name Alice",
		"fechatter.realtime.chat.2.typing",
		`{"TypingStarted":{"chat_id":2,"user_id":5,"user_name":"Alice"}}`,
	}, {
		"TypingStopped", "--chat 2 --user 5",
		"fechatter.realtime.chat.2.typing",
		`{"TypingStopped":{"chat_id":2,"user_id":5}}`,
	}, {
		"UserPresence", "--user 5",
		"fechatter.realtime.user.5.presence",
		`{"UserPresence":{"user_id":5,"status":"online","last_seen":null}}`,
	}, {
		"UserPresence", "--user 5 --status away --last-seen 2026-12-03T09:59:00Z",
		"fechatter.realtime.user.5.presence",
		`{"UserPresence":{"user_id":5,"status":"away","last_seen":"2026-12-03T09:59:00Z"}}`,
	}, {
		"MessageDeleted", "--chat 2 --message 17 --deleted-by 1",
		"fechatter.realtime.chat.2.deleted",
		`{"MessageDeleted":{"message_id":17,"chat_id":2,"deleted_by":1,` +
			`"deleted_at":"2026-12-03T10:00:00Z"}}`,
	}}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.variant] = true
		t.Run(c.variant+" "+c.args, func(t *testing.T) {
			args := strings.Fields(c.args)
			// The timestamp default is the clock; pin it where not given.
			if c.variant == "MessageReceived" && !strings.Contains(c.args, "--timestamp") {
				args = append(args, "--timestamp", "1796292000")
			}
			subject, body, err := buildEvent(c.variant, flagsFrom(t, args...), now, fresh)
			if err != nil {
				t.Fatalf("expected a body, got error: %v", err)
			}
			if subject != c.subject {
				t.Errorf("subject: expected %s, got %s", c.subject, subject)
			}
			if string(body) != c.body {
				t.Errorf("body:\nexpected %s\n     got %s", c.body, body)
			}
		})
	}
	for v := range variants {
		if !seen[v] {
			t.Errorf("variant %s has no case here", v)
		}
	}
}

func TestAMissingOrForeignFieldIsRefused(t *testing.T) {
	cases := []struct{ variant, args, want string }{
		{"MessageReceived", "--chat 1 --sender 1", "MessageReceived needs --recipients"},
		{"MessageRead", "--chat 2", "MessageRead needs --reader"},
		{"UserPresence", "--status away", "UserPresence needs --user"},
		{"MessageRead", "--chat 2 --reader 5 --sender 1",
			"MessageRead has no field for --sender; its flags are --chat, --reader, " +
				"--message, --read-at"},
		{"TypingStopped", "--chat 2 --user 5 --name x", "has no field for --name"},
	}
	for _, c := range cases {
		_, _, err := buildEvent(c.variant, flagsFrom(t, strings.Fields(c.args)...), now, fresh)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: expected an error containing %q, got %v",
				c.variant, c.args, c.want, err)
		}
	}
}

func TestVariantNamesAreTakenInAnyCase(t *testing.T) {
	if got, err := variantNamed("messageread"); err != nil || got != "MessageRead" {
		t.Errorf("expected MessageRead, got %q (%v)", got, err)
	}
	if _, err := variantNamed("MessageSent"); err == nil ||
		!strings.Contains(err.Error(), "MessageReceived") {
		t.Errorf("expected an error listing the variants, got %v", err)
	}
}

func TestFixtureIDsTakeSetOnesAndFillTheRest(t *testing.T) {
	ids, err := fixtureIDs([]string{"alice", "chat", "msg", "sender"},
		[]string{"sender=1", "alice=2"}, fresh)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"sender": 1, "alice": 2, "chat": 900, "msg": 900}
	for k, v := range want {
		if ids[k] != v {
			t.Errorf("%s: expected %d, got %d", k, v, ids[k])
		}
	}
	if _, err := fixtureIDs([]string{"chat"}, []string{"bob=3"}, fresh); err == nil ||
		!strings.Contains(err.Error(), "the fixture has chat") {
		t.Errorf("expected an error naming the placeholders, got %v", err)
	}
}
