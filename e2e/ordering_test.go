package e2e

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// burst is how many events the ordering specs publish back to back: enough
// for a server that fans out concurrently to reorder some.
const burst = 20

var _ = Describe("Delivery order", Label("ordering"), func() {
	It("keeps publish order for events on one subject", func(ctx SpecContext) {
		chat, reader, alice := env.id(), env.id(), token.NewUser(env.id(), 1)
		Expect(env.members.Join(ctx, chat, reader, alice.ID)).To(Succeed())
		sts := connectVia(ctx, alice, "alice", direct, viaHTTP, viaTLS)

		By(fmt.Sprintf("publish %d read receipts back to back", burst))
		var want []hop.Want
		for range burst {
			want = append(want, publishRead(ctx, chat, env.id(), reader))
		}

		expectOnly(ctx, chat, alice.ID, sts, want)
	}, SpecTimeout(timeouts.Spec))

	It("keeps publish order across the subjects of one chat", func(ctx SpecContext) {
		chat, bob, alice := env.id(), env.id(), token.NewUser(env.id(), 1)
		Expect(env.members.Join(ctx, chat, bob, alice.ID)).To(Succeed())
		sts := connectVia(ctx, alice, "alice", direct, viaHTTP, viaTLS)

		By("publish messages, typing, receipts and deletions interleaved")
		var want []hop.Want
		for range burst / 4 {
			msg := env.id()
			m := fmt.Sprintf(`{"id":"%d","chat_id":%d,"sender_id":%d,"content":"hi",`+
				`"files":[],"timestamp":1796292000}`, msg, chat, bob)
			received := fmt.Sprintf(`{"message":%s,"chat_id":%d,"recipients":[%d,%d]}`,
				m, chat, bob, alice.ID)
			typing := fmt.Sprintf(`{"chat_id":%d,"user_id":%d}`, chat, bob)
			deleted := fmt.Sprintf(`{"message_id":%d,"chat_id":%d,"deleted_by":%d,`+
				`"deleted_at":"2026-12-03T10:05:00+00:00"}`, msg, chat, bob)

			publishVariant(ctx, chat, "", "MessageReceived", received)
			publishVariant(ctx, chat, ".typing", "TypingStopped", typing)
			read := publishRead(ctx, chat, msg, bob)
			publishVariant(ctx, chat, ".deleted", "MessageDeleted", deleted)
			want = append(want,
				hop.Want{Name: "MessageReceived", Data: received},
				hop.Want{Name: "NewMessage", Data: m},
				hop.Want{Name: "TypingStatus", Data: fmt.Sprintf(
					`{"chat_id":%d,"user_id":%d,"is_typing":false}`, chat, bob)},
				read,
				hop.Want{Name: "MessageDeleted", Data: deleted})
		}

		expectOnly(ctx, chat, alice.ID, sts, want)
	}, SpecTimeout(timeouts.Spec))
})
