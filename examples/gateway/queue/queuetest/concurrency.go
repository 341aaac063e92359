package queuetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

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
	rank := make([]int, n) // the order a ticket's first hand-out must follow
	for pos, i := range rand.Perm(n) {
		enqueue(t, *q, queue.Ticket{ID: fmt.Sprint(i), Due: base.Add(time.Duration(i) * time.Millisecond)})
		rank[i] = i
		if h.StreamOrder {
			rank[i] = pos
		}
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
				// First hand-outs follow the due order, or the stream's
				// (naked ones come back due now, after them all, or
				// first in a stream: counted only once).
				if rank[i] < last {
					t.Fatalf("ticket %d handed out after one it must follow", i)
				}
				last = rank[i]
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
