package queuetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

func testClaimAck(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Minute})
	due := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	enqueue(t, *q, queue.Ticket{ID: "a", Rev: 1}, queue.Ticket{ID: "b", Rev: 7, Due: due}, queue.Ticket{ID: "c", Rev: 2})
	if err := (*q).Enqueue(context.Background(), queue.Ticket{}); err == nil {
		t.Fatal("Enqueue of a ticket without an id succeeded")
	}
	mustLen(t, *q, 3)
	cs := mustClaim(t, *q, 3)
	// b was due an hour ago: first (in stream order, second).
	want := []queue.Ticket{{ID: "b", Rev: 7, Due: due}, {ID: "a", Rev: 1}, {ID: "c", Rev: 2}}
	if h.StreamOrder {
		want[0], want[1] = want[1], want[0]
	}
	if got, w := ids(cs), []string{want[0].ID, want[1].ID, want[2].ID}; !slices.Equal(got, w) {
		t.Fatalf("claimed %v, want %v", got, w)
	}
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
	if h.StreamOrder {
		// In the order enqueued.
		want = want[:0]
		for _, i := range perm {
			want = append(want, fmt.Sprint("d", i))
		}
		for i := range 10 {
			want = append(want, fmt.Sprint("s", i))
		}
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
	want := []string{"first", "n"}
	if h.StreamOrder {
		want = []string{"n", "first"} // naked: before those not handed out yet
	}
	if got := ids(cs); !slices.Equal(got, want) {
		t.Fatalf("claimed %v, want %v", got, want)
	}
	ack(t, cs...)
	mustLen(t, *q, 0)
}
