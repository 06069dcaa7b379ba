package framing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Parse reads a complete stream, as if it arrived in one chunk and the
// connection then closed. Events and comments carry a zero At.
func Parse(b []byte) ([]Event, []Comment, []Violation) {
	p := newParser()
	p.feed(b, time.Time{})
	p.finish()
	return p.events, p.comments, p.violations
}

// parser applies the WHATWG interpretation rules to bytes as they arrive.
// It splits lines on raw bytes before decoding them: CR and LF never occur
// inside a UTF-8 sequence, and a browser's decoder never swallows them into
// an invalid one, so this reads the same as decoding the whole stream first,
// while letting a multi-byte character straddle two chunks.
type parser struct {
	offset    int    // bytes consumed so far
	line      []byte // the current line, not yet terminated
	lineStart int
	afterCR   bool // an LF right now belongs to the CR that ended the last line
	crBlank   bool // that CR ended a blank line
	crEvent   int  // the event that blank line dispatched, or -1

	block      []byte // raw bytes since the last blank line
	blockStart int
	inBlock    bool // a field line arrived since the last blank line

	// The buffers the WHATWG algorithm keeps between lines.
	eventType  string
	data       []byte
	dataLines  int
	dataStart  int
	idBuf      string // persists across events, unlike the others
	blockID    bool
	retry      time.Duration
	blockRetry bool

	// What the EventSource itself would hold.
	lastID       string
	reconnect    time.Duration
	hasReconnect bool

	events     []Event
	comments   []Comment
	violations []Violation
}

func newParser() *parser {
	return &parser{crEvent: -1}
}

var bom = []byte("\xEF\xBB\xBF")

func (p *parser) feed(b []byte, at time.Time) {
	for _, c := range b {
		if p.afterCR {
			p.afterCR = false
			if c == '\n' {
				p.offset++
				p.lineStart = p.offset
				p.attachLF()
				continue
			}
		}
		if len(p.block) == 0 {
			p.blockStart = p.offset
		}
		p.block = append(p.block, c)
		p.offset++
		if c == '\r' || c == '\n' {
			p.endLine(at)
			p.afterCR = c == '\r'
			p.lineStart = p.offset
			continue
		}
		p.line = append(p.line, c)
	}
}

// attachLF files the LF of a CRLF pair with the line its CR ended, even when
// the two arrived in different chunks, so Raw does not depend on chunking.
func (p *parser) attachLF() {
	if !p.crBlank {
		p.block = append(p.block, '\n')
		return
	}
	if p.crEvent >= 0 {
		ev := &p.events[p.crEvent]
		// Clipped, so that earlier snapshots never see this byte appear.
		ev.Raw = slices.Clip(append(ev.Raw, '\n'))
	}
}

func (p *parser) endLine(at time.Time) {
	start := p.lineStart
	raw := p.line
	text := p.decode(raw, start)
	p.line = p.line[:0]
	p.crBlank, p.crEvent = false, -1
	if text == "" {
		p.crBlank = true
		p.crEvent = p.dispatch(at)
		return
	}
	if text[0] == ':' {
		p.comments = append(p.comments, Comment{
			Text:   strings.TrimPrefix(text[1:], " "),
			Offset: start,
			At:     at,
		})
		return
	}
	name, value, _ := strings.Cut(text, ":")
	value = strings.TrimPrefix(value, " ")
	p.inBlock = p.inBlock || knownField(name)
	switch name {
	case "event":
		p.eventType = value
	case "data":
		if p.dataLines == 0 {
			p.dataStart = start
		}
		p.data = append(append(p.data, value...), '\n')
		p.dataLines++
	case "id":
		if strings.ContainsRune(value, 0) {
			p.flag(start, raw, "id contains NUL: a browser ignores the line "+
				"and keeps the previous last event ID")
			return
		}
		p.idBuf = value
		p.blockID = true
	case "retry":
		d, problem := parseRetry(value)
		if problem != "" {
			p.flag(start, raw, problem)
			return
		}
		p.retry, p.blockRetry = d, true
		p.reconnect, p.hasReconnect = d, true
	default:
		p.flag(start, raw, p.unknownField(text))
	}
}

// unknownField explains a line a browser drops. The hint matters most for
// the fault this package exists to catch: JSON pretty-printed after a single
// "data:", whose later lines arrive as nonsense field names.
func (p *parser) unknownField(text string) string {
	const reason = "not a known field: a browser ignores the line"
	if strings.HasPrefix(text, "\uFEFF") {
		return fmt.Sprintf("line %q starts with a BOM, so it is %s "+
			"(only a BOM at the very start of the stream is stripped)", text, reason)
	}
	looksLikeJSON := strings.ContainsAny(text[:1], " \t\"{}[],")
	if p.dataLines > 0 || looksLikeJSON {
		return fmt.Sprintf("line `%s` is %s; was a multi-line value written "+
			"on one data: line?", text, reason)
	}
	return fmt.Sprintf("line `%s` is %s", text, reason)
}

func knownField(name string) bool {
	return name == "event" || name == "data" || name == "id" || name == "retry"
}

func parseRetry(v string) (time.Duration, string) {
	if v == "" {
		return 0, "retry has no value: a browser ignores it"
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, "retry is not all ASCII digits: a browser ignores it"
		}
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms > math.MaxInt64/int64(time.Millisecond) {
		return 0, "retry is too large to be a reconnection time"
	}
	return time.Duration(ms) * time.Millisecond, ""
}

// dispatch ends a block at a blank line and returns the index of the event
// it produced, or -1 when a browser would dispatch nothing.
func (p *parser) dispatch(at time.Time) int {
	p.lastID = p.idBuf
	defer p.resetBlock()
	if len(p.data) == 0 {
		if p.eventType != "" {
			p.flag(p.blockStart, p.block, fmt.Sprintf("event %q has no data: "+
				"line: a browser dispatches nothing", p.eventType))
		}
		return -1
	}
	ev := Event{
		Name:     p.eventType,
		Data:     string(p.data[:len(p.data)-1]),
		ID:       p.lastID,
		HasID:    p.blockID,
		Retry:    p.retry,
		HasRetry: p.blockRetry,
		Offset:   p.blockStart,
		At:       at,
		Raw:      slices.Clip(bytes.Clone(p.block)),
	}
	if ev.Name == "" {
		ev.Name = "message"
	}
	if problem := jsonProblem(ev.Data, p.dataLines); problem != "" {
		p.flag(p.dataStart, []byte(ev.Data), problem)
	}
	p.events = append(p.events, ev)
	return len(p.events) - 1
}

func (p *parser) resetBlock() {
	p.eventType = ""
	p.data = p.data[:0]
	p.dataLines = 0
	p.blockID = false
	p.retry, p.blockRetry = 0, false
	p.inBlock = false
	p.block = p.block[:0]
}

// jsonProblem checks the contract's "data is one JSON object, compact, on
// one data: line". Compact JSON has no line break, so a value spread over
// several data: lines breaks the contract whatever it holds; whether the
// joined value parses tells pretty-printed JSON from something else.
// Whitespace around a one-line value is tolerated: a browser's JSON.parse
// skips it too.
func jsonProblem(data string, lines int) string {
	b := []byte(data)
	if lines > 1 {
		spread := fmt.Sprintf("data spread over %d data: lines; compact JSON fits "+
			"on one", lines)
		if !json.Valid(b) {
			return spread + " (joined with LF, the value is not even JSON)"
		}
		return spread + " (joined with LF, the value parses: pretty-printed JSON?)"
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return fmt.Sprintf("data is not JSON (%v): the contract asks for one "+
			"JSON object", err)
	}
	b = bytes.TrimSpace(b)
	if b[0] != '{' {
		return "data is JSON but not an object: the contract asks for one JSON object"
	}
	var compact bytes.Buffer
	if json.Compact(&compact, b) == nil && !bytes.Equal(compact.Bytes(), b) {
		return "data is JSON but not compact: a browser parses it, " +
			"but the contract asks for compact JSON"
	}
	return ""
}

// decode turns a line into text the way a browser's UTF-8 decoder does:
// a BOM at the very start of the stream is dropped, and each maximal
// invalid subsequence becomes one U+FFFD.
func (p *parser) decode(line []byte, start int) string {
	if start == 0 && bytes.HasPrefix(line, bom) {
		p.flag(0, bom, "byte order mark: the contract says no BOM "+
			"(a browser strips it)")
		line, start = line[len(bom):], len(bom)
	}
	if utf8.Valid(line) {
		return string(line)
	}
	var text strings.Builder
	for i := 0; i < len(line); {
		if n := validRuneLen(line[i:]); n > 0 {
			text.Write(line[i : i+n])
			i += n
			continue
		}
		j := i
		for j < len(line) && validRuneLen(line[j:]) == 0 {
			j += invalidLen(line[j:])
			text.WriteRune(utf8.RuneError)
		}
		p.flag(start+i, line[i:j], "invalid UTF-8: a browser reads U+FFFD "+
			"in its place")
		i = j
	}
	return text.String()
}

// validRuneLen returns the length of the valid rune b starts with, or 0.
func validRuneLen(b []byte) int {
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n <= 1 {
		return 0
	}
	return n
}

// invalidLen returns how many bytes of b, which starts with an invalid
// sequence, a WHATWG decoder replaces with one U+FFFD: the lead byte and
// the continuation bytes that could still have completed it.
func invalidLen(b []byte) int {
	lo, hi := byte(0x80), byte(0xBF)
	var need int
	switch lead := b[0]; {
	case lead >= 0xC2 && lead <= 0xDF:
		need = 1
	case lead >= 0xE0 && lead <= 0xEF:
		need = 2
		if lead == 0xE0 {
			lo = 0xA0
		} else if lead == 0xED {
			hi = 0x9F
		}
	case lead >= 0xF0 && lead <= 0xF4:
		need = 3
		if lead == 0xF0 {
			lo = 0x90
		} else if lead == 0xF4 {
			hi = 0x8F
		}
	default:
		return 1
	}
	n := 1
	for n <= need && n < len(b) && b[n] >= lo && b[n] <= hi {
		n++
		lo, hi = 0x80, 0xBF
	}
	return n
}

// finish applies the end-of-stream rule: whatever block is pending is
// discarded, so a browser never sees an event that lacked its blank line.
// Comments and ignored lines do not make a block pending: they carry nothing
// that could be lost.
func (p *parser) finish() {
	if len(p.line) > 0 {
		// A browser never reads an unterminated line, whatever it holds.
		text := p.decode(p.line, p.lineStart)
		p.inBlock = p.inBlock || text != "" && text[0] != ':'
	}
	if p.inBlock {
		p.flag(p.blockStart, p.block, "stream ended inside an event (no blank "+
			"line after it): a browser discards it")
	}
}

func (p *parser) flag(offset int, b []byte, reason string) {
	p.violations = append(p.violations, Violation{
		Offset: offset,
		Bytes:  bytes.Clone(b),
		Reason: reason,
	})
}
