package e2e

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/sseclient"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

var _ = Describe("Reconnecting with Last-Event-ID", Label("replay"), func() {
	for _, p := range proxied {
		It("replays the missed events in order over "+p.label+", then live ones",
			Label(p.label), func(ctx SpecContext) {
				if len(env.Notify) > 1 {
					// Ids are per replica in the reference server, so a tab
					// that comes back through nginx to another replica is
					// told to resync, which the contract allows.
					Skip(fmt.Sprintf("replay across %d replicas: run with "+
						"E2E_NOTIFY_REPLICAS=1 to check Last-Event-ID", len(env.Notify)))
				}
				chat, u := env.id(), token.NewUser(env.id(), 1)
				unread := func() hop.Want { return publishUnread(ctx, chat, u.ID) }

				By("receive three events on a first pair of connections")
				first := []*sseclient.Stream{
					env.connect(ctx, direct, u, "first tab", ""),
					env.connect(ctx, p, u, "first tab", ""),
				}
				expectOnly(ctx, chat, u.ID, first, []hop.Want{unread(), unread(), unread()})
				// What came after the first event, the sentinel included:
				// everything with an id after the one the client resumes from.
				var after []hop.Want
				for _, e := range first[0].Events()[2:] {
					after = append(after, hop.Want{Name: e.Name, Data: e.Data})
				}
				var resume []string
				for _, st := range first {
					raw := st.Raw().Events()
					Expect(len(raw)).To(BeNumerically(">", 1))
					resume = append(resume, raw[1].ID)
					st.Close()
				}

				By("publish two events while the user is away")
				missed := []hop.Want{unread(), unread()}

				By("reconnect with Last-Event-ID of the first event")
				again := []*sseclient.Stream{
					env.connect(ctx, direct, u, "reconnected tab", resume[0]),
					env.connect(ctx, p, u, "reconnected tab", resume[1]),
				}
				live := unread()

				// In order and once each, whether the away events were
				// replayed or were still in flight when the tab came back.
				want := append(append(after, missed...), live)
				expectOnly(ctx, chat, u.ID, again, want)
			}, SpecTimeout(timeouts.Spec))
	}
})
