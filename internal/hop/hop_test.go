package hop

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const alice = "user 7 (alice)"

func TestDiff(t *testing.T) {
	read := Want{"MessageRead", `{"chat_id":1,"user_id":7,"message_id":42}`}
	sent := Want{"MessageReceived", `{"chat_id":1,"id":43,"content":"hi"}`}
	got := func(ws ...Want) []Got {
		gs := make([]Got, len(ws))
		for i, w := range ws {
			gs[i] = Got{Name: w.Name, Data: w.Data}
		}
		return gs
	}

	tests := []struct {
		name string
		want []Want
		got  []Got
		kind Kind
		// text holds what the problem's text must mention.
		text []string
	}{
		{
			name: "exact match",
			want: []Want{read, sent},
			got:  got(read, sent),
		},
		{
			name: "JSON field order and whitespace do not matter",
			want: []Want{read},
			got: []Got{{Name: "MessageRead",
				Data: "{ \"message_id\": 42,\n \"user_id\": 7, \"chat_id\": 1 }"}},
		},
		{
			name: "nothing expected, nothing received",
		},
		{
			name: "nothing received",
			want: []Want{read},
			kind: Missing,
			text: []string{alice, "received nothing", "`MessageRead`"},
		},
		{
			name: "event reaches a user who must not receive it",
			got:  got(read),
			kind: Unexpected,
			text: []string{alice, "`MessageRead`", "must receive nothing"},
		},
		{
			name: "renamed to Generic with the data wrapped",
			want: []Want{read},
			got: []Got{{Name: "Generic",
				Data: `{"type":"MessageRead","data":` + read.Data + `}`}},
			kind: Renamed,
			text: []string{"`Generic`", "`MessageRead`", alice},
		},
		{
			name: "wrong payload",
			want: []Want{read},
			got:  []Got{{Name: "MessageRead", Data: `{"chat_id":1,"user_id":7}`}},
			kind: Payload,
			text: []string{"`MessageRead`", "wrong payload", read.Data},
		},
		{
			name: "same events in another order",
			want: []Want{read, sent},
			got:  got(sent, read),
			kind: Reordered,
			text: []string{"out of order", alice, "`MessageReceived`, `MessageRead`"},
		},
		{
			name: "duplicate",
			want: []Want{read},
			got:  got(read, read),
			kind: Duplicated,
			text: []string{"`MessageRead`", "more than once"},
		},
		{
			name: "missing one of two",
			want: []Want{read, sent},
			got:  got(read),
			kind: Missing,
			text: []string{"1 of 2 expected events never reached " + alice, "the first `MessageReceived`",
				"(received `MessageRead`)"},
		},
		{
			name: "an extra event besides the expected one",
			want: []Want{read},
			got:  append(got(read), Got{Name: "ChatUpdated", Data: `{}`}),
			kind: Unexpected,
			text: []string{"unexpected `ChatUpdated`"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(tt.want, tt.got, alice)
			if p.Kind != tt.kind {
				t.Fatalf("expected kind %q, got %q (%s)", tt.kind, p.Kind, p.Text)
			}
			if tt.kind == "" {
				if !p.OK() || p.Text != "" {
					t.Fatalf("expected the zero Problem, got %+v", p)
				}
				return
			}
			if p.OK() {
				t.Fatalf("expected OK() false for kind %q, got true", p.Kind)
			}
			mentions(t, p.Text, tt.text...)
		})
	}
}

func TestKindServerMade(t *testing.T) {
	want := map[Kind]bool{
		Missing:    false,
		Unexpected: false,
		Renamed:    true,
		Payload:    true,
		Reordered:  true,
		Duplicated: true,
		BadIDs:     true,
		Framing:    false,
		Headers:    false,
		Closed:     false,
	}
	for k, server := range want {
		if got := k.ServerMade(); got != server {
			t.Errorf("expected %q.ServerMade() %v, got %v", k, server, got)
		}
	}
}

func TestJudge(t *testing.T) {
	const bound = 200 * time.Millisecond
	missing := Problemf(Missing, "`MessageRead` never reached %s", alice)
	payload := Problemf(Payload, "`MessageRead` for %s has the wrong payload", alice)
	reordered := Problemf(Reordered, "out of order for %s", alice)
	// clean is what every observer records when nothing went wrong; each case
	// breaks one thing in a copy of it.
	clean := Observation{TapSaw: true}
	with := func(edit func(o *Observation)) Observation {
		o := clean
		edit(&o)
		return o
	}

	tests := []struct {
		name string
		obs  Observation
		hop  Hop
		text []string
		// not lists what the cause must not mention.
		not []string
	}{
		{
			name: "publish failed",
			obs: with(func(o *Observation) {
				o.PublishErr = errors.New("nats: connection closed")
				o.TapSaw, o.Direct = false, missing
			}),
			hop:  Publish,
			text: []string{"nats: connection closed"},
		},
		{
			name: "the tap never saw the message",
			obs:  with(func(o *Observation) { o.TapSaw, o.Direct = false, missing }),
			hop:  NATS,
			text: []string{"NATS tap", "never saw"},
		},
		{
			name: "the direct client got the wrong payload",
			obs:  with(func(o *Observation) { o.Direct, o.Proxied = payload, payload }),
			hop:  NotifyServer,
			text: []string{payload.Text},
			not:  []string{"did not route it"},
		},
		{
			name: "the direct client got nothing",
			obs:  with(func(o *Observation) { o.Direct = missing }),
			hop:  NotifyServer,
			text: []string{missing.Text, "did not route it"},
		},
		{
			name: "a server-made problem seen through nginx only",
			obs:  with(func(o *Observation) { o.Proxied = reordered }),
			hop:  NotifyServer,
			text: []string{reordered.Text, "a proxy passes events through unchanged"},
		},
		{
			name: "the stream through nginx is compressed",
			obs:  with(func(o *Observation) { o.Encoding, o.Stalled = "gzip", true }),
			hop:  Nginx,
			text: []string{"Content-Encoding: gzip", "gzip on text/event-stream"},
		},
		{
			name: "nothing arrived through nginx",
			obs:  with(func(o *Observation) { o.Stalled, o.Proxied = true, missing }),
			hop:  Nginx,
			text: []string{"holds the stream back", "proxy_buffering", missing.Text},
		},
		{
			name: "the client through nginx missed the event",
			obs:  with(func(o *Observation) { o.Proxied = missing }),
			hop:  Nginx,
			text: []string{missing.Text, "the direct client got it"},
		},
		{
			name: "late through nginx",
			obs:  with(func(o *Observation) { o.Late = 1500 * time.Millisecond }),
			hop:  Nginx,
			text: []string{"arrived through nginx late", "held 1.5s", "proxy buffering"},
			not:  []string{"bunched"},
		},
		{
			name: "late and bunched through nginx",
			obs: with(func(o *Observation) {
				o.Late, o.Bunched = time.Second, true
			}),
			hop:  Nginx,
			text: []string{"late and bunched in one read", "proxy buffering"},
		},
		{
			name: "a little late, within the bound",
			obs:  with(func(o *Observation) { o.Late = bound }),
			hop:  None,
		},
		{
			name: "all clean",
			obs:  clean,
			hop:  None,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(tt.obs, bound)
			if v.Hop != tt.hop {
				t.Fatalf("expected hop %q, got %q (%s)", tt.hop, v.Hop, v)
			}
			mentions(t, v.Cause, tt.text...)
			for _, s := range tt.not {
				if strings.Contains(v.Cause, s) {
					t.Errorf("expected the cause not to mention %q, got %q", s, v.Cause)
				}
			}
			if tt.hop == None {
				if want := "delivered as the contract says"; v.String() != want {
					t.Errorf("expected String() %q, got %q", want, v.String())
				}
				return
			}
			if want := "lost at " + string(tt.hop) + ": "; !strings.HasPrefix(v.String(), want) {
				t.Errorf("expected String() to start with %q, got %q", want, v.String())
			}
		})
	}
}

// mentions fails the test for every part that text does not contain.
func mentions(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("expected the text to mention %q, got %q", p, text)
		}
	}
}

func TestLocate(t *testing.T) {
	renamed := Problemf(Renamed, "event name `Generic`")
	if at, p := Locate(Nginx, renamed); at != NotifyServer || p.Text == renamed.Text {
		t.Errorf("expected a renamed event seen through nginx at notify-server with a note, "+
			"got %s: %s", at, p.Text)
	}
	stalled := Problemf(Missing, "nothing arrived")
	if at, _ := Locate(Nginx, stalled); at != Nginx {
		t.Errorf("expected a missing event seen through nginx at nginx, got %s", at)
	}
	if at, _ := Locate(Browser, renamed); at != Browser {
		t.Errorf("expected the browser's findings to stay the browser's, got %s", at)
	}
}
