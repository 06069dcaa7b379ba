package e2e

import (
	"context"
	"fmt"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/fixtures"
	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// The delivery specs are generated from fixtures/: one spec per variant,
// receiver role and transport.
var _ = Describe("RealtimeEvent delivery", Label("delivery"), func() {
	all, err := fixtures.Load(filepath.Join(root, "fixtures"))
	if err != nil {
		panic(err) // a broken fixture must stop the run, not skip specs
	}
	for _, f := range all {
		Describe(f.Variant, Label(f.Variant), func() {
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

// expectDelivery publishes f's event and checks what role receives through
// nginx over p, and straight from notify-server, up to a sentinel.
func expectDelivery(ctx context.Context, f fixtures.Fixture, role string, p path) {
	ids := env.ids(f.Placeholders())
	b, err := f.Bind(ids)
	Expect(err).NotTo(HaveOccurred())
	user := token.NewUser(ids[role], 1)
	if ws, ok := f.Workspaces[role]; ok {
		user.WorkspaceID = ws
	}
	who := fmt.Sprintf("user %d (%s)", user.ID, role)

	By("seed the chat members")
	seedMembers(ctx, f, ids)

	By("connect " + role + " straight to notify-server and through nginx")
	viaDirect := env.connect(ctx, direct, user, role, "")
	viaProxy := env.connect(ctx, p, user, role, "")

	By("publish the " + f.Variant)
	var obs hop.Observation
	obs.PublishErr = env.publish(ctx, b.Subject, b.Body)
	tctx, cancel := context.WithTimeout(ctx, timeouts.Delivery)
	_, obs.TapSaw = env.tap.WaitFor(tctx, b.Subject, b.Body)
	cancel()

	By("publish a sentinel to " + role + " and read up to it")
	sent := env.newSentinel(ids["chat"], user.ID)
	Expect(env.publish(ctx, sent.subject(), sent.body())).To(Succeed())
	want := wants(b.Expect[user.ID])
	fromDirect, fromProxy := sent.upTo(ctx, viaDirect), sent.upTo(ctx, viaProxy)

	obs.Direct = fromDirect.problem(viaDirect, want, who)
	obs.Proxied = fromProxy.problem(viaProxy, want, who)
	obs.Stalled = fromProxy.err != nil && len(fromProxy.before) == 0
	obs.Encoding = viaProxy.Header.Get("Content-Encoding")
	if fromDirect.err == nil && fromProxy.err == nil {
		obs.Late = fromProxy.at.Sub(fromDirect.at)
		obs.Bunched = bunched(viaProxy.Raw(), len(fromProxy.before)+1)
	}

	v := hop.Judge(obs, timeouts.Streaming)
	expectDelivered(v, fmt.Sprintf("waited up to %v per event", timeouts.Delivery))
}

func seedMembers(ctx context.Context, f fixtures.Fixture, ids map[string]int64) {
	GinkgoHelper()
	for chat, roles := range f.Members {
		Expect(env.members.Join(ctx, ids[chat], userIDs(ids, roles)...)).To(Succeed())
	}
	for chat, roles := range f.Left {
		Expect(env.members.Join(ctx, ids[chat], userIDs(ids, roles)...)).To(Succeed())
		Expect(env.members.Leave(ctx, ids[chat], userIDs(ids, roles)...)).To(Succeed())
	}
}

func userIDs(ids map[string]int64, roles []string) []int64 {
	out := make([]int64, len(roles))
	for i, r := range roles {
		out[i] = ids[r]
	}
	return out
}
