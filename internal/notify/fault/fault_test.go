package fault

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	set, err := Parse(" no-flush, broadcast ,")
	if err != nil {
		t.Fatal(err)
	}
	if !set.On(NoFlush) || !set.On(Broadcast) || set.On(QueueGroup) {
		t.Fatalf("expected no-flush and broadcast only, got %v", set.Names())
	}
	if got := set.Names(); len(got) != 2 || got[0] != NoFlush || got[1] != Broadcast {
		t.Fatalf("expected names in the order of All, got %v", got)
	}
}

func TestParseEmptyIsNoFault(t *testing.T) {
	set, err := Parse("")
	if err != nil || len(set.Names()) != 0 {
		t.Fatalf("expected no faults, got %v, %v", set.Names(), err)
	}
}

func TestParseUnknownListsValidNames(t *testing.T) {
	_, err := Parse("no-flush,typo")
	if err == nil || !strings.Contains(err.Error(), `"typo"`) ||
		!strings.Contains(err.Error(), string(NoAccelHeader)) {
		t.Fatalf("expected an error naming typo and the valid names, got %v", err)
	}
}
