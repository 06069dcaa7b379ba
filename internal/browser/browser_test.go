package browser

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// bound caps every wait in these tests; a healthy run takes milliseconds.
const bound = 10 * time.Second

func TestPageReceivesOnlyTheNamesItListensFor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*bound)
	defer cancel()
	b, err := Start(ctx)
	if errors.Is(err, ErrMissing) {
		t.Skip(err.Error()) // the message says what to install
	}
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	publish := make(chan string)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/events" {
			fmt.Fprint(w, "<!doctype html><title>page</title>")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: connection_confirmed\ndata: {}\n\n")
		w.(http.Flusher).Flush()
		for {
			select {
			case frame := <-publish:
				fmt.Fprint(w, frame)
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			}
		}
	}))
	defer srv.Close()

	octx, ocancel := context.WithTimeout(ctx, bound)
	defer ocancel()
	tab, err := b.Open(octx, srv.URL, "/", "/events", []string{"NewMessage"})
	if err != nil {
		t.Fatalf("expected the page to confirm the stream, got %v", err)
	}
	defer tab.Close()

	publish <- "id: 1\nevent: Generic\ndata: {\"n\":1}\n\n"
	publish <- "id: 2\nevent: NewMessage\ndata: {\"n\":2}\n\n"
	publish <- "id: 3\ndata: {\"n\":3}\n\n"
	publish <- "id: 4\nevent: NewMessage\ndata: {\"n\":4,\"last\":true}\n\n"

	wctx, wcancel := context.WithTimeout(ctx, bound)
	defer wcancel()
	got, err := tab.WaitFor(wctx, `"last"\s*:\s*true`)
	if err != nil {
		t.Fatalf("expected the last NewMessage, got %v (received %v)", err, got)
	}
	want := []Event{{"NewMessage", `{"n":2}`, "2"}, {"NewMessage", `{"n":4,"last":true}`, "4"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("expected %v, got %v", want, got)
	}

	// A pattern the page cannot compile is a mistake in the spec: it must
	// fail at once, not look like an event that never came.
	start := time.Now()
	if _, err := tab.WaitFor(wctx, `"n":(`); err == nil {
		t.Fatal(`expected an error for the pattern "n":( , got none`)
	}
	if waited := time.Since(start); waited > bound/2 {
		t.Fatalf("expected the bad pattern to fail at once, waited %v", waited)
	}
}
