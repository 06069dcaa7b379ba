// Package e2e is the end-to-end suite: it starts the stack once, plays the
// chat server on NATS, and checks at every hop that each RealtimeEvent
// reaches the right users as contract.md says.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/project"
	"github.com/fechatter/notify-e2e/internal/settings"
	"github.com/fechatter/notify-e2e/internal/stack"
	"github.com/fechatter/notify-e2e/internal/timeouts"
)

// env is this process's view of the stack, set before any spec runs.
var env *world

// root is the module root; fixtures and nginx/ are found from it.
var root = mustModuleRoot()

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(timeouts.Delivery)
	SetDefaultEventuallyPollingInterval(timeouts.Poll)
	SetDefaultConsistentlyPollingInterval(timeouts.Poll)
	RunSpecs(t, "notify-server end to end")
}

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	// Setup failures are stated plainly: one message, no error dump.
	set, err := settings.FromEnv(root)
	failOn(err)
	failOn(stack.CheckDocker(ctx))
	failOn(stack.CheckImages(ctx, set))
	if n, err := stack.Reap(ctx, false); err != nil || n > 0 {
		GinkgoWriter.Printf("removed %d leftovers of earlier runs (errors: %v)\n", n, err)
	}

	// Evidence describes one run; an old run's would mislead.
	Expect(os.RemoveAll(filepath.Join(set.Artifacts, "failures"))).To(Succeed())

	By("build the images that are missing")
	imgs, err := stack.ResolveImages(ctx, set, GinkgoWriter)
	failOn(err)

	By("start NATS, PostgreSQL, notify-server and nginx")
	started := time.Now()
	dir := filepath.Join(set.Artifacts, "stack-"+started.UTC().Format("150405.000"))
	s, err := stack.Start(ctx, stack.OptionsFor(root, set, imgs, dir, GinkgoWriter))
	failOn(err)
	DeferCleanup(func(ctx context.Context) {
		if set.Keep && suiteFailed {
			state := stack.State{Endpoints: s.Endpoints, Dir: dir, Started: started}
			path := filepath.Join(dir, "stack.json")
			Expect(state.Save(path)).To(Succeed())
			fmt.Fprint(os.Stderr, keptMessage(state, path))
			return
		}
		Expect(s.Terminate(ctx)).To(Succeed())
	}, NodeTimeout(timeouts.Teardown))

	b, err := json.Marshal(handoff{
		Endpoints: s.Endpoints, Artifacts: set.Artifacts, Heartbeat: set.Heartbeat,
	})
	Expect(err).NotTo(HaveOccurred())
	return b
}, func(ctx SpecContext, b []byte) {
	var h handoff
	Expect(json.Unmarshal(b, &h)).To(Succeed())
	w, err := newWorld(ctx, h)
	DeferCleanup(w.close)
	Expect(err).NotTo(HaveOccurred())
	env = w
}, NodeTimeout(timeouts.SuiteSetup))

// handoff is what the first process gives the others.
type handoff struct {
	stack.Endpoints
	Artifacts string `json:"artifacts"`
	// Heartbeat is the deployment's heartbeat interval (E2E_HEARTBEAT).
	Heartbeat time.Duration `json:"heartbeat"`
}

func failOn(err error) {
	GinkgoHelper()
	if err != nil {
		Fail(err.Error())
	}
}

// suiteFailed is set when any spec of this process fails; E2E_KEEP then
// leaves the stack up for a look.
var suiteFailed bool

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() {
		suiteFailed = true
	}
})

func keptMessage(s stack.State, path string) string {
	return fmt.Sprintf(`
The stack is left running for a look (E2E_KEEP is set and a spec failed):
  nginx          %s  %s  (CA %s)
  notify-server  %v
  NATS           %s  (monitoring %s)
  PostgreSQL     %s
Talk to it with notifyctl (tokens, tail, publish), for example:
  NOTIFYCTL_STATE=%s bin/notifyctl tail --user 1
Remove it, and any other stack no run is using, with: make clean
`, s.NginxHTTP, s.NginxHTTPS, s.CAFile(), s.Notify, s.NATS, s.NATSMonitor, s.Postgres, path)
}

func mustModuleRoot() string {
	dir, err := project.Root()
	if err != nil {
		panic(err)
	}
	return dir
}
