package e2e

import (
	"net/http"
	"net/url"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

var _ = Describe("Authentication", Label("auth"), func() {
	for _, p := range append([]path{direct}, proxied...) {
		Context("over "+p.name, func() {
			It("refuses every kind of bad token with 401 and no stream", func(ctx SpecContext) {
				u := token.NewUser(env.id(), 1)
				client := &http.Client{
					Transport: &http.Transport{TLSClientConfig: env.tls},
					Timeout:   timeouts.Connect,
				}
				for _, bad := range env.signer.RefusedFor(u) {
					By("present a token that is " + bad.Name)
					u := p.base(env) + "/events?access_token=" + url.QueryEscape(bad.Token)
					req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
					Expect(err).NotTo(HaveOccurred())
					resp, err := client.Do(req)
					Expect(err).NotTo(HaveOccurred())
					resp.Body.Close()

					Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized),
						"a %s token was answered with HTTP %d (Content-Type %q), expected 401",
						bad.Name, resp.StatusCode, resp.Header.Get("Content-Type"))
					Expect(resp.Header.Get("Content-Type")).
						NotTo(HavePrefix("text/event-stream"), "%s token got a stream", bad.Name)
				}
			}, SpecTimeout(timeouts.Spec))
		})
	}

})
