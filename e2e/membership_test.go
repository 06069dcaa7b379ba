package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// Contract section 6: "members" means the members when the event is
// handled, so joining or leaving takes effect for an open connection.
var _ = Describe("Chat membership", Label("membership"), func() {
	It("is read when each event is handled, not when the user connects",
		func(ctx SpecContext) {
			chat, reader, alice := env.id(), env.id(), token.NewUser(env.id(), 1)
			Expect(env.members.Join(ctx, chat, reader)).To(Succeed())
			sts := connectVia(ctx, alice, "alice", direct, viaHTTP)

			By("publish a read receipt while alice is not a member")
			publishRead(ctx, chat, env.id(), reader)
			expectOnly(ctx, chat, alice.ID, sts, nil)

			By("let alice join and publish another")
			Expect(env.members.Join(ctx, chat, alice.ID)).To(Succeed())
			read := publishRead(ctx, chat, env.id(), reader)
			expectOnly(ctx, chat, alice.ID, sts, []hop.Want{read})

			By("let alice leave and publish a third")
			Expect(env.members.Leave(ctx, chat, alice.ID)).To(Succeed())
			publishRead(ctx, chat, env.id(), reader)
			expectOnly(ctx, chat, alice.ID, sts, nil)
		}, SpecTimeout(timeouts.Spec))
})
