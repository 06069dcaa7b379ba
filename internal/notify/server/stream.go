package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/fechatter/notify-e2e/internal/notify/hub"
	"github.com/fechatter/notify-e2e/internal/notify/sse"
)

// Retry is the reconnection delay announced in connection_confirmed.
const Retry = 3 * time.Second

// noFlushBuffer is the write buffer of the no-flush fault, the size a typical framework
// default holds back.
const noFlushBuffer = 4096

// stream writes frames to one client and pushes each out at once, because a frame that
// waits in a buffer is, for the browser, a frame that never came.
type stream struct {
	out   io.Writer
	flush func() error
	buf   []byte

	unsplit bool
	// ownIDs numbers frames per connection from 1 (ids-ignored fault); otherwise the
	// hub's ids are written.
	ownIDs bool
	nextID uint64
}

func newStream(w http.ResponseWriter, noFlush bool) *stream {
	if noFlush {
		// Frames leave only when the buffer fills up.
		return &stream{
			out:   bufio.NewWriterSize(w, noFlushBuffer),
			flush: func() error { return nil },
		}
	}
	rc := http.NewResponseController(w)
	return &stream{out: w, flush: rc.Flush}
}

func (s *stream) write(f sse.Frame) error {
	s.buf = s.buf[:0]
	if s.unsplit {
		s.buf = sse.AppendUnsplit(s.buf, f)
	} else {
		s.buf = sse.Append(s.buf, f)
	}
	return s.send()
}

func (s *stream) routed(f hub.Frame) error {
	id := f.ID
	if s.ownIDs {
		s.nextID++
		id = s.nextID
	}
	return s.write(sse.Frame{
		ID:    strconv.FormatUint(id, 10),
		Event: f.Event,
		Data:  f.Data,
	})
}

func (s *stream) confirmed(userID int64, connID string) error {
	data, _ := json.Marshal(struct {
		UserID       int64  `json:"user_id"`
		ConnectionID string `json:"connection_id"`
	}{userID, connID})
	return s.write(sse.Frame{Event: "connection_confirmed", Data: data, Retry: Retry})
}

func (s *stream) resync(reason string) error {
	data, _ := json.Marshal(struct {
		Reason string `json:"reason"`
	}{reason})
	return s.write(sse.Frame{Event: "resync", Data: data})
}

func (s *stream) heartbeat() error {
	s.buf = sse.AppendComment(s.buf[:0], "heartbeat")
	return s.send()
}

func (s *stream) send() error {
	if _, err := s.out.Write(s.buf); err != nil {
		return err
	}
	return s.flush()
}
