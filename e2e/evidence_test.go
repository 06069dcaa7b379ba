package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/fechatter/notify-e2e/internal/stack"
	"github.com/fechatter/notify-e2e/internal/timeouts"
)

// Evidence is written only for a failed spec: the raw transcripts of its
// streams, the NATS tap log, every container's log, the effective nginx
// configuration, and one timeline merging them all.
var _ = BeforeEach(func() {
	streams.Lock()
	streams.open, streams.via, streams.user, streams.read = nil, nil, nil, nil
	streams.Unlock()
	specStart = time.Now()
})

var specStart time.Time

var _ = AfterEach(func(ctx SpecContext) {
	if !CurrentSpecReport().Failed() || env == nil {
		return
	}
	dir := filepath.Join(env.Artifacts, "failures", slug(CurrentSpecReport().FullText()))
	if err := writeEvidence(ctx, dir); err != nil {
		GinkgoWriter.Printf("could not write all evidence to %s: %v\n", dir, err)
	}
	AddReportEntry("evidence", dir)
	// The timeline's end goes into the report itself (JSON and JUnit), so a
	// red CI run can be read without fetching the artifacts.
	if tl, err := os.ReadFile(filepath.Join(dir, "timeline.txt")); err == nil {
		AddReportEntry("timeline (last lines)", lastLines(string(tl), 60))
	}
}, NodeTimeout(timeouts.Evidence))

type line struct {
	at   time.Time
	from string
	text string
}

func writeEvidence(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var timeline []line
	write := func(name string, b []byte) error {
		return os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	note(write("failure.txt", []byte(CurrentSpecReport().Failure.Message+"\n")))

	streams.Lock()
	open := slices.Clone(streams.open)
	streams.Unlock()
	for _, st := range open {
		note(write("stream-"+slug(st.Label)+".txt", []byte(st.Raw().Transcript())))
		for _, c := range st.Raw().Chunks() {
			timeline = append(timeline, line{c.At, st.Label, fmt.Sprintf("%q", c.Bytes)})
		}
	}

	var tap bytes.Buffer
	for _, m := range env.tap.Messages() {
		if m.At.Before(specStart) {
			continue
		}
		fmt.Fprintf(&tap, "%s %s %s\n", m.At.Format(time.RFC3339Nano), m.Subject, m.Data)
		timeline = append(timeline, line{m.At, "nats tap", m.Subject + " " + oneLine(m.Data)})
	}
	note(write("nats-tap.log", tap.Bytes()))

	for _, c := range env.Containers {
		logs, err := stack.ContainerLogs(ctx, c.ID)
		note(err)
		note(write("container-"+c.Name+".log", logs))
		timeline = append(timeline, logLines(c.Name, logs)...)
		if strings.HasPrefix(c.Name, "nginx") {
			conf, err := stack.Exec(ctx, c.ID, "nginx", "-T")
			note(err)
			note(write("nginx-T.txt", conf))
		}
	}

	slices.SortStableFunc(timeline, func(a, b line) int { return a.at.Compare(b.at) })
	var tl bytes.Buffer
	for _, l := range timeline {
		fmt.Fprintf(&tl, "%s %-28s %s\n", l.at.Format("15:04:05.000000"), l.from, l.text)
	}
	note(write("timeline.txt", tl.Bytes()))
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// logLines splits a container log whose lines start with the engine's
// RFC 3339 timestamp, keeping those of this spec.
func logLines(from string, b []byte) []line {
	var out []line
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		ts, text, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || at.Before(specStart) {
			continue
		}
		out = append(out, line{at, from, text})
	}
	return out
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func slug(s string) string {
	s = strings.Trim(unsafeName.ReplaceAllString(s, "-"), "-")
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// oneLine keeps a published body on one timeline line: compacted when it is
// JSON, quoted when it is not.
func oneLine(b []byte) string {
	var out bytes.Buffer
	if json.Compact(&out, b) == nil {
		return out.String()
	}
	return fmt.Sprintf("%q", b)
}
