package jsdeliveries_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/deliveries/jsdeliveries"
	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit/jskit"
)

// claimOne claims one of account's deliveries within wait, or fails.
func claimOne(t *testing.T, q deliveries.Queue, account string, wait time.Duration) deliveries.Claim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cs, err := q.Claim(ctx, account, nil, 1)
	if err != nil || len(cs) != 1 {
		t.Fatalf("Claim(%s): %d claims, %v", account, len(cs), err)
	}
	return cs[0]
}

func add(t *testing.T, q deliveries.Queue, account, body string) *deliveries.Delivery {
	t.Helper()
	d := &deliveries.Delivery{Account: account, Body: []byte(body), Created: time.Now()}
	if err := q.Add(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestFailover: a receipt leased by a pusher on server A, whose server then
// dies, goes to a pusher on server B once its lease ends, not before. The
// account's name needs escaping.
func TestFailover(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	lease := 3 * time.Second
	opts := jsdeliveries.Options{Stream: "FAILOVER", Replicas: 3, Lease: lease, RequestTimeout: 500 * time.Millisecond}
	qa := open(t, opts, nodes[0])
	qb := open(t, opts, nodes[1])
	const acct = "esme.1 *>_ü"
	d := add(t, qa, acct, "receipt")
	claimed := time.Now() // the lease starts after this
	c := claimOne(t, qa, acct, 10*time.Second)
	nodes[0].Shutdown()
	c2 := claimOne(t, qb, acct, 30*time.Second)
	waited := time.Since(claimed)
	t.Logf("handed out again through B %v after the claim through A (lease %v)", waited, lease)
	// After a leader change the lease may end up to a second early: the
	// servers keep the delivery times of leased messages to the second in
	// the consumer's replicated state (nats-server 2.15.3).
	if waited < lease-time.Second {
		t.Fatalf("handed out again after %v, more than a second before the lease of %v ended", waited, lease)
	}
	if got := c2.Delivery(); got.Seq != d.Seq || got.Account != acct || string(got.Body) != "receipt" || got.Seq != c.Delivery().Seq {
		t.Fatalf("handed out again as %+v", got)
	}
	if err := c2.Ack(); err != nil {
		t.Fatal(err)
	}
	if accs, err := qb.Accounts(); err != nil || len(accs) != 0 {
		// The stream may list it a moment after the ack: ask again.
		time.Sleep(100 * time.Millisecond)
		if accs, err = qb.Accounts(); err != nil || len(accs) != 0 {
			t.Fatalf("Accounts = %q, %v after the ack", accs, err)
		}
	}
}

// TestIdleConsumer: an account's consumer deleted by the servers after
// Idle (counted from the end of the last lease) loses nothing: the next
// Claim creates it again and gets the deliveries not acked.
func TestIdleConsumer(t *testing.T) {
	node := natstest.Server(t)
	opts := jsdeliveries.Options{Stream: "IDLE", Lease: time.Second, Idle: time.Second}
	q := open(t, opts, node)
	add(t, q, "gone", "r1")
	add(t, q, "gone", "r2")
	first := claimOne(t, q, "gone", 5*time.Second) // never acked: its pusher died
	js := jetstreamOf(t, node)
	deadline := time.Now().Add(20 * time.Second)
	for {
		s, err := js.Stream(context.Background(), "IDLE")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Consumer(context.Background(), "dlv-gone"); err != nil {
			t.Logf("consumer gone: %v", err)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the idle consumer was not deleted")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n, err := q.Pending("gone"); err != nil || n != 2 {
		t.Fatalf("Pending = %d, %v with the consumer gone, want 2", n, err)
	}
	var got []string
	for range 2 {
		c := claimOne(t, q, "gone", 10*time.Second)
		got = append(got, string(c.Delivery().Body))
		if err := c.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	if got[0] != "r1" || got[1] != "r2" {
		t.Fatalf("claimed %v after the consumer went, want [r1 r2]", got)
	}
	// The first claim's ack comes late, for a sequence acked already: harmless.
	if err := first.Ack(); err != nil {
		t.Logf("late ack: %v", err)
	}
	if n, err := q.Pending("gone"); err != nil || n != 0 {
		t.Fatalf("Pending = %d, %v", n, err)
	}
}

// TestNoGoroutineLeft: once Close returns, nothing the queue started runs.
func TestNoGoroutineLeft(t *testing.T) {
	node := natstest.Server(t)
	opts := jsdeliveries.Options{Stream: "LEAK", Lease: time.Minute}
	// The stream and the consumer exist before the count (the server's
	// goroutines).
	q0 := open(t, opts, node)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	if _, err := q0.Claim(ctx, "a", nil, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	cancel()
	if err := q0.Close(); err != nil {
		t.Fatal(err)
	}
	q := open(t, opts, node)
	before := runtime.NumGoroutine()
	add(t, q, "a", "x")
	claimOne(t, q, "a", 5*time.Second)
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Millisecond)
	if _, err := q.Claim(ctx, "a", nil, 5); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Claim with nothing there: %v", err)
	}
	cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := q.Claim(context.Background(), "a", nil, 1)
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, deliveries.ErrClosed) {
		t.Fatalf("Claim waiting at Close: %v", err)
	}
	jskit.GoroutinesBackTo(t, before)
}
