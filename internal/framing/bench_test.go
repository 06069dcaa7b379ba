package framing

import (
	"bytes"
	"fmt"
	"testing"
)

// A stream of 1,000 typical routed events with heartbeats between them.
func benchStream() []byte {
	var b bytes.Buffer
	b.WriteString("event: connection_confirmed\ndata: {\"user_id\":7}\nretry: 3000\n\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "id: %d\nevent: MessageRead\ndata: {\"message_id\":%d,\"chat_id\":2,"+
			"\"reader_id\":5,\"read_at\":\"2026-12-03T10:00:00+00:00\"}\n\n: heartbeat\n\n",
			i+1, i)
	}
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	stream := benchStream()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		if evs, _, vs := Parse(stream); len(evs) != 1001 || len(vs) != 0 {
			b.Fatalf("expected 1001 clean events, got %d and %v", len(evs), vs)
		}
	}
}
