package sse

import (
	"slices"
	"testing"
	"time"
)

func TestAppendWritesFieldsInOrderAndEndsWithABlankLine(t *testing.T) {
	got := string(Append(nil, Frame{
		ID: "7", Event: "MessageRead", Data: []byte(`{"a":1}`), Retry: 3 * time.Second,
	}))
	want := "id: 7\nevent: MessageRead\ndata: {\"a\":1}\nretry: 3000\n\n"
	if got != want {
		t.Fatalf("expected %q, got %q", want, got)
	}
}

func TestAppendLeavesOutEmptyFields(t *testing.T) {
	got := string(Append(nil, Frame{Event: "resync", Data: []byte(`{}`)}))
	if want := "event: resync\ndata: {}\n\n"; got != want {
		t.Fatalf("expected %q, got %q", want, got)
	}
}

func TestAppendSplitsDataAtEveryLineEnding(t *testing.T) {
	got := string(Append(nil, Frame{Data: []byte("a\r\nb\nc\rd\n")}))
	want := "data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n"
	if got != want {
		t.Fatalf("expected %q, got %q", want, got)
	}
}

func TestAppendKeepsEmptyDataAsOneField(t *testing.T) {
	if got, want := string(Append(nil, Frame{})), "data: \n\n"; got != want {
		t.Fatalf("expected %q, got %q", want, got)
	}
}

func TestAppendUnsplitWritesDataRaw(t *testing.T) {
	got := string(AppendUnsplit(nil, Frame{ID: "1", Data: []byte("{\n \"a\": 1\n}")}))
	want := "id: 1\ndata: {\n \"a\": 1\n}\n\n"
	if got != want {
		t.Fatalf("expected %q, got %q", want, got)
	}
}

func TestAppendCommentPrefixesEveryLine(t *testing.T) {
	if got, want := string(AppendComment(nil, "heartbeat")), ": heartbeat\n\n"; got != want {
		t.Fatalf("expected %q, got %q", want, got)
	}
	if got, want := string(AppendComment(nil, "a\nb")), ": a\n: b\n\n"; got != want {
		t.Fatalf("expected %q, got %q", want, got)
	}
}

func TestLines(t *testing.T) {
	cases := map[string][]string{
		"":         {""},
		"one":      {"one"},
		"a\r\n":    {"a", ""},
		"\r\r\n\n": {"", "", "", ""},
		"x\ry":     {"x", "y"},
	}
	for in, want := range cases {
		if got := Lines(in); !slices.Equal(got, want) {
			t.Errorf("Lines(%q): expected %q, got %q", in, want, got)
		}
	}
}
