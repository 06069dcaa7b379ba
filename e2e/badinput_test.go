package e2e

import (
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// within bounds each table entry; a table itself takes no SpecTimeout.
var within = SpecTimeout(timeouts.Spec)

var _ = Describe("Bad input on NATS", Label("badinput"), func() {
	DescribeTable("is dropped, and the next valid event is delivered",
		func(ctx SpecContext, subject, body string) {
			chat, reader, alice := env.id(), env.id(), token.NewUser(env.id(), 1)
			Expect(env.members.Join(ctx, chat, reader, alice.ID)).To(Succeed())
			sts := connectVia(ctx, alice, "alice", direct, viaHTTP, viaTLS)

			By("publish the bad body")
			c := strconv.FormatInt(chat, 10)
			env.publish(ctx, strings.ReplaceAll(subject, "CHAT", c),
				[]byte(strings.ReplaceAll(body, "CHAT", c)))

			By("publish a valid read receipt after it")
			read := publishRead(ctx, chat, env.id(), reader)

			expectOnly(ctx, chat, alice.ID, sts, []hop.Want{read})
		},
		Entry("a body that is not JSON", "fechatter.realtime.chat.CHAT.read",
			`MessageRead chat=CHAT (not JSON)`, within),
		Entry("an empty body", "fechatter.realtime.chat.CHAT.read", ``, within),
		Entry("an unknown variant", "fechatter.realtime.chat.CHAT.read",
			`{"MessagePinned":{"chat_id":CHAT,"message_id":1}}`, within),
		Entry("a missing field", "fechatter.realtime.chat.CHAT.read",
			`{"MessageRead":{"chat_id":CHAT,"message_id":1}}`, within),
		Entry("a field of the wrong type", "fechatter.realtime.chat.CHAT.typing",
			`{"TypingStarted":{"chat_id":CHAT,"user_id":"seven","user_name":"x"}}`, within),
		Entry("a JSON array", "fechatter.realtime.chat.CHAT", `[CHAT]`, within),
	)
})
