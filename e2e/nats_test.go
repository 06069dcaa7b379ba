package e2e

import (
	"context"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/bus"
	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/timeouts"
)

// Some subscription faults do not show in a one-replica stack (a queue
// group), and others show only as silence (a wildcard one token deep). NATS
// itself says what each notify-server subscribed to.
var _ = Describe("notify-server's NATS subscriptions", Label("nats-config"), func() {
	It("cover every realtime subject, outside any queue group", func(ctx SpecContext) {
		cctx, cancel := context.WithTimeout(ctx, timeouts.Connect)
		defer cancel()
		clients, err := bus.Clients(cctx, env.NATSMonitor)
		Expect(err).NotTo(HaveOccurred())

		var others []bus.Client
		for _, c := range clients {
			if !strings.HasPrefix(c.Name, bus.ClientPrefix) { // not the suite's own
				others = append(others, c)
			}
		}
		replicas := bus.ByHost(others)
		var findings []string
		for _, r := range replicas {
			for _, m := range r.Miss() {
				findings = append(findings, fmt.Sprintf("the replica at %s (%q): %s",
					r.IP, r.Name, m))
			}
		}
		if len(replicas) < len(env.Notify) {
			findings = append(findings, fmt.Sprintf("%d notify-server replicas run, but "+
				"only %d hosts other than the suite's are connected to NATS",
				len(env.Notify), len(replicas)))
		}

		var v hop.Verdict
		if len(findings) > 0 {
			v = hop.Verdict{Hop: hop.NotifyServer, Cause: strings.Join(findings, "; ")}
		}
		failWithVerdict(v, "")
	}, SpecTimeout(timeouts.Spec))
})
