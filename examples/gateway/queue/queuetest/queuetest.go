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
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

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
	// Bubble runs each test in a synctest bubble (fake time): only for an
	// implementation whose goroutines and timers all live in the test's
	// process and are started by Open.
	Bubble bool
}

// tick is the unit of the delays and leases of the tests: short for a real
// clock, and far above the time the operations take.
const tick = 100 * time.Millisecond

// patience is how long a test waits for something that must happen.
const patience = 20 * time.Second

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"ClaimAck", testClaimAck},
		{"ClaimWaits", testClaimWaits},
		{"DueTime", testDueTime},
		{"OrderByDue", testOrderByDue},
		{"NakDelay", testNakDelay},
		{"LeaseExpiry", testLeaseExpiry},
		{"Extend", testExtend},
		{"LostLease", testLostLease},
		{"ConcurrentClaimers", testConcurrentClaimers},
		{"Many", testMany},
		{"Restart", testRestart},
		{"Full", testFull},
		{"ContextEnds", testContextEnds},
		{"Closed", testClosed},
		{"CancelWhileQueued", testCancelWhileQueued},
		{"ReplaceWhileQueued", testReplaceWhileQueued},
		{"RecordBehind", testRecordBehind},
		{"CancelRacesDispatch", testCancelRacesDispatch},
		{"LostClaimer", testLostClaimer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if h.Bubble {
				synctest.Test(t, func(t *testing.T) { tt.fn(t, h) })
				return
			}
			tt.fn(t, h)
		})
	}
}

// open opens a queue and closes whichever queue *q is when the test ends.
func open(t *testing.T, h Harness, cfg Config) (*queue.Queue, func() queue.Queue) {
	q, restart := h.Open(t, cfg)
	qp := &q
	t.Cleanup(func() {
		if err := (*qp).Close(); err != nil && !errors.Is(err, queue.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return qp, restart
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

func testClaimAck(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	due := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	enqueue(t, *q, queue.Ticket{ID: "a", Rev: 1}, queue.Ticket{ID: "b", Rev: 7, Due: due}, queue.Ticket{ID: "c", Rev: 2})
	if err := (*q).Enqueue(context.Background(), queue.Ticket{}); err == nil {
		t.Fatal("Enqueue of a ticket without an id succeeded")
	}
	mustLen(t, *q, 3)
	cs := mustClaim(t, *q, 3)
	// b was due an hour ago: first.
	if got := ids(cs); !slices.Equal(got, []string{"b", "a", "c"}) {
		t.Fatalf("claimed %v, want [b a c]", got)
	}
	want := []queue.Ticket{{ID: "b", Rev: 7, Due: due}, {ID: "a", Rev: 1}, {ID: "c", Rev: 2}}
	for i, c := range cs {
		got := c.Ticket()
		if got.ID != want[i].ID || got.Rev != want[i].Rev || !got.Due.Equal(want[i].Due) {
			t.Errorf("Ticket() = %+v, want %+v", got, want[i])
		}
		if c.Deliveries() != 1 {
			t.Errorf("%s: Deliveries() = %d, want 1", got.ID, c.Deliveries())
		}
	}
	// Leased tickets are held, and not handed out again.
	mustLen(t, *q, 3)
	if cs := claim(t, *q, 10, tick); len(cs) != 0 {
		t.Fatalf("claimed %v while all were leased", ids(cs))
	}
	ack(t, cs...)
	mustLen(t, *q, 0)
	if cs := claim(t, *q, 10, tick); len(cs) != 0 {
		t.Fatalf("claimed %v after every ticket was acked", ids(cs))
	}
}

func testClaimWaits(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	got := make(chan []queue.Claim, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		cs, err := (*q).Claim(ctx, nil, 5)
		if err != nil {
			t.Errorf("waiting Claim: %v", err)
		}
		got <- cs
	}()
	enqueue(t, *q, queue.Ticket{ID: "late"})
	cs := <-got
	if len(cs) != 1 || cs[0].Ticket().ID != "late" {
		t.Fatalf("the waiting Claim got %v, want [late]", ids(cs))
	}
	// At most max, and appended to dst.
	enqueue(t, *q, queue.Ticket{ID: "x1"}, queue.Ticket{ID: "x2"}, queue.Ticket{ID: "x3"})
	dst := cs
	dst, err := (*q).Claim(context.Background(), dst, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(dst); !slices.Equal(got, []string{"late", "x1", "x2"}) {
		t.Fatalf("Claim appended %v, want [late x1 x2]", got)
	}
	ack(t, dst...)
	ack(t, mustClaim(t, *q, 1)...)
	mustLen(t, *q, 0)
}

func testDueTime(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	start := time.Now()
	later := start.Add(3 * tick)
	enqueue(t, *q, queue.Ticket{ID: "later", Due: later}, queue.Ticket{ID: "now"}, queue.Ticket{ID: "hour", Due: start.Add(time.Hour)})
	cs := mustClaim(t, *q, 1)
	if cs[0].Ticket().ID != "now" {
		t.Fatalf("first claim got %s, want now", cs[0].Ticket().ID)
	}
	ack(t, cs...)
	cs = mustClaim(t, *q, 1)
	if id := cs[0].Ticket().ID; id != "later" {
		t.Fatalf("second claim got %s, want later", id)
	}
	if now := time.Now(); now.Before(later) {
		t.Fatalf("a ticket due at %v was handed out at %v", later, now)
	}
	ack(t, cs...)
	if cs := claim(t, *q, 1, tick); len(cs) != 0 {
		t.Fatalf("a ticket due in an hour was handed out: %v", ids(cs))
	}
	mustLen(t, *q, 1)
}

func testOrderByDue(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	base := time.Now().Add(-time.Hour)
	// Due in the past, in shuffled order: handed out by due time.
	const n = 50
	perm := rand.Perm(n)
	for _, i := range perm {
		enqueue(t, *q, queue.Ticket{ID: fmt.Sprint("d", i), Due: base.Add(time.Duration(i) * time.Second)})
	}
	// Due at the same time: handed out in the order enqueued.
	same := base.Add(-time.Minute)
	for i := range 10 {
		enqueue(t, *q, queue.Ticket{ID: fmt.Sprint("s", i), Due: same})
	}
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprint("s", i))
	}
	for i := range n {
		want = append(want, fmt.Sprint("d", i))
	}
	var got []string
	for range want {
		cs := mustClaim(t, *q, 1)
		got = append(got, ids(cs)...)
		ack(t, cs...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("handed out %v, want %v", got, want)
	}
}

func testNakDelay(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	enqueue(t, *q, queue.Ticket{ID: "n", Rev: 3})
	c := mustClaim(t, *q, 1)[0]
	// A ticket due before the delay ends goes first.
	enqueue(t, *q, queue.Ticket{ID: "other"})
	naked := time.Now()
	if err := c.Nak(3 * tick); err != nil {
		t.Fatal(err)
	}
	mustLen(t, *q, 2)
	cs := mustClaim(t, *q, 1)
	if id := cs[0].Ticket().ID; id != "other" {
		t.Fatalf("claimed %s, want other", id)
	}
	ack(t, cs...)
	c2 := mustClaim(t, *q, 1)[0]
	if waited := time.Since(naked); waited < 3*tick {
		t.Fatalf("a ticket naked with a delay of %v came back after %v", 3*tick, waited)
	}
	if tk := c2.Ticket(); tk.ID != "n" || tk.Rev != 3 {
		t.Fatalf("came back as %+v", tk)
	}
	if c2.Deliveries() != 2 {
		t.Errorf("Deliveries() = %d after a nak, want 2", c2.Deliveries())
	}
	// Without a delay it is due at once, after the tickets due before.
	enqueue(t, *q, queue.Ticket{ID: "first"})
	if err := c2.Nak(0); err != nil {
		t.Fatal(err)
	}
	cs = mustClaim(t, *q, 2)
	if got := ids(cs); !slices.Equal(got, []string{"first", "n"}) {
		t.Fatalf("claimed %v, want [first n]", got)
	}
	ack(t, cs...)
	mustLen(t, *q, 0)
}

func testLeaseExpiry(t *testing.T, h Harness) {
	lease := 3 * tick
	q, _ := open(t, h, Config{Lease: lease})
	enqueue(t, *q, queue.Ticket{ID: "l", Rev: 1})
	mustClaim(t, *q, 1) // and never acked: its claimer died
	claimed := time.Now()
	// Not acked: handed out again once the lease ended, not before.
	c2 := mustClaim(t, *q, 1)[0]
	if waited := time.Since(claimed); waited < lease {
		t.Fatalf("a leased ticket was handed out again after %v, lease %v", waited, lease)
	}
	if c2.Ticket().ID != "l" || c2.Deliveries() != 2 {
		t.Fatalf("handed out again as %+v, deliveries %d", c2.Ticket(), c2.Deliveries())
	}
	ack(t, c2)
	mustLen(t, *q, 0)
}

func testExtend(t *testing.T, h Harness) {
	lease := 3 * tick
	q, _ := open(t, h, Config{Lease: lease})
	enqueue(t, *q, queue.Ticket{ID: "e"})
	c := mustClaim(t, *q, 1)[0]
	// Extended every third of a lease, for three leases: never handed out
	// again before a lease passed since the last extension.
	end := time.Now().Add(3 * lease)
	last := time.Now()
	for time.Now().Before(end) {
		if cs := claim(t, *q, 1, lease/3); len(cs) > 0 {
			if since := time.Since(last); since < lease {
				t.Fatalf("handed out again %v after its lease was extended (lease %v)", since, lease)
			}
			// The machine stalled longer than a lease: legitimate.
			return
		}
		if err := c.Extend(); err != nil {
			t.Fatal(err)
		}
		last = time.Now()
	}
	ack(t, c)
	mustLen(t, *q, 0)
}

func testLostLease(t *testing.T, h Harness) {
	if !h.StrictLeases {
		t.Skip("the implementation does not tell lost leases")
	}
	q, _ := open(t, h, Config{Lease: 2 * tick})
	enqueue(t, *q, queue.Ticket{ID: "lost"})
	old := mustClaim(t, *q, 1)[0]
	cur := mustClaim(t, *q, 1)[0] // once the lease ended
	for name, f := range map[string]func() error{"Ack": old.Ack, "Nak": func() error { return old.Nak(0) }, "Extend": old.Extend} {
		if err := f(); !errors.Is(err, queue.ErrLeaseLost) {
			t.Errorf("%s of a lost lease: %v, want ErrLeaseLost", name, err)
		}
	}
	// The current holder still holds it.
	mustLen(t, *q, 1)
	if err := cur.Nak(0); err != nil {
		t.Fatalf("Nak of the current lease after the old one's calls: %v", err)
	}
	c := mustClaim(t, *q, 1)[0]
	ack(t, c)
	if err := c.Ack(); !errors.Is(err, queue.ErrLeaseLost) {
		t.Errorf("a second Ack: %v, want ErrLeaseLost", err)
	}
	if err := cur.Ack(); !errors.Is(err, queue.ErrLeaseLost) {
		t.Errorf("Ack after the Nak: %v, want ErrLeaseLost", err)
	}
	mustLen(t, *q, 0)
}

func testConcurrentClaimers(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Hour})
	const n, claimers = 2000, 8
	var held sync.Map // id -> claimer holding it
	var acked [n]atomic.Int32
	var done atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	var wg sync.WaitGroup
	// Tickets are enqueued while the claimers run.
	wg.Go(func() {
		for i := range n {
			if err := (*q).Enqueue(ctx, queue.Ticket{ID: fmt.Sprint(i), Rev: uint64(i)}); err != nil {
				t.Errorf("Enqueue: %v", err)
				return
			}
		}
	})
	for w := range claimers {
		wg.Go(func() {
			var cs []queue.Claim
			for done.Load() < n {
				var err error
				cs, err = (*q).Claim(ctx, cs[:0], 1+w)
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("Claim: %v", err)
					}
					return
				}
				for _, c := range cs {
					id := c.Ticket().ID
					if other, busy := held.LoadOrStore(id, w); busy {
						t.Errorf("ticket %s handed to claimer %d while claimer %d held it", id, w, other)
					}
					var i int
					fmt.Sscan(id, &i)
					if c.Ticket().Rev != uint64(i) {
						t.Errorf("ticket %s has Rev %d", id, c.Ticket().Rev)
					}
					held.Delete(id)
					if err := c.Ack(); err != nil {
						t.Errorf("Ack(%s): %v", id, err)
					}
					acked[i].Add(1)
					if done.Add(1) == n {
						cancel()
					}
				}
			}
		})
	}
	wg.Wait()
	for i := range acked {
		if k := acked[i].Load(); k != 1 {
			t.Errorf("ticket %d acked %d times", i, k)
		}
	}
	mustLen(t, *q, 0)
}

// testMany runs thousands of tickets through the queue, some naked, and
// checks that each is handed out in due order and acked once.
func testMany(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Hour})
	const n = 3000
	base := time.Now().Add(-time.Hour)
	for _, i := range rand.Perm(n) {
		enqueue(t, *q, queue.Ticket{ID: fmt.Sprint(i), Due: base.Add(time.Duration(i) * time.Millisecond)})
	}
	mustLen(t, *q, n)
	acked := map[string]bool{}
	last := -1
	naks := 0
	for len(acked) < n {
		cs := claimSome(t, *q, 1+rand.IntN(16))
		for _, c := range cs {
			id := c.Ticket().ID
			var i int
			fmt.Sscan(id, &i)
			if acked[id] {
				t.Fatalf("ticket %s handed out after it was acked", id)
			}
			if c.Deliveries() == 1 {
				// First hand-outs follow the due order (naked ones come
				// back due now, after them all).
				if i < last {
					t.Fatalf("ticket %d handed out after %d", i, last)
				}
				last = i
				if i%7 == 0 {
					naks++
					if err := c.Nak(0); err != nil {
						t.Fatal(err)
					}
					continue
				}
			}
			if err := c.Ack(); err != nil {
				t.Fatal(err)
			}
			acked[id] = true
		}
	}
	mustLen(t, *q, 0)
	if naks == 0 {
		t.Fatal("no ticket was naked")
	}
}

func testRestart(t *testing.T, h Harness) {
	q, restart := open(t, h, Config{Lease: time.Hour})
	if restart == nil {
		t.Skip("the implementation keeps nothing across a restart")
	}
	future := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	enqueue(t, *q, queue.Ticket{ID: "a", Rev: 1}, queue.Ticket{ID: "b", Rev: 2}, queue.Ticket{ID: "c", Rev: 3},
		queue.Ticket{ID: "d", Rev: 4}, queue.Ticket{ID: "f", Rev: 6, Due: future})
	cs := mustClaim(t, *q, 3) // a, b, c
	ack(t, cs[0])             // a is done; b stays leased
	if err := cs[2].Nak(0); err != nil {
		t.Fatal(err)
	}
	*q = restart()
	// Every ticket not acked is there, leased or not, due or not.
	mustLen(t, *q, 4)
	cs = mustClaim(t, *q, 3)
	got := map[string]uint64{}
	for _, c := range cs {
		got[c.Ticket().ID] = c.Ticket().Rev
	}
	if want := map[string]uint64{"b": 2, "c": 3, "d": 4}; !mapsEqual(got, want) {
		t.Fatalf("after a restart claimed %v, want %v", got, want)
	}
	if more := claim(t, *q, 10, tick); len(more) != 0 {
		t.Fatalf("after a restart also claimed %v (f is due in an hour)", ids(more))
	}
	ack(t, cs...)
	*q = restart()
	mustLen(t, *q, 1)
	if more := claim(t, *q, 10, tick); len(more) != 0 {
		t.Fatalf("after a second restart claimed %v", ids(more))
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

func testFull(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute, MaxLen: 3})
	enqueue(t, *q, queue.Ticket{ID: "1"}, queue.Ticket{ID: "2"}, queue.Ticket{ID: "3"})
	if err := (*q).Enqueue(context.Background(), queue.Ticket{ID: "4"}); !errors.Is(err, queue.ErrFull) {
		t.Fatalf("Enqueue beyond MaxLen: %v, want ErrFull", err)
	}
	mustLen(t, *q, 3)
	c := mustClaim(t, *q, 1)[0]
	// A leased or naked ticket still counts.
	if err := c.Nak(0); err != nil {
		t.Fatal(err)
	}
	if err := (*q).Enqueue(context.Background(), queue.Ticket{ID: "4"}); !errors.Is(err, queue.ErrFull) {
		t.Fatalf("Enqueue beyond MaxLen after a Nak: %v, want ErrFull", err)
	}
	ack(t, mustClaim(t, *q, 1)...)
	enqueue(t, *q, queue.Ticket{ID: "4"})
	mustLen(t, *q, 3)
}

func testContextEnds(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (*q).Enqueue(ctx, queue.Ticket{ID: "x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Enqueue with an ended context: %v", err)
	}
	enqueue(t, *q, queue.Ticket{ID: "y"})
	if cs, err := (*q).Claim(ctx, nil, 1); !errors.Is(err, context.Canceled) || len(cs) != 0 {
		t.Fatalf("Claim with an ended context: %v, %v", ids(cs), err)
	}
	// The ticket is still there for the next claim.
	c := mustClaim(t, *q, 1)[0]
	ack(t, c)
	// A waiting Claim returns when its context ends.
	ctx, cancel = context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := (*q).Claim(ctx, nil, 1)
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting Claim: %v, want context.Canceled", err)
	}
	mustLen(t, *q, 0)
}

func testClosed(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	enqueue(t, *q, queue.Ticket{ID: "held"})
	c := mustClaim(t, *q, 1)[0]
	errc := make(chan error, 1)
	go func() {
		_, err := (*q).Claim(context.Background(), nil, 1)
		errc <- err
	}()
	if err := (*q).Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("Claim waiting at Close: %v, want ErrClosed", err)
	}
	if err := (*q).Enqueue(context.Background(), queue.Ticket{ID: "x"}); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Enqueue after Close: %v", err)
	}
	if _, err := (*q).Claim(context.Background(), nil, 1); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Claim after Close: %v", err)
	}
	if _, err := (*q).Len(); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Len after Close: %v", err)
	}
	if err := c.Ack(); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Ack after Close: %v", err)
	}
}
