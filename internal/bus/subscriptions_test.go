package bus

import (
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

func TestMiss(t *testing.T) {
	for _, c := range []struct {
		name string
		subs []server.SubDetail
		want []string // parts of the findings; none when nil
	}{
		{"one deep wildcard", []server.SubDetail{{Subject: "fechatter.realtime.>"}}, nil},
		{"a subject per kind", []server.SubDetail{
			{Subject: "fechatter.realtime.chat.*"}, {Subject: "fechatter.realtime.chat.*.*"},
			{Subject: "fechatter.realtime.user.*.presence"},
		}, nil},
		{"a wildcard one token deep", []server.SubDetail{{Subject: "fechatter.realtime.*"}},
			[]string{"match none of", "fechatter.realtime.chat.2.read"}},
		{"no subscription at all", nil, []string{"match none of"}},
		{"a queue group", []server.SubDetail{{Subject: "fechatter.realtime.>", Queue: "notify"}},
			[]string{`queue group "notify"`}},
	} {
		got := strings.Join(Client{Name: "notify", Subs: c.subs}.Miss(), "\n")
		if c.want == nil && got != "" {
			t.Errorf("%s: expected no findings, got %s", c.name, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: expected a finding mentioning %q, got %q", c.name, w, got)
			}
		}
	}
}

func TestByHost(t *testing.T) {
	merged := ByHost([]Client{
		{IP: "10.0.0.2", Name: "notify-server", Subs: []server.SubDetail{
			{Subject: "fechatter.realtime.chat.*"}}},
		{IP: "10.0.0.2", Subs: []server.SubDetail{{Subject: "fechatter.realtime.chat.*.*"},
			{Subject: "fechatter.realtime.user.*.presence"}}},
		{IP: "10.0.0.3", Name: "other", Subs: []server.SubDetail{{Subject: ">"}}},
	})
	if len(merged) != 2 {
		t.Fatalf("expected two hosts, got %d", len(merged))
	}
	if miss := merged[0].Miss(); len(miss) != 0 {
		t.Errorf("expected one replica's connections together to cover every subject, "+
			"got %v", miss)
	}
	if miss := merged[1].Miss(); len(miss) != 0 {
		t.Errorf("expected > to cover every subject, got %v", miss)
	}
}
