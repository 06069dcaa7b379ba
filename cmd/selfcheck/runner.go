package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/fechatter/notify-e2e/internal/timeouts"
)

// runner runs the compiled suite with one set of inputs.
type runner struct {
	root, suite, out string
}

// runBound keeps one run well inside CI's limits even when a fault makes
// every spec wait for its full timeout.
const runBound = 8 * time.Minute

func (r runner) run(ctx context.Context, name, labels string, env map[string]string,
	failFast bool,
) result {
	dir := filepath.Join(r.out, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return result{err: err}
	}
	report := filepath.Join(dir, "report.json")
	args := []string{
		"-test.timeout=0", "-ginkgo.timeout=" + runBound.String(),
		"-ginkgo.json-report=" + report, "-ginkgo.no-color",
	}
	if labels != "" {
		args = append(args, "-ginkgo.label-filter="+labels)
	}
	if failFast {
		args = append(args, "-ginkgo.fail-fast")
	}
	cmd := exec.CommandContext(ctx, r.suite, args...)
	// An interrupted self-check must not leave a stack behind: SIGKILL, the
	// default, skips the suite's cleanup. One interrupt lets Ginkgo run its
	// DeferCleanup nodes, and removing the stack is bounded by Teardown.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = timeouts.Interrupt
	// A group of its own keeps a terminal's Ctrl-C from reaching the suite
	// as well: Ginkgo skips cleanup at the second interrupt.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Dir = filepath.Join(r.root, "e2e")
	cmd.Env = append(os.Environ(), "E2E_ARTIFACTS="+dir)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	log, err := os.Create(filepath.Join(dir, "output.txt"))
	if err != nil {
		return result{err: err}
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	// The suite's exit status only says pass or fail; the report says how.
	_ = cmd.Run()

	raw, err := os.ReadFile(report)
	if err != nil {
		return result{err: fmt.Errorf("no report (see %s): %w", log.Name(), err)}
	}
	var reports []types.Report
	if err := json.Unmarshal(raw, &reports); err != nil || len(reports) != 1 {
		return result{err: fmt.Errorf("unreadable report %s: %v", report, err)}
	}
	return result{report: reports[0], log: log.Name()}
}

type result struct {
	report types.Report
	log    string
	err    error
}

var verdict = regexp.MustCompile(`lost at (publish|NATS|notify-server|nginx|browser): ` +
	`((?s).*)`)

// failures are the failed specs, setup nodes included.
func (r result) failures() []types.SpecReport {
	return r.report.SpecReports.WithState(types.SpecStateFailureStates)
}

func (r result) passed() bool { return r.err == nil && r.report.SuiteSucceeded }

// caught says a spec, not the stack's setup, failed.
func (r result) caught() bool {
	for _, s := range r.failures() {
		if s.LeafNodeType == types.NodeTypeIt {
			return true
		}
	}
	return false
}

func (r result) first() (types.SpecReport, bool) {
	fs := r.failures()
	if len(fs) == 0 {
		return types.SpecReport{}, false
	}
	return fs[0], true
}

func (r result) hop() string {
	s, ok := r.first()
	if !ok {
		return "-"
	}
	if m := verdict.FindStringSubmatch(s.Failure.Message); m != nil {
		return m[1]
	}
	return "no verdict"
}

func (r result) cause() string {
	if r.err != nil {
		return r.err.Error()
	}
	s, ok := r.first()
	if !ok {
		return "nothing failed"
	}
	if m := verdict.FindStringSubmatch(s.Failure.Message); m != nil {
		return m[2]
	}
	return s.Failure.Message
}

func (r result) timeToCatch() time.Duration {
	s, ok := r.first()
	if !ok {
		return r.report.RunTime
	}
	return s.EndTime.Sub(r.report.StartTime)
}

// judge says whether a fault run is what the catalogue promises: a spec
// failed, and every failure names the expected hop.
func (r result) judge(want string) (bool, string) {
	switch {
	case r.err != nil:
		return false, r.err.Error()
	case !r.caught():
		return false, "not caught: the suite passed (or only its setup failed); see " + r.log
	}
	for _, s := range r.failures() {
		m := verdict.FindStringSubmatch(s.Failure.Message)
		if m == nil {
			return false, fmt.Sprintf("%q failed without a hop verdict: %s", s.FullText(),
				shorten(s.Failure.Message, 200))
		}
		if m[1] != want {
			return false, fmt.Sprintf("%q names hop %s, expected %s: %s", s.FullText(),
				m[1], want, shorten(m[2], 200))
		}
	}
	return true, ""
}

func (r result) summary() string {
	if r.err != nil {
		return r.err.Error()
	}
	st := r.report.SpecReports.WithLeafNodeType(types.NodeTypeIt)
	fails := len(r.failures())
	return fmt.Sprintf("%d specs, %d failed, %v", st.CountWithState(types.SpecStatePassed)+fails,
		fails, r.report.RunTime.Round(100*time.Millisecond))
}
