package queuetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

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
