package jsdeliveries_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/deliveries/jsdeliveries"
	"github.com/esmsafrica/smpp/examples/gateway/internal/cputime"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit/jskit"
)

// BenchmarkLifecycle measures a receipt's life in the queue, add, claim
// and ack, on one server (R1) and on a three-server cluster (R3), all in
// this process on loopback: one at a time (serial), and as the gateway
// runs it (pipeline: 16 goroutines add for 4 accounts, 2 pushers per
// account claim up to 64 and ack each); ns/op is the wall time per
// delivery.
//
//	cd examples && go test -run='^$' -bench=Lifecycle -benchtime=2s ./gateway/deliveries/jsdeliveries/
func BenchmarkLifecycle(b *testing.B) {
	for _, setup := range jskit.Topologies {
		b.Run(setup.Name, func(b *testing.B) {
			nodes := setup.Nodes(b)
			var n atomic.Int64
			opts := func() jsdeliveries.Options {
				return jsdeliveries.Options{Stream: fmt.Sprint("BENCH", n.Add(1)), Replicas: setup.Replicas, Lease: time.Minute}
			}
			body := make([]byte, 160)
			b.Run("serial", func(b *testing.B) {
				q := open(b, opts(), nodes...)
				ctx := context.Background()
				b.ReportAllocs()
				var cs []deliveries.Claim
				for b.Loop() {
					if err := q.Add(ctx, &deliveries.Delivery{Account: "acct", Body: body}); err != nil {
						b.Fatal(err)
					}
					var err error
					if cs, err = q.Claim(ctx, "acct", cs[:0], 1); err != nil {
						b.Fatal(err)
					}
					for _, c := range cs {
						if err := c.Ack(); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
			b.Run("pipeline", func(b *testing.B) {
				q := open(b, opts(), nodes...)
				b.ReportAllocs()
				cpu := cputime.Process()
				pipeline(b, q, b.N, body)
				b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N)/1e3, "cpu-µs/msg")
			})
		})
	}
}

func pipeline(b *testing.B, q deliveries.Queue, n int, body []byte) {
	const accounts = 4
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var next, acked atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				d := &deliveries.Delivery{Account: fmt.Sprint("acct", i%accounts), Body: body}
				if err := q.Add(ctx, d); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	for a := range accounts * 2 {
		acct := fmt.Sprint("acct", a%accounts)
		wg.Go(func() {
			var cs []deliveries.Claim
			for acked.Load() < int64(n) {
				cctx, ccancel := context.WithTimeout(ctx, 100*time.Millisecond)
				var err error
				cs, err = q.Claim(cctx, acct, cs[:0], 64)
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
