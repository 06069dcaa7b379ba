// Command selfcheck proves the suite catches what it exists to catch: it
// runs the suite against the good stack five times, then against every
// fault in faults/catalogue.yaml, and fails unless the good stack passes
// every time and every fault is caught with a verdict at the right hop.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/fechatter/notify-e2e/internal/images"
	"github.com/fechatter/notify-e2e/internal/project"
)

func main() {
	goodRuns := flag.Int("good-runs", 5, "times the whole suite runs against the good stack")
	only := flag.String("only", "", "run only the faults whose name contains this")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *goodRuns, *only); err != nil {
		fmt.Fprintln(os.Stderr, "selfcheck:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, goodRuns int, only string) error {
	root, err := project.Root()
	if err != nil {
		return err
	}
	faults, err := loadCatalogue(filepath.Join(root, "faults", "catalogue.yaml"))
	if err != nil {
		return err
	}
	good, err := os.ReadFile(filepath.Join(root, "nginx", "nginx.conf"))
	if err != nil {
		return err
	}
	out := filepath.Join(artifacts(root), "selfcheck")
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}

	fmt.Println("selfcheck: building images and the suite")
	if _, err := images.All(ctx, os.Stderr); err != nil {
		return err
	}
	suite := filepath.Join(out, "e2e.test")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", suite, "./e2e")
	build.Dir, build.Stdout, build.Stderr = root, os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("compile the suite: %w", err)
	}
	r := runner{root: root, suite: suite, out: out}

	var failed []string
	for i := range goodRuns {
		res := r.run(ctx, fmt.Sprintf("good-%d", i+1), "", nil, false)
		fmt.Printf("good stack, run %d of %d: %s\n", i+1, goodRuns, res.summary())
		if !res.passed() {
			failed = append(failed, fmt.Sprintf("good stack run %d: %s", i+1, res.summary()))
		}
	}

	// Contract section 7: with several replicas behind nginx every client
	// still gets every event once.
	if goodRuns > 0 {
		res := r.run(ctx, "good-2-replicas", "",
			map[string]string{"E2E_NOTIFY_REPLICAS": "2"}, false)
		fmt.Printf("good stack with two notify-server replicas: %s\n", res.summary())
		if !res.passed() {
			failed = append(failed, "good stack with two replicas: "+res.summary())
		}
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tCAUGHT\tHOP (WANT)\tTIME\tCAUSE")
	for _, f := range faults {
		if only != "" && !strings.Contains(f.Name, only) {
			continue
		}
		conf, err := f.nginxConf(good, out)
		if err != nil {
			return err
		}
		env := map[string]string{}
		if f.NotifyFault != "" {
			env["NOTIFY_FAULT"] = f.NotifyFault
		}
		if conf != "" {
			env["E2E_NGINX_CONF"] = conf
		}
		if f.Replicas > 0 {
			env["E2E_NOTIFY_REPLICAS"] = fmt.Sprint(f.Replicas)
		}
		res := r.run(ctx, slug(f.Name), f.Specs, env, true)
		ok, why := res.judge(f.Hop)
		if !ok {
			failed = append(failed, f.Name+": "+why)
		}
		fmt.Printf("fault %q: caught %s at %s in %v\n", f.Name, yesNo(res.caught()),
			res.hop(), res.timeToCatch().Round(100*time.Millisecond))
		fmt.Fprintf(tw, "%s\t%s\t%s (%s)\t%v\t%s\n", f.Name, yesNo(res.caught()),
			res.hop(), f.Hop, res.timeToCatch().Round(100*time.Millisecond),
			shorten(res.cause(), 90))
	}
	fmt.Println()
	tw.Flush()

	if len(failed) > 0 {
		return fmt.Errorf("%d problems:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	fmt.Println("selfcheck: the good stack passed every run and every fault was caught " +
		"at the right hop")
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

func artifacts(root string) string {
	if a := os.Getenv("E2E_ARTIFACTS"); a != "" {
		if filepath.IsAbs(a) {
			return a
		}
		return filepath.Join(root, a)
	}
	return filepath.Join(root, "_artifacts")
}
