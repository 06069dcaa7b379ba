package e2e

import (
	"fmt"
	"net/http"
	"net/url"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

var _ = Describe("Authentication", Label("auth"), func() {
	for _, p := range proxied {
		It("refuses every kind of bad token with 401 and no stream, through nginx over "+
			p.label, Label(p.label), func(ctx SpecContext) {
			client := &http.Client{
				Transport: &http.Transport{TLSClientConfig: env.tls},
				Timeout:   timeouts.Connect,
			}
			defer client.CloseIdleConnections()
			refusal := func(base, token string) string {
				u := base + "/events"
				if token != "" {
					u += "?access_token=" + url.QueryEscape(token)
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				Expect(err).NotTo(HaveOccurred())
				resp, err := client.Do(req)
				if err != nil {
					return err.Error()
				}
				resp.Body.Close()
				ct := resp.Header.Get("Content-Type")
				if resp.StatusCode != http.StatusUnauthorized || eventStream.MatchString(ct) {
					return fmt.Sprintf("HTTP %d (Content-Type %q), expected 401 and no stream",
						resp.StatusCode, ct)
				}
				return ""
			}

			for _, bad := range env.signer.RefusedFor(token.NewUser(env.id(), 1)) {
				By("present a token that is " + bad.Name)
				v := hop.Verdict{}
				if got := refusal(direct.base(env), bad.Token); got != "" {
					v = hop.Verdict{Hop: hop.NotifyServer, Cause: "the " + bad.Name +
						" token was answered with " + got}
				} else if got := refusal(p.base(env), bad.Token); got != "" {
					v = hop.Verdict{Hop: hop.Nginx, Cause: "the " + bad.Name +
						" token was answered with " + got + " (notify-server refused it)"}
				}
				failWithVerdict(v, "")
			}
		}, SpecTimeout(timeouts.Spec))
	}
})
