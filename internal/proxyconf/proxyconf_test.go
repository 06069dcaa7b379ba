package proxyconf

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// goodConfPath is the configuration the stack deploys; every variant below starts from it.
const goodConfPath = "../../nginx/nginx.conf"

// heartbeat is well inside the good configuration's 1h read timeout.
const heartbeat = 15 * time.Second

// mimeTypes stands in for Debian's mime.types: a `types` block whose entries are not
// directives, which the parser has to take as they are.
const mimeTypes = `types {
    text/html                             html htm shtml;
    text/css                              css;
    application/javascript                js;
    image/png                             png;
}`

type file struct{ path, text string }

// input is one configuration under test: the main file and any included files, in the
// order nginx -T prints them.
type input struct {
	main  string
	extra []file
}

// dump renders the input as `nginx -T` prints it, with nginx's own messages on the same
// stream as a container log would have them.
func (in input) dump() string {
	var b strings.Builder
	b.WriteString("nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n")
	b.WriteString("nginx: configuration file /etc/nginx/nginx.conf test is successful\n")
	section := func(path, text string) {
		fmt.Fprintf(&b, "# configuration file %s:\n%s\n\n", path, text)
	}
	section("/etc/nginx/nginx.conf", in.main)
	section("/etc/nginx/mime.types", mimeTypes)
	for _, f := range in.extra {
		section(f.path, f.text)
	}
	return b.String()
}

// position returns "file:line" of the first line holding marker, as a Finding names it.
func (in input) position(t *testing.T, marker string) string {
	t.Helper()
	files := append([]file{{"/etc/nginx/nginx.conf", in.main}}, in.extra...)
	for _, f := range files {
		for i, line := range strings.Split(f.text, "\n") {
			if strings.Contains(line, marker) {
				return fmt.Sprintf("%s:%d", strings.TrimPrefix(f.path, "/etc/nginx/"), i+1)
			}
		}
	}
	t.Fatalf("want a line holding %q in the test input, found none", marker)
	return ""
}

// goodInput reads the deployed configuration and includes mime.types from http, as
// Debian's stock configuration does, so include resolution is always exercised.
func goodInput(t *testing.T) input {
	t.Helper()
	b, err := os.ReadFile(goodConfPath)
	if err != nil {
		t.Fatalf("want the deployed configuration at %s, found: %v", goodConfPath, err)
	}
	return input{main: replace(t, string(b), "http {\n", "http {\n    include mime.types;\n")}
}

// replace swaps the first occurrence of old; a variant whose anchor has gone from
// nginx.conf must fail rather than silently test the good configuration.
func replace(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("want %q in the configuration to build the variant, found it absent", old)
	}
	return strings.Replace(s, old, new, 1)
}

// eventsBlock is the /events location as nginx.conf writes it, closing brace included.
func eventsBlock(t *testing.T, conf string) string {
	t.Helper()
	start := strings.Index(conf, "        location /events {")
	if start < 0 {
		t.Fatalf("want a location /events in the configuration, found none")
	}
	end := strings.Index(conf[start:], "\n        }\n")
	if end < 0 {
		t.Fatalf("want the /events location closed at server indentation, found no brace")
	}
	return conf[start : start+end+len("\n        }\n")]
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(t *testing.T, in *input)
		heartbeat time.Duration
		want      []string // directives of the expected findings, in order
		wantFound string   // a substring of the first finding's Found, when set
		wantAt    string   // marker of the line the first finding's Where names, when set
	}{
		{name: "deployed configuration", edit: func(*testing.T, *input) {}},
		{
			name: "buffering on",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "proxy_buffering off;", "proxy_buffering on;")
			},
			want:   []string{"proxy_buffering"},
			wantAt: "proxy_buffering on;",
		},
		{
			name: "proxy_http_version unset",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "proxy_http_version 1.1;", "")
			},
			want:      []string{"proxy_http_version"},
			wantFound: "the default when unset",
			wantAt:    "location /events {",
		},
		{
			name: "proxy_http_version 1.0",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "proxy_http_version 1.1;", "proxy_http_version 1.0;")
			},
			want:      []string{"proxy_http_version"},
			wantFound: "1.0",
			wantAt:    "proxy_http_version 1.0;",
		},
		{
			name: "Connection close",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main,
					`proxy_set_header Connection "";`, `proxy_set_header Connection close;`)
			},
			want:      []string{"proxy_set_header Connection"},
			wantFound: `"close"`,
		},
		{
			name: "Connection from a map variable",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, `proxy_set_header Connection "";`,
					`proxy_set_header Connection $connection_upgrade;`)
			},
			want:      []string{"proxy_set_header Connection"},
			wantFound: "$connection_upgrade",
		},
		{
			name: "gzip of event-stream at http level",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "gzip off;\n\n    # The error pages",
					"gzip on;\n    gzip_types text/event-stream;\n\n    # The error pages")
				in.main = replace(t, in.main, "            gzip off;\n", "")
			},
			want:   []string{"gzip"},
			wantAt: "gzip on;",
		},
		{
			name: "gzip of event-stream in the location",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "            gzip off;\n",
					"            gzip on;\n            gzip_types *;\n")
			},
			want: []string{"gzip"},
		},
		{
			// gzip_types defaults to text/html, so gzip alone leaves the stream alone.
			name: "gzip on without event-stream types",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "            gzip off;\n", "            gzip on;\n")
			},
		},
		{
			name: "proxy_cache set",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "proxy_cache off;", "proxy_cache sse;")
			},
			want:      []string{"proxy_cache"},
			wantFound: "sse",
		},
		{
			name: "read timeout shorter than heartbeat",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "proxy_read_timeout 1h;", "proxy_read_timeout 500ms;")
			},
			heartbeat: time.Second,
			want:      []string{"proxy_read_timeout"},
			wantFound: "500ms",
		},
		{
			name: "default read timeout against a long heartbeat",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "proxy_read_timeout 1h;", "")
			},
			heartbeat: 90 * time.Second,
			want:      []string{"proxy_read_timeout"},
			wantFound: "60s",
		},
		{
			name: "read timeout in combined units",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "proxy_read_timeout 1h;", "proxy_read_timeout 1m30s;")
			},
			heartbeat: 80 * time.Second,
		},
		{
			name: "Connection only at server level, Host in the location",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, `proxy_set_header Connection "";`, "")
				in.main = replace(t, in.main, "ssl_certificate_key /etc/nginx/tls/tls.key;\n",
					"ssl_certificate_key /etc/nginx/tls/tls.key;\n"+
						"        proxy_set_header Connection \"\";\n")
			},
			want:      []string{"proxy_set_header Connection"},
			wantFound: "replaces",
			wantAt:    "location /events {",
		},
		{
			name: "all headers at server level",
			edit: func(t *testing.T, in *input) {
				block := eventsBlock(t, in.main)
				var kept []string
				for _, line := range strings.Split(block, "\n") {
					if !strings.Contains(line, "proxy_set_header") {
						kept = append(kept, line)
					}
				}
				in.main = replace(t, in.main, block, strings.Join(kept, "\n"))
				in.main = replace(t, in.main, "ssl_certificate_key /etc/nginx/tls/tls.key;\n",
					"ssl_certificate_key /etc/nginx/tls/tls.key;\n"+
						"        proxy_set_header Connection \"\";\n")
			},
		},
		{
			name: "events location in an included file",
			edit: func(t *testing.T, in *input) {
				block := eventsBlock(t, in.main)
				in.main = replace(t, in.main, block, "        include conf.d/*.conf;\n")
				in.extra = append(in.extra, file{"/etc/nginx/conf.d/events.conf", block})
			},
		},
		{
			name: "included events location with buffering on",
			edit: func(t *testing.T, in *input) {
				block := eventsBlock(t, in.main)
				in.main = replace(t, in.main, block, "        include conf.d/*.conf;\n")
				block = replace(t, block, "proxy_buffering off;", "proxy_buffering on;")
				in.extra = append(in.extra, file{"/etc/nginx/conf.d/events.conf", block})
			},
			want:   []string{"proxy_buffering"},
			wantAt: "proxy_buffering on;",
		},
		{
			name: "no events location",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "location /events {", "location /stream {")
			},
			want:      []string{"location"},
			wantFound: "no location serves /events",
		},
		{
			name: "regex location serves events",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "location /events {", `location ~ "^/(events|feed)$" {`)
			},
		},
		{
			name: "exact location",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "location /events {", "location = /events {")
			},
		},
		{
			name: "regex location takes the path from a plain prefix",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "        location /events {",
					"        location ~ ^/ev {\n            return 404;\n        }\n"+
						"        location /events {")
			},
			want: []string{"location"},
		},
		{
			name: "^~ prefix keeps the path from a regex location",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "        location /events {",
					"        location ~ ^/ev {\n            return 404;\n        }\n"+
						"        location ^~ /events {")
			},
		},
		{
			// `ssl on` makes every listen of the server TLS, so plain HTTP is gone.
			name: "ssl on instead of listen ssl",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "listen 8443 ssl;", "listen 8443;\n        ssl on;")
			},
			want:      []string{"listen"},
			wantFound: "8443",
		},
		{
			name: "no TLS listener",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "listen 8443 ssl;", "")
			},
			want:      []string{"listen"},
			wantFound: "8080",
		},
		{
			name: "TLS listener on all IPv6 addresses",
			edit: func(t *testing.T, in *input) {
				in.main = replace(t, in.main, "listen 8443 ssl;", "listen [::]:8443 ssl;")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodInput(t)
			tt.edit(t, &in)
			hb := tt.heartbeat
			if hb == 0 {
				hb = heartbeat
			}

			findings, err := Check(in.dump(), hb)

			if err != nil {
				t.Fatalf("want findings, found error: %v", err)
			}
			t.Logf("findings:\n%s", list(findings))
			var got []string
			for _, f := range findings {
				got = append(got, f.Directive)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("want findings for %q, found:\n%s", tt.want, list(findings))
			}
			if tt.wantFound != "" && !strings.Contains(findings[0].Found, tt.wantFound) {
				t.Errorf("want a finding that found %q, found: %s", tt.wantFound, findings[0])
			}
			if tt.wantAt != "" {
				if where := in.position(t, tt.wantAt); findings[0].Where != where {
					t.Errorf("want the finding at %s, found: %s", where, findings[0])
				}
			}
		})
	}
}

func list(fs []Finding) string {
	if len(fs) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}

func TestCheckRejectsUnparseableInput(t *testing.T) {
	in := "# configuration file /etc/nginx/nginx.conf:\nhttp { server { listen 8080;\n"

	_, err := Check(in, heartbeat)

	if err == nil {
		t.Fatalf("want an error for an unclosed block, found none")
	}
}

func TestFindingString(t *testing.T) {
	f := Finding{Directive: "proxy_http_version", Found: "1.0 (the default when unset)",
		Want: "1.1", Where: "nginx.conf:58"}
	want := "/events (nginx.conf:58): proxy_http_version is 1.0 (the default when unset);" +
		" the contract needs 1.1"

	if got := f.String(); got != want {
		t.Errorf("want %q, found %q", want, got)
	}
}

func TestParseNginxTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"500ms", 500 * time.Millisecond},
		{"30", 30 * time.Second},
		{"60s", time.Minute},
		{"5m", 5 * time.Minute},
		{"1m30s", 90 * time.Second},
		{"1h", time.Hour},
		{"2d", 48 * time.Hour},
		{"1h 30m", 90 * time.Minute},
	}
	for _, tt := range tests {
		got, err := parseNginxTime(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseNginxTime(%q): want %v, found %v (error %v)", tt.in, tt.want, got, err)
		}
	}
	for _, bad := range []string{"", "s", "10x", "1.5s"} {
		if got, err := parseNginxTime(bad); err == nil {
			t.Errorf("parseNginxTime(%q): want an error, found %v", bad, got)
		}
	}
}

func TestListenPort(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"8443", 8443, true},
		{"0.0.0.0:8443", 8443, true},
		{"[::]:8443", 8443, true},
		{"[::]", 80, true},
		{"localhost", 80, true},
		{"unix:/run/nginx.sock", 0, false},
	}
	for _, tt := range tests {
		got, ok := listenPort(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("listenPort(%q): want %d %v, found %d %v", tt.in, tt.want, tt.ok, got, ok)
		}
	}
}
