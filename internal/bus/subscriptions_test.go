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
