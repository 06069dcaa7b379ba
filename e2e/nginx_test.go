package e2e

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/proxyconf"
	"github.com/fechatter/notify-e2e/internal/stack"
	"github.com/fechatter/notify-e2e/internal/timeouts"
)

// Some proxy faults barely show in behaviour (an HTTP/1.0 upstream still
// streams while buffering is off), so the configuration nginx actually
// loaded is read as well, against contract.md section 7.
var _ = Describe("The nginx configuration", Label("nginx-config"), func() {
	It("keeps /events a stream, as contract section 7 requires", func(ctx SpecContext) {
		var id string
		for _, c := range env.Containers {
			if strings.HasPrefix(c.Name, "nginx") {
				id = c.ID
			}
		}
		Expect(id).NotTo(BeEmpty(), "no nginx container in the stack")

		By("read the effective configuration with nginx -T")
		out, err := stack.Exec(ctx, id, "nginx", "-T")
		Expect(err).NotTo(HaveOccurred())
		// The deployment's heartbeat, not the suite's short one, is what
		// the proxy must outlast in production.
		findings, err := proxyconf.Check(string(out), max(env.Heartbeat, timeouts.Heartbeat))
		Expect(err).NotTo(HaveOccurred())

		var v hop.Verdict
		if len(findings) > 0 {
			lines := make([]string, len(findings))
			for i, f := range findings {
				lines[i] = f.String()
			}
			v = hop.Verdict{Hop: hop.Nginx, Cause: strings.Join(lines, "; ")}
		}
		failWithVerdict(v, "")
	}, SpecTimeout(timeouts.Spec))
})
