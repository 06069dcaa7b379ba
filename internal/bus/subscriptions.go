package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// The contract's subjects, one sample per RealtimeEvent variant: a
// notify-server must hold subscriptions that match every one of them.
var contractSubjects = []string{
	"fechatter.realtime.chat.2",
	"fechatter.realtime.chat.2.read",
	"fechatter.realtime.chat.2.unread",
	"fechatter.realtime.chat.2.typing",
	"fechatter.realtime.chat.2.deleted",
	"fechatter.realtime.user.5.presence",
}

// Client is one NATS connection and the subscriptions it holds, as the
// server's monitoring endpoint lists them.
type Client struct {
	Name string
	IP   string
	Subs []server.SubDetail
}

// maxClients bounds one /connz page: far more connections than a test
// stack opens (the server's default page is 1024 too).
const maxClients = 1024

// Clients reads every client connection and its subscriptions from the NATS
// monitoring endpoint (/connz?subs=detail).
func Clients(ctx context.Context, monitorURL string) ([]Client, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		fmt.Sprintf("%s/connz?subs=detail&limit=%d", monitorURL, maxClients), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("NATS monitoring: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("NATS monitoring /connz: HTTP %d", resp.StatusCode)
	}
	var cz server.Connz
	if err := json.NewDecoder(resp.Body).Decode(&cz); err != nil {
		return nil, fmt.Errorf("NATS monitoring /connz: %w", err)
	}
	out := make([]Client, 0, len(cz.Conns))
	for _, c := range cz.Conns {
		out = append(out, Client{Name: c.Name, IP: c.IP, Subs: c.SubsDetail})
	}
	return out, nil
}

// ByHost merges the clients that connect from one address: one
// notify-server replica may hold several connections (a publisher, a
// JetStream one), and its subscriptions are the union of theirs.
func ByHost(cs []Client) []Client {
	var out []Client
	for _, c := range cs {
		i := slices.IndexFunc(out, func(o Client) bool { return o.IP == c.IP })
		if i < 0 {
			out = append(out, Client{Name: c.Name, IP: c.IP})
			i = len(out) - 1
		}
		out[i].Subs = append(out[i].Subs, c.Subs...)
		if out[i].Name == "" {
			out[i].Name = c.Name
		}
	}
	return out
}

// Miss says what a notify-server's subscriptions get wrong against the
// contract: subjects of section 5 that none of them matches (a `*` where a
// `>` is needed matches nothing the chat server publishes), and queue
// groups on them (with several replicas each event would reach one
// replica's users only). It returns nothing for a client that subscribes
// correctly.
func (c Client) Miss() []string {
	var realtime []server.SubDetail
	for _, s := range c.Subs {
		if slices.ContainsFunc(contractSubjects, func(subject string) bool {
			return server.SubjectMatchesFilter(subject, s.Subject)
		}) {
			realtime = append(realtime, s)
		}
	}
	subjects := make([]string, len(c.Subs))
	for i, s := range c.Subs {
		subjects[i] = s.Subject
	}
	var miss []string
	for _, subject := range contractSubjects {
		if !slices.ContainsFunc(realtime, func(s server.SubDetail) bool {
			return server.SubjectMatchesFilter(subject, s.Subject)
		}) {
			miss = append(miss, subject)
		}
	}
	var out []string
	if len(miss) > 0 {
		out = append(out, fmt.Sprintf("its subscriptions %q match none of %s: those "+
			"events never reach it (fechatter.realtime.> covers them all)", subjects,
			strings.Join(miss, ", ")))
	}
	for _, s := range realtime {
		if s.Queue != "" {
			out = append(out, fmt.Sprintf("it subscribes to %s in queue group %q: with "+
				"several replicas each event reaches one replica's users only",
				s.Subject, s.Queue))
		}
	}
	return out
}
