package e2e

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"

	"github.com/fechatter/notify-e2e/internal/browser"
	"github.com/fechatter/notify-e2e/internal/bus"
	"github.com/fechatter/notify-e2e/internal/certs"
	"github.com/fechatter/notify-e2e/internal/hop"
	"github.com/fechatter/notify-e2e/internal/members"
	"github.com/fechatter/notify-e2e/internal/sseclient"
	"github.com/fechatter/notify-e2e/internal/timeouts"
	"github.com/fechatter/notify-e2e/internal/token"
)

// world is what every spec of one process shares: connections to the
// stack and the run's credentials. Specs never share ids, so they never
// see each other's events.
type world struct {
	handoff
	signer  *token.Signer
	tls     *tls.Config
	pub     *bus.Publisher
	tap     *bus.Tap
	members *members.Store
	nextID  atomic.Int64
	// browser is nil when Chromium could not start; noBrowser says why.
	browser   *browser.Browser
	noBrowser error
}

// newWorld connects to the stack. It returns what it built even on error,
// so the caller's cleanup closes whatever did open.
func newWorld(ctx context.Context, h handoff) (*world, error) {
	w := &world{handoff: h}
	var err error
	if w.signer, err = token.SignerFromPEM(h.SigningKey); err != nil {
		return w, err
	}
	if w.tls, err = certs.ClientConfig(h.CACert); err != nil {
		return w, err
	}
	if w.pub, err = bus.Connect(h.NATS); err != nil {
		return w, err
	}
	if w.tap, err = bus.NewTap(h.NATS); err != nil {
		return w, err
	}
	if w.members, err = members.Open(ctx, h.Postgres); err != nil {
		return w, err
	}
	w.browser, w.noBrowser = browser.Start(ctx)
	// Ids of different processes never meet: each starts a billion apart.
	w.nextID.Store(int64(GinkgoParallelProcess()) * 1_000_000_000)
	return w, nil
}

func (w *world) close() {
	if w.browser != nil {
		w.browser.Close()
	}
	if w.pub != nil {
		w.pub.Close()
	}
	if w.tap != nil {
		w.tap.Close()
	}
	if w.members != nil {
		w.members.Close()
	}
}

// id returns an id no other spec of the run uses, for a user, a chat or a
// message alike.
func (w *world) id() int64 { return w.nextID.Add(1) }

// ids gives every name a fresh id.
func (w *world) ids(names []string) map[string]int64 {
	m := make(map[string]int64, len(names))
	for _, n := range names {
		m[n] = w.id()
	}
	return m
}

// route is one way a client reaches notify-server.
type route struct {
	name  string // "nginx/http", "nginx/tls", "direct"
	label string
	base  func(*world) string
	tls   bool
}

var (
	viaHTTP = route{"nginx/http", "http", func(w *world) string { return w.NginxHTTP }, false}
	viaTLS  = route{"nginx/tls", "tls", func(w *world) string { return w.NginxHTTPS }, true}
	direct  = route{"direct", "direct", func(w *world) string { return w.Notify[0] }, false}
	proxied = []route{viaHTTP, viaTLS}
)

// streams keeps every stream a spec opened, and the path it took, for
// verdicts and evidence.
var streams registry

type registry struct {
	sync.Mutex
	open []*sseclient.Stream
	via  map[*sseclient.Stream]route
	user map[*sseclient.Stream]int64
	// read is where the next reading of a stream starts: after
	// connection_confirmed, then after the last sentinel read.
	read map[*sseclient.Stream]int
}

// route is the way st reaches notify-server.
func (r *registry) route(st *sseclient.Stream) route {
	r.Lock()
	defer r.Unlock()
	return r.via[st]
}

// readUpTo is where the next reading of st starts.
func (r *registry) readUpTo(st *sseclient.Stream) int {
	r.Lock()
	defer r.Unlock()
	if n, ok := r.read[st]; ok {
		return n
	}
	return 1
}

// markRead moves st's next reading past the sentinel s, once it came.
func (r *registry) markRead(st *sseclient.Stream, s sentinel) {
	evs := st.Events()
	i := slices.IndexFunc(evs, s.in)
	if i < 0 {
		return
	}
	r.Lock()
	defer r.Unlock()
	if r.read == nil {
		r.read = map[*sseclient.Stream]int{}
	}
	r.read[st] = i + 1
}

// connect opens user's stream over p and returns once connection_confirmed
// is read. The stream is closed when the spec ends.
func (w *world) connect(ctx context.Context, p route, u token.User, who string,
	lastEventID string,
) *sseclient.Stream {
	GinkgoHelper()
	o := sseclient.Options{
		Label:       fmt.Sprintf("%s via %s", who, p.name),
		Base:        p.base(w),
		Token:       w.signer.Mint(u),
		LastEventID: lastEventID,
	}
	if p.tls {
		o.TLS = w.tls
	}
	cctx, cancel := context.WithTimeout(ctx, timeouts.Connect)
	defer cancel()
	s, err := sseclient.Open(cctx, o)
	if s != nil {
		streams.Lock()
		streams.open = append(streams.open, s)
		if streams.via == nil {
			streams.via = map[*sseclient.Stream]route{}
			streams.user = map[*sseclient.Stream]int64{}
		}
		streams.via[s], streams.user[s] = p, u.ID
		streams.Unlock()
	}
	if err != nil {
		// Specs connect straight to notify-server first, so a failure
		// through nginx means notify-server accepted the same user.
		v := hop.Verdict{Hop: hop.NotifyServer, Cause: fmt.Sprintf(
			"waited %v for connection_confirmed: %v", timeouts.Connect, err)}
		if p.name != direct.name {
			v.Hop = hop.Nginx
			if openedStraight(u.ID) && !errors.Is(err, sseclient.ErrRefused) {
				v.Cause += "; the same user's stream straight to notify-server opened, so " +
					"nginx holds the stream back (proxy_buffering, proxy_cache or gzip)"
			}
		}
		Fail(v.String())
	}
	DeferCleanup(s.Close)
	return s
}

// connectVia opens u's streams over the routes, in order, each returning
// once connection_confirmed is read. Specs list direct first, so a stream
// that fails through nginx is known to have opened straight.
func connectVia(ctx context.Context, u token.User, who string, routes ...route,
) []*sseclient.Stream {
	GinkgoHelper()
	sts := make([]*sseclient.Stream, len(routes))
	for i, r := range routes {
		sts[i] = env.connect(ctx, r, u, who, "")
	}
	return sts
}

// publish sends a RealtimeEvent as the chat server does; a publish or flush
// that fails is the first hop's failure.
func (w *world) publish(ctx context.Context, subject string, body []byte) {
	GinkgoHelper()
	if err := w.pub.Publish(ctx, subject, body); err != nil {
		failWithVerdict(hop.Verdict{Hop: hop.Publish, Cause: err.Error()}, "")
	}
}

// expectTapped fails with a NATS verdict unless the tap on
// fechatter.realtime.> saw the message within the delivery bound.
func (w *world) expectTapped(ctx context.Context, subject string, body []byte) {
	GinkgoHelper()
	tctx, cancel := context.WithTimeout(ctx, timeouts.Delivery)
	defer cancel()
	if _, ok := w.tap.WaitFor(tctx, subject, body); !ok {
		failWithVerdict(hop.Verdict{Hop: hop.NATS, Cause: fmt.Sprintf("the tap on %s never "+
			"saw the message published on %s within %v", bus.TapSubject, subject,
			timeouts.Delivery)}, "")
	}
}

// openedStraight says this spec has a stream of user straight to
// notify-server that opened.
func openedStraight(user int64) bool {
	streams.Lock()
	defer streams.Unlock()
	for st, p := range streams.via {
		if p.name == direct.name && streams.user[st] == user {
			return true
		}
	}
	return false
}

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
