package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/browser"
	"github.com/fechatter/notify-e2e/internal/fixtures"
	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/timeouts"
)

// The last hop: a page in headless Chromium listens with addEventListener
// for the names the contract promises, as the web client does. A browser
// drops frames whose name nobody listens for, refuses a stream without the
// event-stream type, and reads bytes more strictly than the Go clients.
var _ = Describe("A page in headless Chromium", Label("browser"), func() {
	for _, f := range variants {
		for _, role := range f.Users {
			want := wants(f.Expect[role])
			if len(want) == 0 {
				continue // the Go clients prove non-receipt
			}
			It(fmt.Sprintf("receives %s for %s from a %s", describe(want), role, f.Name()),
				Label(f.Variant), func(ctx SpecContext) { expectInBrowser(ctx, f, role) },
				SpecTimeout(timeouts.Spec))
		}
	}
})

func expectInBrowser(ctx context.Context, f fixtures.Fixture, role string) {
	requireBrowser()
	a := arrange(ctx, f, role)

	By("connect the Go clients and open " + role + "'s page through nginx")
	sts := connectVia(ctx, a.user, role, direct, viaHTTP)
	// Headers first: EventSource refuses a stream the Go clients accept, and
	// that fault is notify-server's or nginx's, not the browser's.
	found := check(sts, headerProblem)
	names := []string{"MessageUnread"} // the sentinel's name
	for _, w := range a.want {
		if !slices.Contains(names, w.Name) {
			names = append(names, w.Name)
		}
	}
	octx, cancel := context.WithTimeout(ctx, timeouts.Connect)
	defer cancel()
	tab, err := env.browser.Open(octx, env.NginxHTTP, "/",
		"/events?access_token="+env.signer.Mint(a.user), names)
	if err != nil {
		expectClean(append(found, finding{hop.Browser, hop.Problemf(hop.Missing,
			"%s's page never saw connection_confirmed within %v (EventSource refused "+
				"or never got the stream): %v", role, timeouts.Connect, err)}))
	}
	DeferCleanup(tab.Close)

	By("publish the " + f.Variant)
	env.publish(ctx, a.bound.Subject, a.bound.Body)
	sent := env.sendSentinel(ctx, a.ids["chat"], a.user.ID)
	found = append(found, readAll(ctx, sent, sts, a.want, a.ordered)...)

	wctx, cancel := context.WithTimeout(ctx, timeouts.Delivery)
	defer cancel()
	evs, err := tab.WaitFor(wctx, sent.match.String())
	if !a.ordered {
		// The event may come after the sentinel: wait for it on the page too.
		_ = InterceptGomegaFailure(func() {
			Eventually(ctx, func() int {
				evs, _ = tab.Received()
				missing, _ := hop.Unmatched(a.want, pageGot(evs))
				return len(missing)
			}).WithTimeout(timeouts.Delivery).Should(BeZero())
		})
	}
	var got []hop.Got
	for _, e := range evs {
		if sent.match.MatchString(e.Data) {
			if a.ordered {
				break
			}
			continue // nothing orders the event and the sentinel
		}
		got = append(got, hop.Got{Name: e.Name, Data: e.Data})
	}
	p := hop.Diff(a.want, got, role+"'s page")
	if err != nil && p.OK() {
		p = hop.Problemf(hop.Missing, "the sentinel never reached %s's page: %v", role, err)
	}
	expectClean(append(found, finding{hop.Browser, p}))
}

// requireBrowser skips a browser spec where Chromium is not installed and
// the run is not CI's; any other reason it could not start is a failure.
func requireBrowser() {
	GinkgoHelper()
	switch {
	case env.browser != nil:
	case errors.Is(env.noBrowser, browser.ErrMissing) && os.Getenv("CI") == "":
		Skip(env.noBrowser.Error())
	default:
		Fail("the browser hop cannot be observed: " + env.noBrowser.Error())
	}
}

func pageGot(evs []browser.Event) []hop.Got {
	got := make([]hop.Got, len(evs))
	for i, e := range evs {
		got[i] = hop.Got{Name: e.Name, Data: e.Data}
	}
	return got
}
