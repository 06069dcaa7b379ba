package hop

import (
	"strings"
	"testing"
	"time"

	"github.com/fechatter/notify-e2e/internal/framing"
)

func TestIDs(t *testing.T) {
	confirmed := framing.Event{Name: "connection_confirmed"}
	ev := func(id string, has bool) framing.Event {
		return framing.Event{Name: "MessageRead", ID: id, HasID: has}
	}
	for _, c := range []struct {
		name string
		evs  []framing.Event
		want string // "" when the ids are right
	}{
		{"increasing numbers", []framing.Event{confirmed, ev("9", true), ev("10", true)}, ""},
		{"opaque but increasing", []framing.Event{ev("a1", true), ev("a2", true)}, ""},
		{"an event without its own id", []framing.Event{ev("5", true), ev("5", false)},
			"has no id: line"},
		{"a repeated id", []framing.Event{ev("5", true), ev("5", true)}, "must increase"},
		{"a smaller id", []framing.Event{ev("10", true), ev("9", true)}, "must increase"},
	} {
		p := IDs("alice via direct", c.evs)
		switch {
		case c.want == "" && !p.OK():
			t.Errorf("%s: expected no problem, got %s", c.name, p.Text)
		case c.want != "" && (p.Kind != BadIDs || !strings.Contains(p.Text, c.want)):
			t.Errorf("%s: expected a BadIDs problem mentioning %q, got %+v", c.name, c.want, p)
		}
	}
}

func TestBunched(t *testing.T) {
	t0 := time.Now()
	at := func(d time.Duration) framing.Event { return framing.Event{At: t0.Add(d)} }
	if !Bunched([]framing.Event{at(0), at(time.Second), at(time.Second)}, 2) {
		t.Error("expected two events of one read to be bunched")
	}
	if Bunched([]framing.Event{at(0), at(time.Millisecond)}, 2) {
		t.Error("expected events of two reads not to be bunched")
	}
	if Bunched([]framing.Event{at(0)}, 2) {
		t.Error("expected too few events not to be bunched")
	}
}
