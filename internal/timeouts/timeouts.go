// Package timeouts holds every bound the suite waits on, in one place, so a
// slow machine is tuned here and a failure message can name the bound it hit.
package timeouts

import "time"

const (
	// ImageBuild bounds building one missing image (cold mmdebstrap runs
	// take about a minute; the rest is download time).
	ImageBuild = 15 * time.Minute
	// StackStart bounds starting every container of the stack once the
	// images exist.
	StackStart = 3 * time.Minute
	// SuiteSetup bounds the suite's setup: building the missing images and
	// starting the stack. A cold machine builds all four in about two
	// minutes; downloads dominate and the first build pays most of them, so
	// one slow build (ImageBuild), a stack start and two minutes for the
	// other builds cover it. Four full ImageBuilds would let a hung CI job
	// sit for an hour.
	SuiteSetup = ImageBuild + StackStart + 2*time.Minute
	// ContainerReady bounds one container's readiness check.
	ContainerReady = 60 * time.Second
	// LogFetch bounds reading a failed container's output for an error
	// message; the failure is already known, so it must not wait long.
	LogFetch = 5 * time.Second
	// Teardown bounds removing the stack.
	Teardown = 2 * time.Minute
	// Evidence bounds writing a failed spec's evidence (logs of every
	// container, nginx -T, the streams' bytes).
	Evidence = time.Minute
	// Interrupt bounds an interrupted suite's own clean-up: the evidence of
	// the spec it was in, then the stack's teardown, with room to exit.
	Interrupt = Evidence + Teardown + 30*time.Second

	// Connect bounds a client's wait for connection_confirmed.
	Connect = 10 * time.Second
	// Delivery bounds the wait for one published event at a client.
	Delivery = 5 * time.Second
	// Spec bounds one spec from start to end (SpecTimeout).
	Spec = 60 * time.Second

	// Heartbeat is the interval the stack configures in notify-server.
	Heartbeat = 1 * time.Second
	// Streaming is how long after the direct client an event may reach the
	// client through nginx before it counts as held back by the proxy.
	Streaming = 750 * time.Millisecond
)

// Poll is the polling interval for Eventually and Consistently: short
// next to Delivery, so a spec sees an event soon after it arrives, yet long
// enough that polling does not compete with the stack for the CPU.
const Poll = 20 * time.Millisecond

// IdleWindow is how long the idle-stream specs stay silent: three heartbeat
// intervals, longer than a proxy read timeout that ignores heartbeats.
const IdleWindow = 3 * Heartbeat
