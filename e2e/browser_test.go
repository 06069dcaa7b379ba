package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/fixtures"
	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// The last hop: a page in headless Chromium listens with addEventListener
// for the names the contract promises, as the web client does. A browser
// drops frames whose name nobody listens for, and reads bytes more strictly
// than the Go clients; both show here first.
var _ = Describe("In a real browser", Label("browser"), func() {
	all, err := fixtures.Load(filepath.Join(root, "fixtures"))
	if err != nil {
		panic(err)
	}
	for _, f := range all {
		for _, role := range f.Users {
			want := wants(f.Expect[role])
			if len(want) == 0 {
				continue // the Go clients prove non-receipt
			}
			It(fmt.Sprintf("%s brings %s to %s's page", f.Variant, describe(want), role),
				Label(f.Variant), func(ctx SpecContext) { expectInBrowser(ctx, f, role) },
				SpecTimeout(timeouts.Spec))
		}
	}
})

func expectInBrowser(ctx context.Context, f fixtures.Fixture, role string) {
	if env.browser == nil {
		Skip(env.noBrowser.Error())
	}
	ids := env.ids(f.Placeholders())
	b, err := f.Bind(ids)
	Expect(err).NotTo(HaveOccurred())
	user := token.NewUser(ids[role], 1)
	want := wants(b.Expect[user.ID])
	seedMembers(ctx, f, ids)

	By("connect the Go clients and open " + role + "'s page through nginx")
	sts := straightAndThrough(ctx, viaHTTP, user)
	// Headers first: EventSource refuses a stream the Go clients accept, and
	// that fault is notify-server's or nginx's, not the browser's.
	found := check(sts, headerProblem)
	names := []string{"MessageUnread"} // the sentinel's name
	for _, w := range want {
		if !slices.Contains(names, w.Name) {
			names = append(names, w.Name)
		}
	}
	octx, cancel := context.WithTimeout(ctx, timeouts.Connect)
	defer cancel()
	tab, err := env.browser.Open(octx, env.NginxHTTP, "/",
		"/events?access_token="+env.signer.Mint(user), names)
	if err != nil {
		expectClean(append(found, problem{hop.Browser, hop.Problemf(hop.Missing,
			"%s's page never saw connection_confirmed within %v (EventSource refused "+
				"or never got the stream): %v", role, timeouts.Connect, err)}))
	}
	DeferCleanup(tab.Close)

	By("publish the " + f.Variant + " and a sentinel")
	Expect(env.publish(ctx, b.Subject, b.Body)).To(Succeed())
	sent := env.newSentinel(ids["chat"], user.ID)
	Expect(env.publish(ctx, sent.subject(), sent.body())).To(Succeed())

	for _, st := range sts {
		found = append(found, on(st, sent.upTo(ctx, st).problem(st, want, st.Label)))
	}
	wctx, cancel := context.WithTimeout(ctx, timeouts.Delivery)
	defer cancel()
	evs, err := tab.WaitFor(wctx, fmt.Sprint(sent.msg))
	var got []hop.Got
	for _, e := range evs {
		if sent.match.MatchString(e.Data) {
			break
		}
		got = append(got, hop.Got{Name: e.Name, Data: e.Data})
	}
	p := hop.Diff(want, got, role+"'s page")
	if err != nil && p.OK() {
		p = hop.Problemf(hop.Missing, "the sentinel never reached %s's page: %v", role, err)
	}
	expectClean(append(found, problem{hop.Browser, p}))
}
