// Package sse encodes Server-Sent Events frames as the WHATWG HTML standard parses them.
package sse

import (
	"strconv"
	"time"
)

// Frame is one SSE event. Empty fields are left out of the encoding.
type Frame struct {
	ID    string
	Event string
	Data  []byte
	Retry time.Duration
}

// Append encodes f after dst. Data containing line breaks (CRLF, LF or CR) becomes one
// data: line per line of text, which a parser joins back with LF.
func Append(dst []byte, f Frame) []byte {
	return appendFrame(dst, f, true)
}

// AppendUnsplit encodes f with the data on a single line, as it is. Only the
// unsplit-data fault uses it: a parser then reads the text after the first line break
// as fields of its own.
func AppendUnsplit(dst []byte, f Frame) []byte {
	return appendFrame(dst, f, false)
}

func appendFrame(dst []byte, f Frame, split bool) []byte {
	if f.ID != "" {
		dst = appendField(dst, "id", f.ID)
	}
	if f.Event != "" {
		dst = appendField(dst, "event", f.Event)
	}
	if split {
		for _, line := range Lines(string(f.Data)) {
			dst = appendField(dst, "data", line)
		}
	} else {
		dst = appendField(dst, "data", string(f.Data))
	}
	if f.Retry > 0 {
		dst = appendField(dst, "retry", strconv.FormatInt(f.Retry.Milliseconds(), 10))
	}
	return append(dst, '\n')
}

// AppendComment encodes a comment, which parsers ignore and proxies see as traffic.
func AppendComment(dst []byte, text string) []byte {
	for _, line := range Lines(text) {
		dst = append(dst, ": "...)
		dst = append(dst, line...)
		dst = append(dst, '\n')
	}
	return append(dst, '\n')
}

// appendField writes "name: value". The space after the colon is dropped by parsers,
// so a value that itself starts with a space keeps it.
func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, '\n')
}

// Lines splits s at CRLF, LF and CR, the three line endings an SSE parser accepts.
// An empty s is one empty line, so an empty value still yields a field.
func Lines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			lines = append(lines, s[start:i])
			start = i + 1
		case '\r':
			lines = append(lines, s[start:i])
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	return append(lines, s[start:])
}
