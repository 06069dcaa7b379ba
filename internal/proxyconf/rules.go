package proxyconf

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// selectLocation returns the scope of the location nginx picks for /events in a server,
// or nil when none matches. The order is nginx's: an exact match wins; then the longest
// prefix, searched further inside its nested locations; a `^~` prefix ends the search;
// otherwise the first matching regex, nested ones before outer ones, beats the prefix.
func selectLocation(server *scope) *scope {
	loc, _ := findLocation(server)
	return loc
}

// findLocation reports, besides the location, whether the search is over at this level
// (an exact, `^~` or regex match) or outer regexes may still take the path.
func findLocation(s *scope) (*scope, bool) {
	var prefix *scope
	prefixMod := ""
	var regexes []*scope
	for i := range s.nodes {
		n := &s.nodes[i]
		if n.name() != "location" {
			continue
		}
		mod, match := locationMatch(n.params())
		child := &scope{parent: s, owner: n, nodes: n.children}
		switch mod {
		case "=":
			if match == eventsPath {
				return child, true
			}
		case "", "^~":
			longer := prefix == nil || len(match) > len(locationMatchOf(prefix))
			if strings.HasPrefix(eventsPath, match) && longer {
				prefix, prefixMod = child, mod
			}
		case "~", "~*":
			regexes = append(regexes, child)
		}
	}
	best := prefix
	if prefix != nil {
		if nested, final := findLocation(prefix); nested != nil {
			if final {
				return nested, true
			}
			best = nested
		}
		if prefixMod == "^~" {
			return best, true
		}
	}
	for _, r := range regexes {
		mod, match := locationMatch(r.owner.params())
		if mod == "~*" {
			match = "(?i)" + match
		}
		// Go's regexp is not PCRE; a pattern it cannot compile is treated as not
		// matching, which can only hide a location, never invent one.
		if re, err := regexp.Compile(match); err == nil && re.MatchString(eventsPath) {
			return r, true
		}
	}
	return best, false
}

// locationMatch splits a location's parameters into modifier and match; nginx accepts
// the modifier glued to the match too (`location =/events`). Named locations (@name)
// get a modifier no rule knows, so they never match.
func locationMatch(p []string) (mod, match string) {
	if len(p) == 2 {
		return p[0], p[1]
	}
	if len(p) != 1 {
		return "?", ""
	}
	for _, m := range []string{"^~", "=", "~*", "~", "@"} {
		if rest, ok := strings.CutPrefix(p[0], m); ok {
			return m, rest
		}
	}
	return "", p[0]
}

func locationMatchOf(s *scope) string {
	_, match := locationMatch(s.owner.params())
	return match
}

// checkLocation applies contract section 7 to the location serving /events.
func checkLocation(loc *scope, heartbeat time.Duration) []Finding {
	var out []Finding
	add := func(directive, found, want, where string) {
		out = append(out, Finding{Directive: directive, Found: found, Want: want, Where: where})
	}

	if n, ok := loc.lookup("proxy_http_version"); !ok {
		add("proxy_http_version", "1.0 (the default when unset)", "1.1", loc.where())
	} else if v := n.arg(0); v != "1.1" {
		add("proxy_http_version", v, "1.1", n.where())
	}

	out = append(out, checkConnection(loc)...)

	if n, ok := loc.lookup("proxy_buffering"); !ok {
		add("proxy_buffering", "on (the default when unset)", "off", loc.where())
	} else if v := n.arg(0); v != "off" {
		add("proxy_buffering", v, "off", n.where())
	}

	if n, ok := loc.lookup("proxy_cache"); ok && n.arg(0) != "off" {
		add("proxy_cache", n.arg(0), "off", n.where())
	}

	if g, ok := loc.lookup("gzip"); ok && g.arg(0) == "on" {
		// gzip_types defaults to text/html only, so gzip alone does not touch the stream.
		if t, ok := loc.lookup("gzip_types"); ok {
			for _, typ := range t.params() {
				if typ == "text/event-stream" || typ == "*" {
					found := fmt.Sprintf("on, with gzip_types %s at %s", typ, t.where())
					add("gzip", found, "no compression of text/event-stream", g.where())
					break
				}
			}
		}
	}

	want := fmt.Sprintf("longer than the %s heartbeat", heartbeat)
	if n, ok := loc.lookup("proxy_read_timeout"); !ok {
		if 60*time.Second <= heartbeat {
			add("proxy_read_timeout", "60s (the default when unset)", want, loc.where())
		}
	} else if d, err := parseNginxTime(n.arg(0)); err != nil {
		add("proxy_read_timeout", fmt.Sprintf("%q (%v)", n.arg(0), err), want, n.where())
	} else if d <= heartbeat {
		add("proxy_read_timeout", n.arg(0), want, n.where())
	}
	return out
}

// checkConnection wants `proxy_set_header Connection ""` in effect. Without it nginx
// sends "Connection: close" upstream; proxy_set_header at one level replaces every one
// inherited from outer levels, which hides an outer Connection "" easily.
func checkConnection(loc *scope) []Finding {
	const directive = "proxy_set_header Connection"
	headers, level := loc.all("proxy_set_header")
	var conn []node
	for _, h := range headers {
		if strings.EqualFold(h.arg(0), "Connection") {
			conn = append(conn, h)
		}
	}
	if len(conn) == 0 {
		found := `"close" (the default when unset)`
		if level != nil {
			if outer, ok := outerConnection(level.parent); ok {
				found = fmt.Sprintf(`"close" (the default: proxy_set_header in %s replaces`+
					` the whole inherited list, Connection %q at %s included)`,
					level.label(), outer.arg(1), outer.where())
			}
		}
		return []Finding{{Directive: directive, Found: found, Want: `""`, Where: loc.where()}}
	}
	var out []Finding
	for _, c := range conn {
		if v := c.arg(1); v != "" {
			out = append(out, Finding{Directive: directive, Found: fmt.Sprintf("%q", v),
				Want: `""`, Where: c.where()})
		}
	}
	return out
}

// outerConnection finds the Connection header of the nearest enclosing level that sets
// one: the one the inner list has replaced.
func outerConnection(s *scope) (node, bool) {
	for l := s; l != nil; l = l.parent {
		for _, n := range l.nodes {
			if n.name() == "proxy_set_header" && strings.EqualFold(n.arg(0), "Connection") {
				return n, true
			}
		}
	}
	return node{}, false
}

// checkListeners wants the /events location reachable over plain HTTP on 8080 and over
// TLS on 8443: the contract runs every test through both, and buffering faults show
// over TLS only.
func checkListeners(servers []*scope) []Finding {
	var plain, tls bool
	var seen []string
	for _, s := range servers {
		sslOn := false
		if n, ok := s.lookup("ssl"); ok && n.arg(0) == "on" {
			sslOn = true
		}
		listens := 0
		for _, n := range s.nodes {
			if n.name() != "listen" {
				continue
			}
			listens++
			p := n.params()
			flagged := false
			for _, flag := range p[1:] {
				flagged = flagged || flag == "ssl"
			}
			ssl := flagged || sslOn
			desc := strings.Join(p, " ")
			if ssl && !flagged {
				desc += " (TLS by ssl on)"
			}
			seen = append(seen, desc)
			port, ok := listenPort(n.arg(0))
			if !ok {
				continue
			}
			plain = plain || (port == 8080 && !ssl)
			tls = tls || (port == 8443 && ssl)
		}
		if listens == 0 {
			seen = append(seen, "80 (the default when unset)")
		}
	}
	found := strings.Join(seen, ", ")
	var out []Finding
	if !plain {
		out = append(out, Finding{Directive: "listen", Found: found,
			Want: "8080 without ssl in a server that serves /events"})
	}
	if !tls {
		out = append(out, Finding{Directive: "listen", Found: found,
			Want: "8443 ssl in a server that serves /events"})
	}
	return out
}

// listenPort reads the port of a listen address: "8080", "0.0.0.0:8080", "[::]:8080",
// or a host alone, which nginx serves on port 80. Unix sockets have no port.
func listenPort(addr string) (int, bool) {
	if strings.HasPrefix(addr, "unix:") {
		return 0, false
	}
	port := addr
	if strings.HasPrefix(addr, "[") {
		end := strings.Index(addr, "]")
		if end < 0 {
			return 0, false
		}
		rest := addr[end+1:]
		if rest == "" {
			return 80, true
		}
		port = strings.TrimPrefix(rest, ":")
	} else if i := strings.LastIndex(addr, ":"); i >= 0 {
		port = addr[i+1:]
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		if port == addr {
			return 80, true // a host name without a port
		}
		return 0, false
	}
	return n, true
}

// nginxUnits are the time units nginx accepts, longest spelling first so "ms" is not
// read as minutes.
var nginxUnits = []struct {
	suffix string
	unit   time.Duration
}{
	{"ms", time.Millisecond},
	{"s", time.Second},
	{"m", time.Minute},
	{"h", time.Hour},
	{"d", 24 * time.Hour},
	{"w", 7 * 24 * time.Hour},
	{"M", 30 * 24 * time.Hour},
	{"y", 365 * 24 * time.Hour},
}

// parseNginxTime reads an nginx time value: "500ms", "60s", "1h", "1m30s", or a plain
// number, which nginx reads as seconds.
func parseNginxTime(v string) (time.Duration, error) {
	rest := strings.TrimSpace(v)
	if rest == "" {
		return 0, fmt.Errorf("want a time like 60s, found an empty value")
	}
	var total time.Duration
	for rest != "" {
		digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
		if digits == 0 {
			return 0, fmt.Errorf("want a number at %q in %q", rest, v)
		}
		n, err := strconv.ParseInt(rest[:digits], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("want a number at %q in %q: %w", rest, v, err)
		}
		rest = rest[digits:]
		unit := time.Second
		if rest != "" {
			matched := false
			for _, u := range nginxUnits {
				if r, ok := strings.CutPrefix(rest, u.suffix); ok {
					unit, rest, matched = u.unit, r, true
					break
				}
			}
			if !matched {
				return 0, fmt.Errorf("want a unit (ms, s, m, h, d, w, M, y) at %q in %q",
					rest, v)
			}
		}
		total += time.Duration(n) * unit
		rest = strings.TrimLeft(rest, " ")
	}
	return total, nil
}
