package jsqueue_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit/jskit"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/queue/jsqueue"
)

// TestNoGoroutineLeft: once Close returns, nothing the queue started runs:
// not its fetches given up (a Claim whose context ended, a Claim waiting
// at Close), not their subscriptions.
func TestNoGoroutineLeft(t *testing.T) {
	node := natstest.Server(t)
	opts := jsqueue.Options{Stream: "LEAK", Lease: time.Minute}
	// The stream and its consumer exist before the count: their
	// goroutines are the server's, and stay.
	if err := open(t, opts, node).Close(); err != nil {
		t.Fatal(err)
	}
	q := open(t, opts, node)
	before := runtime.NumGoroutine()

	if err := q.Enqueue(context.Background(), queue.Ticket{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	cs, err := q.Claim(context.Background(), nil, 5)
	if err != nil || len(cs) != 1 {
		t.Fatalf("Claim: %d, %v", len(cs), err)
	}
	// A Claim given up while its pull request waits.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	if _, err := q.Claim(ctx, nil, 5); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Claim with nothing due: %v", err)
	}
	cancel()
	// A Claim waiting at Close.
	errc := make(chan error, 1)
	go func() {
		_, err := q.Claim(context.Background(), nil, 1)
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("Claim waiting at Close: %v", err)
	}
	jskit.GoroutinesBackTo(t, before)
	// The claim held at Close was given back: handed out again at once.
	q2 := open(t, opts, node)
	c := claimOne(t, q2, 5*time.Second)
	if c.Ticket().ID != "a" || c.Deliveries() != 2 {
		t.Fatalf("after Close claimed %+v, deliveries %d", c.Ticket(), c.Deliveries())
	}
}

// TestConsumerDeleted: a Claim on a queue whose consumer an operator
// deleted creates it again and hands out the tickets.
func TestConsumerDeleted(t *testing.T) {
	node := natstest.Server(t)
	opts := jsqueue.Options{Stream: "DELETED", Lease: time.Minute}
	q := open(t, opts, node)
	if err := q.Enqueue(context.Background(), queue.Ticket{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(natstest.Connect(t, node))
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteConsumer(context.Background(), "DELETED", "dispatch"); err != nil {
		t.Fatal(err)
	}
	c := claimOne(t, q, 10*time.Second)
	if c.Ticket().ID != "a" {
		t.Fatalf("claimed %+v", c.Ticket())
	}
	if err := c.Ack(); err != nil {
		t.Fatal(err)
	}
}
