package e2e

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/sseclient"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

var _ = Describe("The event stream", Label("stream"), func() {
	for _, p := range append([]path{direct}, proxied...) {
		Context("over "+p.name, Label(p.label), func() {
			It("is served as an uncompressed, uncached event stream", func(ctx SpecContext) {
				st := env.connect(ctx, p, token.NewUser(env.id(), 1), "user", "")

				Expect(st.Header.Get("Content-Type")).To(
					MatchRegexp(`^text/event-stream\s*(;\s*charset=(?i:utf-8)\s*)?$`),
					"Content-Type of the stream")
				Expect(st.Header.Get("Cache-Control")).To(Equal("no-cache"), "Cache-Control")
				Expect(st.Header.Get("Content-Encoding")).To(BeEmpty(),
					"the stream must not be compressed (gzip holds events back)")
				if p.name == direct.name {
					// nginx consumes X-Accel-Buffering, so only the direct
					// client can see that notify-server sends it.
					Expect(st.Header.Get("X-Accel-Buffering")).To(Equal("no"),
						"X-Accel-Buffering switches proxy buffering off for the stream")
				}
			}, SpecTimeout(timeouts.Spec))

			It("opens with connection_confirmed naming the user", func(ctx SpecContext) {
				u := token.NewUser(env.id(), 1)
				st := env.connect(ctx, p, u, "user", "")

				first := st.Events()[0]
				var data struct {
					UserID       *int64  `json:"user_id"`
					ConnectionID *string `json:"connection_id"`
				}
				Expect(json.Unmarshal([]byte(first.Data), &data)).To(Succeed(),
					"connection_confirmed data %q is not JSON", first.Data)
				Expect(data.UserID).To(HaveValue(Equal(u.ID)), "user_id in %s", first.Data)
				Expect(data.ConnectionID).To(HaveValue(MatchRegexp(
					`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)),
					"connection_id in %s", first.Data)
				raw := st.Raw().Events()
				Expect(raw).NotTo(BeEmpty())
				Expect(raw[0].HasRetry).To(BeTrue(),
					"connection_confirmed carries no retry: field (bytes %q)", raw[0].Raw)
			}, SpecTimeout(timeouts.Spec))

			It("writes a heartbeat comment while idle", Label("heartbeat"), func(ctx SpecContext) {
				st := env.connect(ctx, p, token.NewUser(env.id(), 1), "user", "")

				Eventually(func() int { return len(st.Raw().Comments()) }).
					WithTimeout(3*timeouts.Heartbeat).
					Should(BeNumerically(">=", 1),
						"no comment line within %v of idling; heartbeat interval is %v",
						3*timeouts.Heartbeat, timeouts.Heartbeat)
			}, SpecTimeout(timeouts.Spec))
		})
	}

	for _, p := range proxied {
		It("stays open through nginx over "+p.label+" while idle", Label("heartbeat", p.label),
			func(ctx SpecContext) {
				chat, u := env.id(), token.NewUser(env.id(), 1)
				st := env.connect(ctx, p, u, "user", "")

				By("stay idle for longer than a short proxy read timeout would allow")
				Consistently(func() bool { ended, _ := st.Ended(); return ended }).
					WithTimeout(timeouts.IdleWindow).
					Should(BeFalse(), "the stream through nginx closed while idle")

				By("publish after the idle window and expect the event")
				expectOnly(ctx, chat, u.ID, []*sseclient.Stream{st}, nil)
			}, SpecTimeout(timeouts.Spec))
	}
})
