package queuetest

import (
	"errors"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

func testLeaseExpiry(t *testing.T, h Harness) {
	lease := 3 * tick
	q, _ := open(t, h, Config{Lease: lease})
	enqueue(t, *q, queue.Ticket{ID: "l", Rev: 1})
	// The lease starts within Claim (on JetStream when the server hands
	// the ticket out, before Claim returns): measured from the call.
	claimed := time.Now()
	mustClaim(t, *q, 1) // and never acked: its claimer died
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
	last := time.Now() // leases measured from the calls that start them
	c := mustClaim(t, *q, 1)[0]
	// Extended every third of a lease, for three leases: never handed out
	// again before a lease passed since the last extension.
	end := time.Now().Add(3 * lease)
	for time.Now().Before(end) {
		if cs := claim(t, *q, 1, lease/3); len(cs) > 0 {
			if since := time.Since(last); since < lease {
				t.Fatalf("handed out again %v after its lease was extended (lease %v)", since, lease)
			}
			// The machine stalled longer than a lease: legitimate.
			return
		}
		extended := time.Now()
		if err := c.Extend(); err != nil {
			t.Fatal(err)
		}
		last = extended
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
