package e2e

import (
	"context"
	"fmt"

	. "github.com/onsi/ginkgo/v2"

	"github.com/fechatter/notify-e2e/internal/hop"
)

// Besides the fixtures, specs publish a few events by hand, as the chat
// server does; each function returns what a receiver must get.

// publishVariant publishes {"<variant>": data} on the chat's subject with
// the given suffix (".read", ".typing", ...).
func publishVariant(ctx context.Context, chat int64, suffix, variant, data string) {
	GinkgoHelper()
	subject := fmt.Sprintf("fechatter.realtime.chat.%d%s", chat, suffix)
	body := fmt.Sprintf(`{%q:%s}`, variant, data)
	env.publish(ctx, subject, []byte(body))
}

// publishRead publishes a read receipt of msg by reader.
func publishRead(ctx context.Context, chat, msg, reader int64) hop.Want {
	GinkgoHelper()
	data := fmt.Sprintf(`{"message_id":%d,"chat_id":%d,"reader_id":%d,`+
		`"read_at":"2026-12-03T10:00:00+00:00"}`, msg, chat, reader)
	publishVariant(ctx, chat, ".read", "MessageRead", data)
	return hop.Want{Name: "MessageRead", Data: data}
}

// publishUnread marks a fresh message unread for user, which only that
// user's connections receive.
func publishUnread(ctx context.Context, chat, user int64) hop.Want {
	GinkgoHelper()
	data := unreadData(env.id(), chat, user)
	publishVariant(ctx, chat, ".unread", "MessageUnread", data)
	return hop.Want{Name: "MessageUnread", Data: data}
}

// unreadData is the body of a MessageUnread, which only user's own
// connections receive.
func unreadData(msg, chat, user int64) string {
	return fmt.Sprintf(`{"message_id":%d,"chat_id":%d,"user_id":%d}`, msg, chat, user)
}
