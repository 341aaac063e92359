package jsqueue_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/internal/cputime"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit/jskit"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/queue/jsqueue"
)

// BenchmarkLifecycle measures a ticket's life, enqueue, claim and ack, on
// one server (R1) and on a three-server cluster (R3), all in this process
// on loopback: one at a time (the latency of the three round trips), and
// from 8 goroutines per core at once, and as a pipeline (see pipeline): ns/op
// is then the wall time per message.
//
//	cd examples && go test -run='^$' -bench=Lifecycle -benchtime=3s ./gateway/queue/jsqueue/
func BenchmarkLifecycle(b *testing.B) {
	for _, setup := range jskit.Topologies {
		b.Run(setup.Name, func(b *testing.B) {
			nodes := setup.Nodes(b)
			var n atomic.Int64
			opts := func() jsqueue.Options {
				return jsqueue.Options{Stream: fmt.Sprint("BENCH", n.Add(1)), Replicas: setup.Replicas, Lease: time.Minute}
			}
			b.Run("serial", func(b *testing.B) {
				q := open(b, opts(), nodes...)
				b.ReportAllocs()
				var cs []queue.Claim
				for i := 0; b.Loop(); i++ {
					cs = lifecycle(b, q, fmt.Sprint(i), cs)
				}
			})
			b.Run("parallel16", func(b *testing.B) {
				q := open(b, opts(), nodes...)
				var id atomic.Int64
				b.ReportAllocs()
				b.SetParallelism(8) // 8 × GOMAXPROCS goroutines: 16 on two cores
				b.RunParallel(func(pb *testing.PB) {
					var cs []queue.Claim
					for pb.Next() {
						cs = lifecycle(b, q, fmt.Sprint(id.Add(1)), cs)
					}
				})
			})
			b.Run("pipeline", func(b *testing.B) {
				q := open(b, opts(), nodes...)
				b.ReportAllocs()
				cpu := cputime.Process()
				pipeline(b, q, b.N)
				b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N)/1e3, "cpu-µs/msg")
			})
		})
	}
}

// pipeline runs n tickets through q as the gateway does: 16 goroutines
// enqueue (ESME sessions), 4 claim up to 64 at a time and ack each
// (dispatchers).
func pipeline(b *testing.B, q queue.Queue, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var next, acked atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				if err := q.Enqueue(ctx, queue.Ticket{ID: fmt.Sprint(i), Rev: 1}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			var cs []queue.Claim
			for acked.Load() < int64(n) {
				cctx, ccancel := context.WithTimeout(ctx, 100*time.Millisecond)
				var err error
				cs, err = q.Claim(cctx, cs[:0], 64)
				ccancel()
				if err != nil && !errors.Is(err, context.DeadlineExceeded) {
					b.Error(err)
					return
				}
				for _, c := range cs {
					if err := c.Ack(); err != nil {
						b.Error(err)
						return
					}
					acked.Add(1)
				}
			}
		})
	}
	wg.Wait()
}

// lifecycle enqueues a ticket, claims one (maybe another goroutine's) and
// acks it.
func lifecycle(b *testing.B, q queue.Queue, id string, cs []queue.Claim) []queue.Claim {
	ctx := context.Background()
	if err := q.Enqueue(ctx, queue.Ticket{ID: id, Rev: 1}); err != nil {
		b.Fatal(err)
	}
	cs, err := q.Claim(ctx, cs[:0], 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cs {
		if err := c.Ack(); err != nil {
			b.Fatal(err)
		}
	}
	return cs
}
