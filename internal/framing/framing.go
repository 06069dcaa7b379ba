// Package framing records the raw bytes of a server-sent-events stream and
// reads them the way a browser's EventSource would (WHATWG HTML, "event
// stream interpretation"), so the suite can assert on what a real client
// sees rather than on what the server meant to write.
//
// Besides the events, it keeps a list of Violations: places where a browser
// would read the bytes differently from what the contract (section 4)
// intends. A stream can pass every delivery assertion and still carry one of
// these, for example a JSON value broken over several lines after a single
// "data:", which a browser silently truncates.
package framing

import (
	"fmt"
	"time"
)

// Event is one event as a browser dispatches it.
type Event struct {
	// Name is the event type; "message" when the block had no event: line.
	Name string
	// Data is the block's data: values joined with "\n".
	Data string
	// ID is the last event ID at dispatch. It persists across events, so a
	// block without its own id: line inherits the previous one: see HasID.
	ID string
	// HasID says the block carried its own valid id: line. The contract wants
	// one on every routed event, and an inherited ID would hide its absence.
	HasID bool
	// Retry is the reconnection time from this block's retry: line, if any.
	Retry    time.Duration
	HasRetry bool
	// Offset is where the block starts in the stream, counted in bytes.
	Offset int
	// At is when the byte that completed the event (its blank line) arrived.
	At time.Time
	// Raw holds the block's exact bytes, from the end of the previous blank
	// line through this one. When a CRLF blank line was split between two
	// chunks, the LF is added once it arrives: the event is dispatched at the
	// CR, as a browser does.
	Raw []byte
}

// String renders the event for failure messages.
func (e Event) String() string {
	return fmt.Sprintf("event %q id %q data %q", e.Name, e.ID, e.Data)
}

// Comment is a line starting with ':' such as the server's heartbeat.
type Comment struct {
	// Text follows the colon, with one leading space removed, so that
	// ": heartbeat" reads as "heartbeat".
	Text   string
	Offset int
	At     time.Time
}

// Chunk is one Read's worth of bytes, as the client received it.
type Chunk struct {
	At    time.Time
	Bytes []byte
}

// Violation is framing that a browser reads differently from what the
// contract intends.
type Violation struct {
	// Offset is where the offending bytes start in the stream. For data that
	// is not JSON it is where the event's first data: line starts, and Bytes
	// holds the joined value a browser would hand to the page.
	Offset int
	Bytes  []byte
	Reason string
}

func (v Violation) Error() string {
	return fmt.Sprintf("offset %d, bytes %q: %s", v.Offset, v.Bytes, v.Reason)
}
