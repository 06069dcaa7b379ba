package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/sseclient"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

var _ = Describe("A user with several tabs", Label("tabs"), func() {
	It("gets every event once on each connection", func(ctx SpecContext) {
		chat, reader, u := env.id(), env.id(), token.NewUser(env.id(), 1)
		Expect(env.members.Join(ctx, chat, reader, u.ID)).To(Succeed())

		By("open four tabs: one straight to notify-server, two over HTTP, one over TLS")
		tabs := []*sseclient.Stream{
			env.connect(ctx, direct, u, "tab 1", ""),
			env.connect(ctx, viaHTTP, u, "tab 2", ""),
			env.connect(ctx, viaHTTP, u, "tab 3", ""),
			env.connect(ctx, viaTLS, u, "tab 4", ""),
		}

		By("publish a read receipt by another member")
		read := publishRead(ctx, chat, env.id(), reader)

		expectOnly(ctx, chat, u.ID, tabs, []hop.Want{read})
	}, SpecTimeout(timeouts.Spec))
})
