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

		var servers int
		var findings []string
		for _, c := range clients {
			if strings.HasPrefix(c.Name, bus.ClientPrefix) {
				continue // the suite's own publisher and tap
			}
			servers++
			for _, m := range c.Miss() {
				findings = append(findings, fmt.Sprintf("the client at %s (%q): %s",
					c.IP, c.Name, m))
			}
		}
		if servers < len(env.Notify) {
			findings = append(findings, fmt.Sprintf("%d notify-server replicas run, but "+
				"only %d clients other than the suite's are connected to NATS",
				len(env.Notify), servers))
		}

		var v hop.Verdict
		if len(findings) > 0 {
			v = hop.Verdict{Hop: hop.NotifyServer, Cause: strings.Join(findings, "; ")}
		}
		failWithVerdict(v, "")
	}, SpecTimeout(timeouts.Spec))
})
