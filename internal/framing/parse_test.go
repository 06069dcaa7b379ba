package framing

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// streamCase is a stream and what a browser should make of it. Events are
// compared on Name, Data, ID, HasID, Retry and HasRetry; violations by a
// fragment of each Reason, in order.
type streamCase struct {
	name       string
	stream     string
	events     []Event
	comments   []string
	violations []string
}

func message(data string) Event { return Event{Name: "message", Data: data} }

var streamCases = []streamCase{
	{
		name:   "LF line endings",
		stream: "event: chat\nid: 7\ndata: {\"n\":1}\n\n",
		events: []Event{{Name: "chat", Data: `{"n":1}`, ID: "7", HasID: true}},
	},
	{
		name:   "CRLF line endings",
		stream: "event: chat\r\nid: 7\r\ndata: {\"n\":1}\r\n\r\n",
		events: []Event{{Name: "chat", Data: `{"n":1}`, ID: "7", HasID: true}},
	},
	{
		name:   "CR line endings",
		stream: "event: chat\rid: 7\rdata: {\"n\":1}\r\r",
		events: []Event{{Name: "chat", Data: `{"n":1}`, ID: "7", HasID: true}},
	},
	{
		name:   "mixed line endings",
		stream: "event: a\r\ndata: {}\r\r\nevent: b\ndata: {}\r\n\n\r\n",
		events: []Event{{Name: "a", Data: "{}"}, {Name: "b", Data: "{}"}},
	},
	{
		name:   "LF then CR is two line ends",
		stream: "data: {}\n\r",
		events: []Event{message("{}")},
	},
	{
		name:   "multi-byte characters",
		stream: "data: {\"text\":\"héllo € 😀\"}\n\n",
		events: []Event{message(`{"text":"héllo € 😀"}`)},
	},
	{
		name:       "leading BOM",
		stream:     "\xEF\xBB\xBFdata: {}\n\n",
		events:     []Event{message("{}")},
		violations: []string{"byte order mark"},
	},
	{
		name:       "BOM alone on the first line is a blank line",
		stream:     "\xEF\xBB\xBF\ndata: {}\n\n",
		events:     []Event{message("{}")},
		violations: []string{"byte order mark"},
	},
	{
		name:       "BOM later in the stream is part of the field name",
		stream:     "data: {}\n\n\xEF\xBB\xBFdata: {}\n\n",
		events:     []Event{message("{}")},
		violations: []string{"starts with a BOM"},
	},
	{
		name:       "invalid UTF-8 becomes U+FFFD",
		stream:     "data: {\"a\":\"\xFF\xFE\"}\n\n",
		events:     []Event{message("{\"a\":\"\uFFFD\uFFFD\"}")},
		violations: []string{"invalid UTF-8"},
	},
	{
		name:       "truncated sequence is one U+FFFD",
		stream:     "data: {\"a\":\"\xE2\x82\"}\n\n",
		events:     []Event{message("{\"a\":\"\uFFFD\"}")},
		violations: []string{"invalid UTF-8"},
	},
	{
		name:       "sequence cut off by the end of the stream",
		stream:     "data: {}\n\n: \xF0\x9F",
		events:     []Event{message("{}")},
		violations: []string{"invalid UTF-8"},
	},
	{
		name:   "multi-line data is joined with LF but breaks the contract",
		stream: "data: {\ndata: \"a\": 1\ndata: }\n\n",
		events: []Event{message("{\n\"a\": 1\n}")},
		violations: []string{
			"data spread over 3 data: lines; compact JSON fits on one " +
				"(joined with LF, the value parses",
		},
	},
	{
		name:   "compact JSON split over two data: lines",
		stream: "data: {\"a\":\ndata: 1}\n\n",
		events: []Event{message("{\"a\":\n1}")},
		violations: []string{
			"data spread over 2 data: lines; compact JSON fits on one",
		},
	},
	{
		name:   "multi-line data that is not one JSON value",
		stream: "data: {\"a\":1}\ndata: {\"b\":2}\n\n",
		events: []Event{message("{\"a\":1}\n{\"b\":2}")},
		violations: []string{"data spread over 2 data: lines; compact JSON fits on one " +
			"(joined with LF, the value is not even JSON)"},
	},
	{
		name:       "empty data lines count too",
		stream:     "data\ndata: {}\n\n",
		events:     []Event{message("\n{}")},
		violations: []string{"data spread over 2 data: lines"},
	},
	{
		name:     "comments anywhere",
		stream:   ": heartbeat\n:\n:no space\ndata: {}\n:  two spaces\n\n",
		events:   []Event{message("{}")},
		comments: []string{"heartbeat", "", "no space", " two spaces"},
	},
	{
		name:     "heartbeat block dispatches nothing",
		stream:   ": heartbeat\n\n: heartbeat\r\n\r\n",
		comments: []string{"heartbeat", "heartbeat"},
	},
	{
		name:   "no space after the colon",
		stream: "event:chat\ndata:{}\n\n",
		events: []Event{{Name: "chat", Data: "{}"}},
	},
	{
		name:   "a second space belongs to the value",
		stream: "data:  {\"a\":1}\n\n",
		events: []Event{message(` {"a":1}`)},
	},
	{
		name:   "retry in milliseconds",
		stream: "event: connection_confirmed\nretry: 3000\ndata: {}\n\n",
		events: []Event{{
			Name: "connection_confirmed", Data: "{}",
			Retry: 3 * time.Second, HasRetry: true,
		}},
	},
	{
		name:       "retry with a unit",
		stream:     "retry: 3s\ndata: {}\n\n",
		events:     []Event{message("{}")},
		violations: []string{"retry is not all ASCII digits"},
	},
	{
		name:       "negative retry",
		stream:     "retry: -1\ndata: {}\n\n",
		events:     []Event{message("{}")},
		violations: []string{"retry is not all ASCII digits"},
	},
	{
		name:       "retry without value",
		stream:     "retry\ndata: {}\n\n",
		events:     []Event{message("{}")},
		violations: []string{"retry has no value"},
	},
	{
		name:   "id persists across events",
		stream: "id: 7\ndata: {}\n\ndata: {}\n\n",
		events: []Event{
			{Name: "message", Data: "{}", ID: "7", HasID: true},
			{Name: "message", Data: "{}", ID: "7"},
		},
	},
	{
		name:   "empty id resets it",
		stream: "id: 7\ndata: {}\n\nid\ndata: {}\n\nid:\ndata: {}\n\n",
		events: []Event{
			{Name: "message", Data: "{}", ID: "7", HasID: true},
			{Name: "message", Data: "{}", HasID: true},
			{Name: "message", Data: "{}", HasID: true},
		},
	},
	{
		name:   "id with NUL is ignored",
		stream: "id: 1\ndata: {}\n\nid: 2\x003\ndata: {}\n\n",
		events: []Event{
			{Name: "message", Data: "{}", ID: "1", HasID: true},
			{Name: "message", Data: "{}", ID: "1"},
		},
		violations: []string{"id contains NUL"},
	},
	{
		name:   "id without data still counts",
		stream: "id: 4\n\ndata: {}\n\n",
		events: []Event{{Name: "message", Data: "{}", ID: "4"}},
	},
	{
		name:       "field name alone has an empty value",
		stream:     "data\n\n",
		events:     []Event{message("")},
		violations: []string{"data is not JSON"},
	},
	{
		name:   "empty event name means message",
		stream: "event\ndata: {}\n\nevent:\ndata: {}\n\n",
		events: []Event{message("{}"), message("{}")},
	},
	{
		name:   "JSON written on one data: line",
		stream: "event: chat\ndata: {\n  \"chat_id\": 2\n}\n\n",
		events: []Event{{Name: "chat", Data: "{"}},
		violations: []string{
			"line `  \"chat_id\": 2` is not a known field",
			"line `}` is not a known field: a browser ignores the line; " +
				"was a multi-line value",
			"data is not JSON",
		},
	},
	{
		name:       "unknown field",
		stream:     "Data: {}\ndata: {}\n\n",
		events:     []Event{message("{}")},
		violations: []string{"line `Data: {}` is not a known field: a browser ignores the line"},
	},
	{
		name:       "final event without its blank line",
		stream:     "data: {}\n\ndata: {\"a\":1}\n",
		events:     []Event{message("{}")},
		violations: []string{"stream ended inside an event"},
	},
	{
		name:       "final line without its line end",
		stream:     "data: {}\n\ndata: {\"a\":1}",
		events:     []Event{message("{}")},
		violations: []string{"stream ended inside an event"},
	},
	{
		name:   "final comment without its line end is harmless",
		stream: "data: {}\n\n: heart",
		events: []Event{message("{}")},
	},
	{
		name:       "final unknown line without its line end",
		stream:     "data: {}\n\n  \"x\": 1",
		events:     []Event{message("{}")},
		violations: []string{"stream ended inside an event"},
	},
	{
		name:       "final id line without its line end",
		stream:     "data: {}\n\nid: 9",
		events:     []Event{message("{}")},
		violations: []string{"stream ended inside an event"},
	},
	{
		name:       "event name without data dispatches nothing",
		stream:     "event: resync\n\n",
		violations: []string{`event "resync" has no data`},
	},
	{
		name:   "retry alone dispatches nothing",
		stream: "retry: 1000\n\n",
	},
	{
		name:       "data that is not JSON",
		stream:     "data: hello\n\n",
		events:     []Event{message("hello")},
		violations: []string{"data is not JSON"},
	},
	{
		name:       "data that is a JSON array",
		stream:     "data: [1,2]\n\n",
		events:     []Event{message("[1,2]")},
		violations: []string{"JSON but not an object"},
	},
	{
		name:       "data that is not compact",
		stream:     "data: {\"a\": 1}\n\n",
		events:     []Event{message(`{"a": 1}`)},
		violations: []string{"not compact"},
	},
	{
		name: "empty stream",
	},
}

func TestParseReadsStreamsAsABrowserDoes(t *testing.T) {
	for _, tc := range streamCases {
		t.Run(tc.name, func(t *testing.T) {
			events, comments, violations := Parse([]byte(tc.stream))
			checkEvents(t, events, tc.events)
			checkComments(t, comments, tc.comments)
			checkViolations(t, violations, tc.violations)
		})
	}
}

// TestChunkBoundariesDoNotChangeTheReading feeds every stream split in two
// at each offset, then byte by byte, and expects exactly what one chunk
// gives, down to each event's Raw bytes and each violation's offset.
func TestChunkBoundariesDoNotChangeTheReading(t *testing.T) {
	for _, tc := range streamCases {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte(tc.stream)
			whole := readChunks(b)
			for i := 0; i <= len(b); i++ {
				if got := readChunks(b[:i], b[i:]); got != whole {
					t.Errorf("split at %d (%q | %q):\nexpected\n%s\ngot\n%s",
						i, b[:i], b[i:], whole, got)
				}
			}
			var bytewise [][]byte
			for i := range b {
				bytewise = append(bytewise, b[i:i+1])
			}
			if got := readChunks(bytewise...); got != whole {
				t.Errorf("byte by byte:\nexpected\n%s\ngot\n%s", whole, got)
			}
		})
	}
}

// readChunks parses chunks as one stream and dumps everything but arrival
// times, so two readings compare as strings.
func readChunks(chunks ...[]byte) string {
	p := newParser()
	for _, c := range chunks {
		p.feed(c, time.Time{})
	}
	p.finish()
	var out strings.Builder
	for _, e := range p.events {
		fmt.Fprintf(&out, "%v retry %v/%v hasID %v offset %d raw %q\n",
			e, e.Retry, e.HasRetry, e.HasID, e.Offset, e.Raw)
	}
	for _, c := range p.comments {
		fmt.Fprintf(&out, "comment %q offset %d\n", c.Text, c.Offset)
	}
	for _, v := range p.violations {
		fmt.Fprintf(&out, "%v\n", v)
	}
	fmt.Fprintf(&out, "last id %q retry %v/%v\n", p.lastID, p.reconnect, p.hasReconnect)
	return out.String()
}

func TestRawKeepsEachEventsExactBytes(t *testing.T) {
	stream := ": hi\r\nid: 1\r\ndata: {}\r\n\r\n\r\ndata: {}\r\r"
	events, _, _ := Parse([]byte(stream))
	expected := []string{": hi\r\nid: 1\r\ndata: {}\r\n\r\n", "data: {}\r\r"}
	if len(events) != len(expected) {
		t.Fatalf("expected %d events, got %d: %v", len(expected), len(events), events)
	}
	for i, e := range events {
		if string(e.Raw) != expected[i] {
			t.Errorf("event %d: expected raw %q, got %q", i, expected[i], e.Raw)
		}
	}
	if events[1].Offset != 27 {
		t.Errorf("event 1: expected offset 27, got %d", events[1].Offset)
	}
}

func TestViolationOffsetsPointAtTheBytes(t *testing.T) {
	stream := "data: {}\n\nid: 1\n  \"chat_id\": 2\ndata: {\"a\":\"\xFF\"}\n\n"
	_, _, violations := Parse([]byte(stream))
	if len(violations) != 2 {
		t.Fatalf("expected 2 violations, got %d: %v", len(violations), violations)
	}
	for _, v := range violations {
		at := stream[v.Offset : v.Offset+len(v.Bytes)]
		if at != string(v.Bytes) {
			t.Errorf("violation %v: expected its bytes at offset %d, found %q",
				v, v.Offset, at)
		}
	}
	if got := violations[0].Error(); !strings.Contains(got, `"  \"chat_id\": 2"`) {
		t.Errorf("expected Error() to quote the offending line, got %s", got)
	}
}

func checkEvents(t *testing.T, got, expected []Event) {
	t.Helper()
	type seen struct {
		Name, Data, ID  string
		HasID, HasRetry bool
		Retry           time.Duration
	}
	project := func(events []Event) []seen {
		var out []seen
		for _, e := range events {
			out = append(out, seen{e.Name, e.Data, e.ID, e.HasID, e.HasRetry, e.Retry})
		}
		return out
	}
	g, e := project(got), project(expected)
	if fmt.Sprintf("%+v", g) != fmt.Sprintf("%+v", e) {
		t.Errorf("events:\nexpected %+v\ngot      %+v", e, g)
	}
}

func checkComments(t *testing.T, got []Comment, expected []string) {
	t.Helper()
	var texts []string
	for _, c := range got {
		texts = append(texts, c.Text)
	}
	if fmt.Sprintf("%q", texts) != fmt.Sprintf("%q", expected) {
		t.Errorf("comments: expected %q, got %q", expected, texts)
	}
}

func checkViolations(t *testing.T, got []Violation, expected []string) {
	t.Helper()
	if len(got) != len(expected) {
		t.Errorf("expected %d violations %q, got %d: %v",
			len(expected), expected, len(got), got)
		return
	}
	for i, v := range got {
		if !strings.Contains(v.Reason, expected[i]) {
			t.Errorf("violation %d: expected a reason containing %q, got %v",
				i, expected[i], v)
		}
	}
}
