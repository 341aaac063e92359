// Package queuetest is the conformance suite of the queue.Queue interface:
// every implementation (the single-node queue here, the JetStream queue of
// the next issue) runs the same tests through a Harness.
//
// The suite asserts only lower bounds on time (a ticket is not handed out
// before its due time, its delay, the end of its lease), so that it holds
// on a loaded machine with a real clock; with Harness.Bubble it runs in a
// synctest bubble, where the waits cost nothing.
package queuetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// Config is what a test asks of the queue it opens.
type Config struct {
	// Lease is the queue's lease time.
	Lease time.Duration
	// MaxLen is the most tickets the queue may hold; zero means no limit.
	MaxLen int
}

// Harness opens the queues of one implementation for the suite.
type Harness struct {
	// Open returns a new, empty queue configured as cfg asks, and restart:
	// a function that stops the queue as a process stopping would and opens
	// the same queue again (the tickets kept, the leases void), or nil when
	// the implementation keeps nothing across a restart. The suite closes
	// the last queue it got.
	Open func(t *testing.T, cfg Config) (q queue.Queue, restart func() queue.Queue)
	// StrictLeases says that the calls of a claim whose ticket was handed
	// out again fail with queue.ErrLeaseLost and change nothing. The
	// single-node queue promises it; JetStream cannot (it acks a stream
	// sequence, whichever delivery the ack came from).
	StrictLeases bool
	// StreamOrder says that due tickets are handed out in the order they
	// reached the queue, not by due time: a ticket enqueued already due
	// goes after the tickets enqueued before it whatever their due times,
	// and a ticket naked without delay goes before the tickets not handed
	// out yet. A JetStream stream hands out its messages in sequence
	// order, redeliveries first. The suite then checks that order instead
	// (ClaimAck, OrderByDue, NakDelay, Many); a ticket due in the future is
	// still not handed out before its due time.
	StreamOrder bool
	// Bubble runs each test in a synctest bubble (fake time): only for an
	// implementation whose goroutines and timers all live in the test's
	// process and are started by Open.
	Bubble bool
}

// tick is the unit of the delays and leases of the tests, and patience
// how long a test waits for something that must happen (see suitekit).
const (
	tick     = suitekit.Tick
	patience = suitekit.Patience
)

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	suitekit.Run(t, h, h.Bubble, []suitekit.Test[Harness]{
		{Name: "ClaimAck", Fn: testClaimAck},
		{Name: "ClaimWaits", Fn: testClaimWaits},
		{Name: "DueTime", Fn: testDueTime},
		{Name: "OrderByDue", Fn: testOrderByDue},
		{Name: "NakDelay", Fn: testNakDelay},
		{Name: "LeaseExpiry", Fn: testLeaseExpiry},
		{Name: "Extend", Fn: testExtend},
		{Name: "LostLease", Fn: testLostLease},
		{Name: "ConcurrentClaimers", Fn: testConcurrentClaimers},
		{Name: "Many", Fn: testMany},
		{Name: "Restart", Fn: testRestart},
		{Name: "Full", Fn: testFull},
		{Name: "ContextEnds", Fn: testContextEnds},
		{Name: "Closed", Fn: testClosed},
		{Name: "CancelWhileQueued", Fn: testCancelWhileQueued},
		{Name: "ReplaceWhileQueued", Fn: testReplaceWhileQueued},
		{Name: "RecordBehind", Fn: testRecordBehind},
		{Name: "CancelRacesDispatch", Fn: testCancelRacesDispatch},
		{Name: "LostClaimer", Fn: testLostClaimer},
	})
}

// open opens a queue and closes whichever queue *q is when the test ends.
func open(t *testing.T, h Harness, cfg Config) (*queue.Queue, func() queue.Queue) {
	q, restart := h.Open(t, cfg)
	return suitekit.Closing(t, q, queue.ErrClosed), restart
}

func enqueue(t *testing.T, q queue.Queue, ts ...queue.Ticket) {
	t.Helper()
	for _, tk := range ts {
		if err := q.Enqueue(context.Background(), tk); err != nil {
			t.Fatalf("Enqueue(%+v): %v", tk, err)
		}
	}
}

// claim claims up to max tickets, waiting at most wait for the first; it
// returns none when wait ends first.
func claim(t *testing.T, q queue.Queue, max int, wait time.Duration) []queue.Claim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cs, err := q.Claim(ctx, nil, max)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Claim: %v", err)
	}
	if err != nil && len(cs) > 0 {
		t.Fatalf("Claim returned %d claims with %v", len(cs), err)
	}
	return cs
}

// mustClaim claims exactly n tickets, waiting as long as it takes.
func mustClaim(t *testing.T, q queue.Queue, n int) []queue.Claim {
	t.Helper()
	var all []queue.Claim
	deadline := time.Now().Add(patience)
	for len(all) < n {
		cs := claim(t, q, n-len(all), time.Until(deadline))
		if len(cs) == 0 {
			t.Fatalf("claimed %d tickets of %d within %v", len(all), n, patience)
		}
		all = append(all, cs...)
	}
	return all
}

// claimSome claims up to max tickets, waiting as long as it takes for one.
func claimSome(t *testing.T, q queue.Queue, max int) []queue.Claim {
	t.Helper()
	cs := claim(t, q, max, patience)
	if len(cs) == 0 {
		t.Fatalf("nothing claimed within %v", patience)
	}
	return cs
}

func ids(cs []queue.Claim) []string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Ticket().ID)
	}
	return s
}

func mustLen(t *testing.T, q queue.Queue, want int) {
	t.Helper()
	n, err := q.Len()
	if err != nil {
		t.Fatalf("Len: %v", err)
	}
	if n != want {
		t.Fatalf("Len = %d, want %d", n, want)
	}
}

func ack(t *testing.T, cs ...queue.Claim) {
	t.Helper()
	for _, c := range cs {
		if err := c.Ack(); err != nil {
			t.Fatalf("Ack(%s): %v", c.Ticket().ID, err)
		}
	}
}

func mapsEqual(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
