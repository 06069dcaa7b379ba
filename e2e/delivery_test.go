package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/fixtures"
	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/sseclient"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// variants are the expectations in fixtures/, loaded once; a broken fixture
// stops the run rather than skipping specs.
var variants = func() []fixtures.Fixture {
	all, err := fixtures.Load(filepath.Join(root, "fixtures"))
	if err != nil {
		panic(err)
	}
	return all
}()

// The delivery specs are generated from fixtures/: one spec per variant,
// receiver role and transport.
var _ = Describe("RealtimeEvent delivery", Label("delivery"), func() {
	for _, f := range variants {
		Describe(f.Name(), Label(f.Variant), func() {
			for _, p := range proxied {
				Context("through nginx over "+p.label, Label(p.label), func() {
					for _, role := range f.Users {
						want := wants(f.Expect[role])
						It(fmt.Sprintf("brings %s to %s", describe(want), role),
							func(ctx SpecContext) { expectDelivery(ctx, f, role, p) },
							SpecTimeout(timeouts.Spec))
					}
				})
			}
		})
	}
})

func wants(es []fixtures.Expected) []hop.Want {
	out := make([]hop.Want, len(es))
	for i, e := range es {
		out[i] = hop.Want{Name: e.Event, Data: e.Data}
	}
	return out
}

// arranged is one spec's instance of a fixture: fresh ids, the bound
// subject, body and expectations, and the user playing role.
type arranged struct {
	ids   map[string]int64
	bound fixtures.Bound
	user  token.User
	want  []hop.Want
	// ordered says the event shares the sentinel's chat, so contract
	// section 6 delivers the two in publish order.
	ordered bool
}

// arrange gives f fresh ids and seeds its chat members.
func arrange(ctx context.Context, f fixtures.Fixture, role string) arranged {
	GinkgoHelper()
	a := arranged{ids: env.ids(f.Placeholders())}
	var err error
	a.bound, err = f.Bind(a.ids)
	Expect(err).NotTo(HaveOccurred())
	a.user = token.NewUser(a.ids[role], 1)
	if ws, ok := f.Workspaces[role]; ok {
		a.user.WorkspaceID = ws
	}
	a.want = wants(a.bound.Expect[a.user.ID])
	chat := fmt.Sprintf("fechatter.realtime.chat.%d", a.ids["chat"])
	a.ordered = a.bound.Subject == chat || strings.HasPrefix(a.bound.Subject, chat+".")

	By("seed the chat members")
	for chat, roles := range f.Members {
		Expect(env.members.Join(ctx, a.ids[chat], userIDs(a.ids, roles)...)).To(Succeed())
	}
	for chat, roles := range f.Left {
		Expect(env.members.Join(ctx, a.ids[chat], userIDs(a.ids, roles)...)).To(Succeed())
		Expect(env.members.Leave(ctx, a.ids[chat], userIDs(a.ids, roles)...)).To(Succeed())
	}
	return a
}

// expectDelivery publishes f's event and checks what role receives through
// nginx over p, and straight from notify-server, up to a sentinel.
func expectDelivery(ctx context.Context, f fixtures.Fixture, role string, p route) {
	a := arrange(ctx, f, role)
	who := fmt.Sprintf("user %d (%s)", a.user.ID, role)

	By("connect " + role + " straight to notify-server and through nginx")
	viaDirect := env.connect(ctx, direct, a.user, role, "")
	viaProxy := env.connect(ctx, p, a.user, role, "")

	By("publish the " + f.Variant)
	env.publish(ctx, a.bound.Subject, a.bound.Body)
	env.expectTapped(ctx, a.bound.Subject, a.bound.Body)

	sent := env.sendSentinel(ctx, a.ids["chat"], a.user.ID)
	fromDirect, fromProxy := sent.upTo(ctx, viaDirect), sent.upTo(ctx, viaProxy)
	if !a.ordered {
		settle(ctx, sent, map[*sseclient.Stream]reading{
			viaDirect: fromDirect, viaProxy: fromProxy,
		}, a.want)
	}

	obs := hop.Observation{TapSaw: true}
	obs.Direct = fromDirect.problem(ctx, viaDirect, a.want, who, a.ordered)
	obs.Proxied = fromProxy.problem(ctx, viaProxy, a.want, who, a.ordered)
	obs.Stalled = fromProxy.err != nil && len(fromProxy.before) == 0
	obs.Encoding = viaProxy.Header.Get("Content-Encoding")
	if fromDirect.err == nil && fromProxy.err == nil {
		obs.Late = fromProxy.at.Sub(fromDirect.at)
		obs.Bunched = hop.Bunched(viaProxy.Raw().Events(), len(fromProxy.before)+1)
	}
	failWithVerdict(hop.Judge(obs, timeouts.Streaming),
		fmt.Sprintf("waited up to %v per event", timeouts.Delivery))
}

func userIDs(ids map[string]int64, roles []string) []int64 {
	out := make([]int64, len(roles))
	for i, r := range roles {
		out[i] = ids[r]
	}
	return out
}
