// Package browser is the last observer on the path: a real headless
// Chromium whose page listens to the stream with EventSource and
// addEventListener, as the chat's web client does. A browser dispatches a
// named event only to listeners of that exact name, which is what the Go
// clients cannot show.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"time"

	"github.com/chromedp/chromedp"
)

// ErrMissing says no Chromium is installed.
var ErrMissing = errors.New("no chromium on PATH")

// Browser is one headless Chromium; each Tab is a page in it.
type Browser struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// Start launches Chromium. It trusts any certificate: the Go clients check
// the run's CA, and Chromium has no easy way to trust one CA alone.
func Start(ctx context.Context) (*Browser, error) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		return nil, fmt.Errorf("%w: install Debian's chromium package "+
			"(apt-get install chromium)", ErrMissing)
	}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(path),
		// Chromium refuses to run as root with its sandbox on; CI runs as root.
		chromedp.NoSandbox,
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	// The first Run starts the browser process, which lives as long as the
	// context of that Run: bctx, with no deadline.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		cancelBrowser()
		cancelAlloc()
		return nil, fmt.Errorf("start chromium at %s: %w", path, err)
	}
	return &Browser{ctx: bctx, cancel: func() { cancelBrowser(); cancelAlloc() }}, nil
}

// Close ends the browser process.
func (b *Browser) Close() { b.cancel() }

// Event is one event a page's listener received.
type Event struct {
	Name string `json:"name"`
	Data string `json:"data"`
	ID   string `json:"id"`
}

// Tab is one page listening to one stream.
type Tab struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// listen opens the stream from the page and records every event of the
// given names, as a web client's addEventListener calls would. Unnamed
// events reach onmessage and are recorded as "message".
const listen = `(() => {
  window.received = [];
  window.confirmed = false;
  const es = new EventSource(%s);
  window.stream = es;
  es.addEventListener("connection_confirmed", () => { window.confirmed = true; });
  for (const name of %s) {
    es.addEventListener(name, (e) => {
      window.received.push({name: name, data: e.data, id: e.lastEventId});
    });
  }
  return true;
})()`

// Open loads origin+page (any same-origin page: EventSource then needs no
// CORS), opens the stream at streamPath and returns once the page has seen
// connection_confirmed, or ctx ends.
func (b *Browser) Open(ctx context.Context, origin, page, streamPath string,
	names []string,
) (*Tab, error) {
	tctx, cancel := chromedp.NewContext(b.ctx)
	t := &Tab{ctx: tctx, cancel: cancel}
	list, err := json.Marshal(names)
	if err != nil {
		cancel()
		return nil, err
	}
	// JSON, not %q, for the same reason as in WaitFor.
	stream, err := json.Marshal(streamPath)
	if err != nil {
		cancel()
		return nil, err
	}
	// The tab lives as long as the context of its first Run: tctx itself.
	err = chromedp.Do(tctx, chromedp.Navigate(origin+page))
	if err == nil {
		_, err = chromedp.Run(tctx, chromedp.Evaluate[bool](fmt.Sprintf(listen, stream, list)))
	}
	if err == nil {
		err = t.poll(ctx, "window.confirmed")
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("browser page on %s: %w", origin, err)
	}
	return t, nil
}

// pollEvery is how often a Tab re-evaluates what it waits for. Each check
// is a round trip to Chromium over the DevTools protocol; 10 ms keeps the
// wait well below the delivery bounds without keeping Chromium busy.
const pollEvery = 10 * time.Millisecond

// poll evaluates expr in the page until it is truthy or ctx ends.
func (t *Tab) poll(ctx context.Context, expr string) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		return errors.New("poll needs a deadline")
	}
	pctx, cancel := context.WithDeadline(t.ctx, deadline)
	defer cancel()
	_, err := chromedp.Run(pctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingTimeout(time.Until(deadline)),
		chromedp.WithPollingInterval(pollEvery)))
	return err
}

// Received returns what the page's listeners got so far.
func (t *Tab) Received() ([]Event, error) {
	return chromedp.Run(t.ctx, chromedp.Evaluate[[]Event]("window.received"))
}

// WaitFor polls the page until a received event's data matches pattern,
// a JavaScript regular expression source (new RegExp(pattern).test(data)),
// and returns everything received. A pattern the page cannot compile fails
// at once rather than at the deadline.
func (t *Tab) WaitFor(ctx context.Context, pattern string) ([]Event, error) {
	// JSON is valid JavaScript, so the pattern reaches the page as one
	// string literal whatever it holds; Go's %q escapes are not all JS.
	src, err := json.Marshal(pattern)
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil, errors.New("WaitFor needs a deadline")
	}
	cctx, cancel := context.WithDeadline(t.ctx, deadline)
	defer cancel()
	_, err = chromedp.Run(cctx, chromedp.Evaluate[bool](fmt.Sprintf(
		`(() => { new RegExp(%s); return true; })()`, src)))
	if err != nil {
		return nil, fmt.Errorf("pattern %s: %w", src, err)
	}
	err = t.poll(ctx, fmt.Sprintf(
		"window.received.some(e => new RegExp(%s).test(e.data))", src))
	evs, rerr := t.Received()
	return evs, errors.Join(err, rerr)
}

// Close closes the page and its stream.
func (t *Tab) Close() { t.cancel() }
