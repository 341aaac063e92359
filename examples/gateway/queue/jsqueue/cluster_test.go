package jsqueue_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/queue/jsqueue"
)

// claimOne claims one ticket within wait, or fails the test.
func claimOne(t *testing.T, q queue.Queue, wait time.Duration) queue.Claim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cs, err := q.Claim(ctx, nil, 1)
	if err != nil || len(cs) != 1 {
		t.Fatalf("Claim: %d claims, %v", len(cs), err)
	}
	return cs[0]
}

// TestFailover: a ticket leased through server A, whose server then dies,
// is handed out again through server B once its lease ends, not before.
func TestFailover(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	lease := 3 * time.Second
	opts := jsqueue.Options{Stream: "FAILOVER", Replicas: 3, Lease: lease, RequestTimeout: 500 * time.Millisecond}
	qa := open(t, opts, nodes[0])
	qb := open(t, opts, nodes[1])
	if err := qa.Enqueue(context.Background(), queue.Ticket{ID: "m1", Rev: 1}); err != nil {
		t.Fatal(err)
	}
	claimed := time.Now() // the lease starts after this
	c := claimOne(t, qa, 10*time.Second)
	if c.Ticket().ID != "m1" {
		t.Fatalf("claimed %+v", c.Ticket())
	}
	nodes[0].Shutdown()
	c2 := claimOne(t, qb, 30*time.Second)
	waited := time.Since(claimed)
	t.Logf("handed out again through B %v after the claim through A (lease %v)", waited, lease)
	// After a leader change the lease may end up to a second early: the
	// servers keep the delivery times of leased messages to the second in
	// the consumer's replicated state (nats-server 2.15.3).
	if waited < lease-time.Second {
		t.Fatalf("handed out again after %v, more than a second before the lease of %v ended", waited, lease)
	}
	if tk := c2.Ticket(); tk.ID != "m1" || tk.Rev != 1 || c2.Deliveries() != 2 {
		t.Fatalf("handed out again as %+v, deliveries %d", tk, c2.Deliveries())
	}
	if err := c2.Ack(); err != nil {
		t.Fatal(err)
	}
	// The stream's own leader may still be being elected when the
	// consumer already answers (each has its own group): Len asks both,
	// so it is asked again, a moment apart, while it fails, within a bound.
	n, err := qb.Len()
	for deadline := time.Now().Add(20 * time.Second); err != nil && time.Now().Before(deadline); n, err = qb.Len() {
		t.Logf("Len after the ack through B: %v (asked again)", err)
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || n != 0 {
		t.Fatalf("Len = %d, %v after the ack through B", n, err)
	}
	// A's queue cannot give back what it held: its server is gone.
	if err := qa.Close(); err == nil {
		t.Log("A's queue closed and gave its claim back (reconnected elsewhere)")
	}
}

// TestTwoNodes: two queues on connections to two servers, two claimers
// each, some naking: no ticket is held by two claimers at once within its
// lease, and each is acked once.
func TestTwoNodes(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	opts := jsqueue.Options{Stream: "TWONODES", Replicas: 3, Lease: time.Minute}
	qs := []*jsqueue.Queue{open(t, opts, nodes[0]), open(t, opts, nodes[1])}
	const n = 600
	for i := range n {
		if err := qs[i%2].Enqueue(context.Background(), queue.Ticket{ID: fmt.Sprint(i), Rev: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	holder := map[string]string{}
	acked := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for node, q := range qs {
		for w := range 2 {
			name := fmt.Sprintf("node%d/claimer%d", node, w)
			wg.Go(func() {
				var cs []queue.Claim
				for {
					mu.Lock()
					done := len(acked) == n
					mu.Unlock()
					if done || ctx.Err() != nil {
						return
					}
					cctx, ccancel := context.WithTimeout(ctx, 200*time.Millisecond)
					var err error
					cs, err = q.Claim(cctx, cs[:0], 8)
					ccancel()
					if err != nil && !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("%s: Claim: %v", name, err)
						return
					}
					for _, c := range cs {
						id := c.Ticket().ID
						mu.Lock()
						if other, ok := holder[id]; ok {
							t.Errorf("ticket %s handed to %s while %s held it", id, name, other)
						}
						holder[id] = name
						mu.Unlock()
						time.Sleep(time.Duration(rand.IntN(100)) * time.Microsecond)
						mu.Lock()
						delete(holder, id)
						nak := rand.IntN(10) == 0
						if !nak {
							acked[id]++
						}
						mu.Unlock()
						if nak {
							err = c.Nak(0)
						} else {
							err = c.Ack()
						}
						if err != nil {
							t.Errorf("%s: %v", name, err)
						}
					}
				}
			})
		}
	}
	wg.Wait()
	if len(acked) != n {
		t.Fatalf("%d tickets acked, want %d", len(acked), n)
	}
	for id, k := range acked {
		if k != 1 {
			t.Errorf("ticket %s acked %d times", id, k)
		}
	}
	if l, err := qs[0].Len(); err != nil || l != 0 {
		t.Fatalf("Len = %d, %v", l, err)
	}
}

// TestDuplicatePublish: a ticket enqueued again with the same id and
// revision, through another server, is stored once; another revision is
// another ticket.
func TestDuplicatePublish(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	opts := jsqueue.Options{Stream: "DEDUPE", Replicas: 3, Lease: time.Minute}
	qa, qb := open(t, opts, nodes[0]), open(t, opts, nodes[2])
	tk := queue.Ticket{ID: "dup", Rev: 4}
	for _, q := range []*jsqueue.Queue{qa, qb, qa} {
		if err := q.Enqueue(context.Background(), tk); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := qa.Len(); err != nil || n != 1 {
		t.Fatalf("Len = %d, %v after three publishes of one ticket, want 1", n, err)
	}
	if err := qb.Enqueue(context.Background(), queue.Ticket{ID: "dup", Rev: 5}); err != nil {
		t.Fatal(err)
	}
	if n, err := qa.Len(); err != nil || n != 2 {
		t.Fatalf("Len = %d, %v after another revision, want 2", n, err)
	}
}

// TestConcurrentNew: two processes starting at once both create or find
// the stream and the consumer.
func TestConcurrentNew(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	opts := jsqueue.Options{Stream: "RACE", Replicas: 3}
	var wg sync.WaitGroup
	qs := make([]*jsqueue.Queue, 2)
	errs := make([]error, 2)
	for i := range qs {
		js, err := jetstream.New(natstest.Connect(t, nodes[i]))
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			qs[i], errs[i] = jsqueue.New(ctx, js, opts)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("New on node %d: %v", i, err)
		}
		t.Cleanup(func() {
			if err := qs[i].Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	if err := qs[0].Enqueue(context.Background(), queue.Ticket{ID: "x"}); err != nil {
		t.Fatal(err)
	}
	c := claimOne(t, qs[1], 10*time.Second)
	if err := c.Ack(); err != nil {
		t.Fatal(err)
	}
}
