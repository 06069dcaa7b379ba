package framing

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// scriptedBody hands out one scripted chunk per Read, the way a response
// body returns whatever the server has flushed so far.
type scriptedBody struct {
	chunks []string
	closed bool
}

func (b *scriptedBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("read after close")
	}
	if len(b.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.chunks[0])
	b.chunks[0] = b.chunks[0][n:]
	if b.chunks[0] == "" {
		b.chunks = b.chunks[1:]
	}
	return n, nil
}

func (b *scriptedBody) Close() error {
	b.closed = true
	return nil
}

func TestWrapPassesBytesThroughAndRecordsChunks(t *testing.T) {
	chunks := []string{"event: connection_confirmed\nretry: 3000\n", "data: {}\n\n",
		": heartbeat\n"}
	rec := NewRecorder("alice")
	body := rec.Wrap(&scriptedBody{chunks: append([]string(nil), chunks...)})

	got, err := io.ReadAll(body)

	if err != nil {
		t.Fatalf("expected a clean read, got %v", err)
	}
	if expected := strings.Join(chunks, ""); string(got) != expected {
		t.Errorf("expected the body unchanged, %q, got %q", expected, got)
	}
	recorded := rec.Chunks()
	if len(recorded) != len(chunks) {
		t.Fatalf("expected %d chunks, got %d", len(chunks), len(recorded))
	}
	for i, c := range recorded {
		if string(c.Bytes) != chunks[i] || c.At.IsZero() {
			t.Errorf("chunk %d: expected %q with a time, got %q at %v",
				i, chunks[i], c.Bytes, c.At)
		}
	}
	events := rec.Events()
	if len(events) != 1 || events[0].Name != "connection_confirmed" {
		t.Fatalf("expected one connection_confirmed event, got %v", events)
	}
	if !events[0].At.Equal(recorded[1].At) {
		t.Errorf("expected the event at its blank line's chunk, %v, got %v",
			recorded[1].At, events[0].At)
	}
	if retry, ok := rec.Retry(); !ok || retry != 3*time.Second {
		t.Errorf("expected retry 3s, got %v (set: %v)", retry, ok)
	}
	if comments := rec.Comments(); len(comments) != 1 || comments[0].Text != "heartbeat" {
		t.Errorf("expected one heartbeat comment, got %v", comments)
	}
	if !rec.Closed() || !errors.Is(rec.Err(), io.EOF) || rec.ClosedAt().IsZero() {
		t.Errorf("expected the stream closed by EOF with a time, got closed %v, "+
			"err %v, at %v", rec.Closed(), rec.Err(), rec.ClosedAt())
	}
}

func TestEventIsDispatchedAtTheCROfASplitCRLF(t *testing.T) {
	rec := NewRecorder("bob")
	body := rec.Wrap(&scriptedBody{chunks: []string{"id: 5\r\ndata: {}\r\n\r", "\n"}})
	buf := make([]byte, 64)

	if _, err := body.Read(buf); err != nil {
		t.Fatalf("expected the first chunk, got %v", err)
	}
	before := rec.Events()
	if _, err := body.Read(buf); err != nil {
		t.Fatalf("expected the second chunk, got %v", err)
	}

	if len(before) != 1 || string(before[0].Raw) != "id: 5\r\ndata: {}\r\n\r" {
		t.Fatalf("expected the event dispatched at the CR, got %v", before)
	}
	after := rec.Events()
	if string(after[0].Raw) != "id: 5\r\ndata: {}\r\n\r\n" {
		t.Errorf("expected the LF added to Raw once it arrived, got %q", after[0].Raw)
	}
	if string(before[0].Raw) != "id: 5\r\ndata: {}\r\n\r" {
		t.Errorf("expected an earlier snapshot to stay as it was, got %q", before[0].Raw)
	}
	if rec.LastEventID() != "5" {
		t.Errorf("expected last event ID 5, got %q", rec.LastEventID())
	}
}

func TestCloseBeforeEOFIsReportedAsTheClients(t *testing.T) {
	rec := NewRecorder("carol")
	body := rec.Wrap(&scriptedBody{chunks: []string{"data: {}\n\ndata: {\"a\""}})
	if _, err := io.ReadFull(body, make([]byte, 15)); err != nil {
		t.Fatalf("expected to read 15 bytes, got %v", err)
	}

	if err := body.Close(); err != nil {
		t.Fatalf("expected Close to succeed, got %v", err)
	}

	if !errors.Is(rec.Err(), ErrClientClosed) {
		t.Errorf("expected ErrClientClosed, got %v", rec.Err())
	}
	violations := rec.Violations()
	if len(violations) != 1 || !strings.Contains(violations[0].Reason, "ended inside") {
		t.Errorf("expected the cut-off event reported, got %v", violations)
	}
}

func TestWaitEventsBlocksUntilTheEventArrives(t *testing.T) {
	reader, writer := io.Pipe()
	rec := NewRecorder("dave")
	body := rec.Wrap(reader)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(io.Discard, body)
	}()
	t.Cleanup(wg.Wait)
	t.Cleanup(func() { _ = writer.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	waited := make(chan error, 1)
	go func() {
		_, err := rec.WaitEvents(ctx, 2)
		waited <- err
	}()
	_, _ = io.WriteString(writer, "event: a\ndata: {}\n\n")
	_, _ = io.WriteString(writer, "event: b\ndata: {}\n\n")

	if err := <-waited; err != nil {
		t.Fatalf("expected two events, got %v", err)
	}
	if names := eventNames(rec.Events()); names != "a b" {
		t.Errorf("expected events a b, got %s", names)
	}
}

func TestWaitExplainsWhatItSawWhenItGivesUp(t *testing.T) {
	rec := NewRecorder("erin")
	_, _ = io.ReadAll(rec.Wrap(&scriptedBody{chunks: []string{"event: a\ndata: {}\n\n"}}))

	_, err := rec.WaitEvents(context.Background(), 3)

	if err == nil {
		t.Fatal("expected an error once the stream ended short, got nil")
	}
	for _, part := range []string{`"erin"`, "3 events", "got 1 events", `event "a"`,
		"stream ended (EOF)"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("expected the error to mention %s, got %v", part, err)
		}
	}

	open := NewRecorder("frank")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = open.Wait(ctx, "a resync event", func([]Event) bool { return false })
	if err == nil || !strings.Contains(err.Error(), "a resync event, got no events") {
		t.Errorf("expected the error to name the awaited event, got %v", err)
	}
}

func TestTranscriptQuotesEachChunk(t *testing.T) {
	rec := NewRecorder("grace")
	_, _ = io.ReadAll(rec.Wrap(&scriptedBody{chunks: []string{"data: {}\r\n", "\r\n",
		"  \"x\": 1\n"}}))

	transcript := rec.Transcript()

	lines := strings.Split(strings.TrimSuffix(transcript, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("expected header, 3 chunks, end and 1 violation, got\n%s", transcript)
	}
	for i, want := range []string{`"data: {}\r\n"`, `"\r\n"`, `"  \"x\": 1\n"`} {
		if !strings.HasPrefix(lines[i+1], "+") || !strings.HasSuffix(lines[i+1], want) {
			t.Errorf("line %d: expected +<ms> %s, got %s", i+1, want, lines[i+1])
		}
	}
	if !strings.HasPrefix(lines[4], "# ended +") ||
		!strings.Contains(lines[5], "not a known field") {
		t.Errorf("expected the end and the violation last, got\n%s", transcript)
	}
}

func TestSnapshotsAreSafeWhileTheStreamIsRead(t *testing.T) {
	reader, writer := io.Pipe()
	rec := NewRecorder("heidi")
	body := rec.Wrap(reader)
	go func() {
		for range 200 {
			_, _ = io.WriteString(writer, "data: {}\n\n: heartbeat\n")
		}
		_ = writer.Close()
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, body)
	}()

	for !rec.Closed() {
		_ = rec.Events()
		_ = rec.Transcript()
		select {
		case <-rec.Updated():
		case <-done:
		}
	}
	<-done

	if n := len(rec.Events()); n != 200 {
		t.Errorf("expected 200 events, got %d", n)
	}
}

func eventNames(events []Event) string {
	var names []string
	for _, e := range events {
		names = append(names, e.Name)
	}
	return strings.Join(names, " ")
}
