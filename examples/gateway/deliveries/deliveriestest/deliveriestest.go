// Package deliveriestest is the conformance suite of the deliveries.Queue
// interface: every implementation (the single-node queue and its memory
// reference here, the JetStream queue of the next issue) runs the same
// tests through a Harness.
//
// The suite asserts only lower bounds on time (a delivery is not handed
// out again before its delay or the end of its lease), so that it holds on
// a loaded machine with a real clock; with Harness.Bubble it runs in a
// synctest bubble, where the waits cost nothing.
package deliveriestest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit"
)

// Config is what a test asks of the queue it opens.
type Config struct {
	// Lease is the queue's lease time.
	Lease time.Duration
}

// Harness opens the queues of one implementation for the suite.
type Harness struct {
	// Open returns a new, empty queue configured as cfg asks, and restart:
	// a function that stops the queue as a process stopping would and
	// opens the same queue again (the deliveries kept, the leases void), or
	// nil when the implementation keeps nothing across a restart. The
	// suite closes the last queue it got.
	Open func(t *testing.T, cfg Config) (q deliveries.Queue, restart func() deliveries.Queue)
	// StrictLeases says that the calls of a claim whose delivery was handed
	// out again fail with deliveries.ErrLeaseLost and change nothing. The
	// single-node queue promises it; JetStream cannot.
	StrictLeases bool
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
		{Name: "AddClaimAck", Fn: testAddClaimAck},
		{Name: "ClaimWaits", Fn: testClaimWaits},
		{Name: "Order", Fn: testOrder},
		{Name: "NakDelay", Fn: testNakDelay},
		{Name: "NakBeforeFresh", Fn: testNakBeforeFresh},
		{Name: "LeaseExpiry", Fn: testLeaseExpiry},
		{Name: "Extend", Fn: testExtend},
		{Name: "LostLease", Fn: testLostLease},
		{Name: "Isolation", Fn: testIsolation},
		{Name: "ConcurrentClaimers", Fn: testConcurrentClaimers},
		{Name: "Many", Fn: testMany},
		{Name: "Restart", Fn: testRestart},
		{Name: "ContextEnds", Fn: testContextEnds},
		{Name: "Closed", Fn: testClosed},
	})
}

// open opens a queue and closes whichever queue *q is when the test ends.
func open(t *testing.T, h Harness, cfg Config) (*deliveries.Queue, func() deliveries.Queue) {
	q, restart := h.Open(t, cfg)
	return suitekit.Closing(t, q, deliveries.ErrClosed), restart
}

// add adds a delivery per body to account and returns them, Seq set. Every
// other one has a Bind (bindOf), the others none.
func add(t *testing.T, q deliveries.Queue, account string, bodies ...string) []*deliveries.Delivery {
	t.Helper()
	var ds []*deliveries.Delivery
	for i, b := range bodies {
		d := &deliveries.Delivery{Account: account, Body: []byte(b), Created: time.Now().Truncate(time.Microsecond)}
		if i%2 == 0 {
			d.Bind = bindOf(b)
		}
		if err := q.Add(context.Background(), d); err != nil {
			t.Fatalf("Add(%s, %s): %v", account, b, err)
		}
		if d.Seq == 0 {
			t.Fatalf("Add(%s, %s) left Seq 0", account, b)
		}
		ds = append(ds, d)
	}
	return ds
}

// bindOf is the Bind add gives a delivery with this body.
func bindOf(body string) string { return "7.0a1b2c3d." + body + ".bind" }

// checkBinds fails unless every claim's delivery has the Bind add gave it
// (bindOf of its body, or none): the queue keeps it, across restarts too.
func checkBinds(t *testing.T, ds []*deliveries.Delivery, cs []deliveries.Claim) {
	t.Helper()
	want := map[string]string{}
	for _, d := range ds {
		want[string(d.Body)] = d.Bind
	}
	for _, c := range cs {
		d := c.Delivery()
		if w, ok := want[string(d.Body)]; ok && d.Bind != w {
			t.Errorf("delivery %q: Bind %q, want %q", d.Body, d.Bind, w)
		}
	}
}

// claim claims up to max of account's deliveries, waiting at most wait for
// the first; it returns none when wait ends first.
func claim(t *testing.T, q deliveries.Queue, account string, max int, wait time.Duration) []deliveries.Claim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cs, err := q.Claim(ctx, account, nil, max)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Claim(%s): %v", account, err)
	}
	if err != nil && len(cs) > 0 {
		t.Fatalf("Claim returned %d claims with %v", len(cs), err)
	}
	for _, c := range cs {
		if d := c.Delivery(); d.Account != account {
			t.Fatalf("Claim(%s) handed out a delivery of %s", account, d.Account)
		}
	}
	return cs
}

// mustClaim claims exactly n of account's deliveries, waiting as long as it
// takes.
func mustClaim(t *testing.T, q deliveries.Queue, account string, n int) []deliveries.Claim {
	t.Helper()
	var all []deliveries.Claim
	deadline := time.Now().Add(patience)
	for len(all) < n {
		cs := claim(t, q, account, n-len(all), time.Until(deadline))
		if len(cs) == 0 {
			t.Fatalf("claimed %d deliveries of %d within %v", len(all), n, patience)
		}
		all = append(all, cs...)
	}
	return all
}

func bodies(cs []deliveries.Claim) []string {
	var s []string
	for _, c := range cs {
		s = append(s, string(c.Delivery().Body))
	}
	return s
}

func mustPending(t *testing.T, q deliveries.Queue, account string, want int) {
	t.Helper()
	n, err := q.Pending(account)
	if err != nil {
		t.Fatalf("Pending(%s): %v", account, err)
	}
	if n != want {
		t.Fatalf("Pending(%s) = %d, want %d", account, n, want)
	}
}

func ack(t *testing.T, cs ...deliveries.Claim) {
	t.Helper()
	for _, c := range cs {
		if err := c.Ack(); err != nil {
			t.Fatalf("Ack(%s): %v", c.Delivery().Body, err)
		}
	}
}

func nak(t *testing.T, delay time.Duration, cs ...deliveries.Claim) {
	t.Helper()
	for _, c := range cs {
		if err := c.Nak(delay); err != nil {
			t.Fatalf("Nak(%s): %v", c.Delivery().Body, err)
		}
	}
}

// numbered returns n bodies prefix0, prefix1, ...
func numbered(prefix string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return s
}
