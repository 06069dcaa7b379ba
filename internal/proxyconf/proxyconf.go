// Package proxyconf reads the `nginx -T` dump of the proxy under test and names every way
// the location serving /events breaks contract section 7. Some faults are hard to see
// from the outside (an HTTP/1.0 upstream still streams with buffering off), so the suite
// reads them from the configuration instead of waiting for a symptom.
package proxyconf

import (
	"fmt"
	"strings"
	"time"
)

// eventsPath is the request path whose location is checked.
const eventsPath = "/events"

// Finding is one way the configuration breaks the contract.
type Finding struct {
	Directive string
	Found     string
	Want      string
	Where     string // file:line if known
}

// String reads as one sentence, e.g. `/events (nginx.conf:58): proxy_http_version is 1.0
// (the default when unset); the contract needs 1.1`.
func (f Finding) String() string {
	subject := eventsPath
	if f.Where != "" {
		subject += " (" + f.Where + ")"
	}
	return fmt.Sprintf("%s: %s is %s; the contract needs %s", subject, f.Directive, f.Found, f.Want)
}

// Check reads `nginx -T` output and checks every server that serves /events: the
// location nginx would pick for the path, with directives inherited from the server and
// http blocks as nginx inherits them. A server serves /events only when that location
// proxies (has proxy_pass); a catch-all that serves files is not the stream. It returns
// an error only for input it cannot parse; no findings means the proxy keeps the stream
// a stream.
func Check(nginxT string, heartbeat time.Duration) ([]Finding, error) {
	files, err := parseSections(nginxT)
	if err != nil {
		return nil, err
	}
	root := expand(files, files[0], files[0].conf.Block, 0)

	var findings []Finding
	var served []*scope // server scopes whose /events location proxies
	for _, h := range root {
		if h.name() != "http" {
			continue
		}
		httpScope := &scope{nodes: h.children}
		for _, s := range h.children {
			if s.name() != "server" {
				continue
			}
			serverScope := &scope{parent: httpScope, owner: &s, nodes: s.children}
			loc := selectLocation(serverScope)
			if loc == nil || !loc.has("proxy_pass") {
				continue
			}
			served = append(served, serverScope)
			findings = append(findings, checkLocation(loc, heartbeat)...)
		}
	}
	if len(served) == 0 {
		findings = append(findings, Finding{
			Directive: "location",
			Found:     "missing (no location serves /events)",
			Want:      "a location that proxies /events",
		})
		return findings, nil
	}
	findings = append(findings, checkListeners(served)...)
	return dedupe(findings), nil
}

// dedupe drops repeats: one included file can hold the /events location of several
// servers, and its fault is one fault.
func dedupe(fs []Finding) []Finding {
	seen := map[Finding]bool{}
	var out []Finding
	for _, f := range fs {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// scope is one block level; lookups fall through to the enclosing block as nginx's
// configuration merge does.
type scope struct {
	parent *scope
	owner  *node // the location or server this level belongs to; nil for http
	nodes  []node
}

func (s *scope) has(name string) bool {
	for _, n := range s.nodes {
		if n.name() == name {
			return true
		}
	}
	return false
}

// lookup returns the directive in effect: the last one at the innermost level that
// sets it.
func (s *scope) lookup(name string) (node, bool) {
	for l := s; l != nil; l = l.parent {
		var found *node
		for i := range l.nodes {
			if l.nodes[i].name() == name {
				found = &l.nodes[i]
			}
		}
		if found != nil {
			return *found, true
		}
	}
	return node{}, false
}

// all returns every occurrence at the innermost level that has any, and that level:
// nginx inherits array directives like proxy_set_header only as a whole.
func (s *scope) all(name string) ([]node, *scope) {
	for l := s; l != nil; l = l.parent {
		var out []node
		for _, n := range l.nodes {
			if n.name() == name {
				out = append(out, n)
			}
		}
		if len(out) > 0 {
			return out, l
		}
	}
	return nil, nil
}

// where is the position to blame for a directive left at its default: the location.
func (s *scope) where() string {
	if s.owner == nil {
		return ""
	}
	return s.owner.where()
}

// label names the level as a reader finds it in the file: "http", "server" or
// "location /events".
func (s *scope) label() string {
	if s.owner == nil {
		return "http"
	}
	return strings.TrimSpace(s.owner.name() + " " + strings.Join(s.owner.params(), " "))
}
