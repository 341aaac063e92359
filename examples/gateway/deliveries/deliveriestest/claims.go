package deliveriestest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
)

func testAddClaimAck(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	ds := add(t, *q, "acct", "r1", "r2", "r3")
	if err := (*q).Add(context.Background(), &deliveries.Delivery{Body: []byte("x")}); err == nil {
		t.Fatal("Add of a delivery without an account succeeded")
	}
	for i := 1; i < len(ds); i++ {
		if ds[i].Seq <= ds[i-1].Seq {
			t.Fatalf("Seq %d after %d: Seqs must grow", ds[i].Seq, ds[i-1].Seq)
		}
	}
	mustPending(t, *q, "acct", 3)
	cs := mustClaim(t, *q, "acct", 3)
	if got := bodies(cs); !slices.Equal(got, []string{"r1", "r2", "r3"}) {
		t.Fatalf("claimed %v, want [r1 r2 r3]", got)
	}
	for i, c := range cs {
		got := c.Delivery()
		if got.Seq != ds[i].Seq || got.Account != "acct" || !got.Created.Equal(ds[i].Created) || got.Bind != ds[i].Bind {
			t.Errorf("Delivery() = %+v, want %+v", got, ds[i])
		}
	}
	// Leased deliveries are held (durable until acked), and not handed out
	// again.
	mustPending(t, *q, "acct", 3)
	if more := claim(t, *q, "acct", 10, tick); len(more) != 0 {
		t.Fatalf("claimed %v while all were leased", bodies(more))
	}
	ack(t, cs[0], cs[2])
	mustPending(t, *q, "acct", 1)
	ack(t, cs[1])
	mustPending(t, *q, "acct", 0)
	if more := claim(t, *q, "acct", 10, tick); len(more) != 0 {
		t.Fatalf("claimed %v after every delivery was acked", bodies(more))
	}
}

func testClaimWaits(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	got := make(chan []deliveries.Claim, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		cs, err := (*q).Claim(ctx, "acct", nil, 5)
		if err != nil {
			t.Errorf("waiting Claim: %v", err)
		}
		got <- cs
	}()
	time.Sleep(tick)
	// Another account's delivery does not wake it with something.
	add(t, *q, "other", "o")
	add(t, *q, "acct", "w")
	cs := <-got
	if b := bodies(cs); !slices.Equal(b, []string{"w"}) {
		t.Fatalf("the waiting Claim got %v, want [w]", b)
	}
	ack(t, cs...)
}

func testOrder(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	add(t, *q, "acct", numbered("m", 20)...)
	// Claimed a few at a time: Seq order.
	var got []string
	for len(got) < 20 {
		cs := mustClaim(t, *q, "acct", min(3, 20-len(got)))
		got = append(got, bodies(cs)...)
		ack(t, cs...)
	}
	if want := numbered("m", 20); !slices.Equal(got, want) {
		t.Fatalf("claimed %v, want %v", got, want)
	}
}

func testNakDelay(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	add(t, *q, "acct", "n")
	c := mustClaim(t, *q, "acct", 1)[0]
	delay := 3 * tick
	naked := time.Now()
	nak(t, delay, c)
	mustPending(t, *q, "acct", 1)
	c2 := mustClaim(t, *q, "acct", 1)[0]
	if waited := time.Since(naked); waited < delay {
		t.Fatalf("a delivery naked with %v was handed out again after %v", delay, waited)
	}
	if c2.Delivery().Seq != c.Delivery().Seq || string(c2.Delivery().Body) != "n" {
		t.Fatalf("handed out again as %+v", c2.Delivery())
	}
	// Naked at once: handed out at once.
	nak(t, 0, c2)
	c3 := claim(t, *q, "acct", 1, tick)
	if len(c3) != 1 {
		t.Fatalf("a delivery naked without delay was not handed out again within %v", tick)
	}
	ack(t, c3...)
	mustPending(t, *q, "acct", 0)
}

// testNakBeforeFresh: a delivery refused or timed out on one bind goes to
// the next claim before the deliveries not handed out yet, and the others
// keep their order.
func testNakBeforeFresh(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	add(t, *q, "acct", "a", "b", "c", "d")
	cs := mustClaim(t, *q, "acct", 2) // a, b
	nak(t, 0, cs[1])
	ack(t, cs[0])
	got := bodies(mustClaim(t, *q, "acct", 3))
	if want := []string{"b", "c", "d"}; !slices.Equal(got, want) {
		t.Fatalf("after a nak claimed %v, want %v", got, want)
	}
}

func testLeaseExpiry(t *testing.T, h Harness) {
	lease := 3 * tick
	q, _ := open(t, h, Config{Lease: lease})
	add(t, *q, "acct", "l", "m")
	// The lease starts within Claim (on JetStream when the server hands
	// the delivery out, before Claim returns): measured from the call.
	claimed := time.Now()
	mustClaim(t, *q, "acct", 1) // l, never acked: its claimer died
	// m is handed out meanwhile; l once its lease ended, not before.
	if got := bodies(mustClaim(t, *q, "acct", 1)); !slices.Equal(got, []string{"m"}) {
		t.Fatalf("claimed %v, want [m]", got)
	}
	c := mustClaim(t, *q, "acct", 1)[0]
	if waited := time.Since(claimed); waited < lease {
		t.Fatalf("a leased delivery was handed out again after %v, lease %v", waited, lease)
	}
	if string(c.Delivery().Body) != "l" {
		t.Fatalf("handed out again: %s, want l", c.Delivery().Body)
	}
	ack(t, c)
	mustPending(t, *q, "acct", 1) // m, leased
}

func testExtend(t *testing.T, h Harness) {
	lease := 3 * tick
	q, _ := open(t, h, Config{Lease: lease})
	if got := (*q).Lease(); got != lease {
		t.Fatalf("Lease() = %v, want %v", got, lease)
	}
	add(t, *q, "acct", "e")
	last := time.Now() // leases measured from the calls that start them
	c := mustClaim(t, *q, "acct", 1)[0]
	// Extended every third of a lease, for three leases: never handed out
	// again before a lease passed since the last extension.
	end := time.Now().Add(3 * lease)
	for time.Now().Before(end) {
		if cs := claim(t, *q, "acct", 1, lease/3); len(cs) > 0 {
			if since := time.Since(last); since < lease {
				t.Fatalf("handed out again %v after its lease was extended (lease %v)", since, lease)
			}
			return // the machine stalled longer than a lease: legitimate
		}
		extended := time.Now()
		if err := c.Extend(); err != nil {
			t.Fatal(err)
		}
		last = extended
	}
	ack(t, c)
	mustPending(t, *q, "acct", 0)
}

func testLostLease(t *testing.T, h Harness) {
	if !h.StrictLeases {
		t.Skip("the implementation does not tell lost leases")
	}
	q, _ := open(t, h, Config{Lease: 2 * tick})
	add(t, *q, "acct", "lost")
	old := mustClaim(t, *q, "acct", 1)[0]
	cur := mustClaim(t, *q, "acct", 1)[0] // once the lease ended
	for name, f := range map[string]func() error{"Ack": old.Ack, "Nak": func() error { return old.Nak(0) }, "Extend": old.Extend} {
		if err := f(); !errors.Is(err, deliveries.ErrLeaseLost) {
			t.Errorf("%s of a lost lease: %v, want ErrLeaseLost", name, err)
		}
	}
	mustPending(t, *q, "acct", 1)
	nak(t, 0, cur)
	c := mustClaim(t, *q, "acct", 1)[0]
	ack(t, c)
	if err := c.Ack(); !errors.Is(err, deliveries.ErrLeaseLost) {
		t.Errorf("a second Ack: %v, want ErrLeaseLost", err)
	}
	if err := cur.Ack(); !errors.Is(err, deliveries.ErrLeaseLost) {
		t.Errorf("Ack after the Nak: %v, want ErrLeaseLost", err)
	}
	mustPending(t, *q, "acct", 0)
}

func testIsolation(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	if accs, err := (*q).Accounts(); err != nil || len(accs) != 0 {
		t.Fatalf("Accounts of an empty queue: %v, %v", accs, err)
	}
	// "a" is a prefix of "ab": they must not mix.
	for i := range 5 {
		add(t, *q, "ab", numbered("ab", 5)[i])
		add(t, *q, "a", numbered("a", 5)[i])
	}
	add(t, *q, "zeta", "z")
	if accs, err := (*q).Accounts(); err != nil || !slices.Equal(accs, []string{"a", "ab", "zeta"}) {
		t.Fatalf("Accounts = %v, %v; want [a ab zeta]", accs, err)
	}
	mustPending(t, *q, "a", 5)
	mustPending(t, *q, "ab", 5)
	mustPending(t, *q, "b", 0)
	// An account whose deliveries are all leased does not hold another's.
	held := mustClaim(t, *q, "a", 5)
	if got := bodies(held); !slices.Equal(got, numbered("a", 5)) {
		t.Fatalf("claimed %v for a", got)
	}
	if got := bodies(mustClaim(t, *q, "ab", 5)); !slices.Equal(got, numbered("ab", 5)) {
		t.Fatalf("claimed %v for ab", got)
	}
	if cs := claim(t, *q, "b", 5, tick); len(cs) != 0 {
		t.Fatalf("claimed %v for b, which has none", bodies(cs))
	}
	ack(t, held...)
	mustPending(t, *q, "a", 0)
	mustPending(t, *q, "ab", 5)
	ack(t, mustClaim(t, *q, "zeta", 1)...)
	if accs, err := (*q).Accounts(); err != nil || !slices.Equal(accs, []string{"ab"}) {
		t.Fatalf("Accounts = %v, %v; want [ab]", accs, err)
	}
}
