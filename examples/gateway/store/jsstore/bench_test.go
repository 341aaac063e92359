package jsstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/esmsafrica/smpp/examples/gateway/internal/cputime"
	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/examples/gateway/store/jsstore"
)

// nopQueue takes tickets and keeps none: the benchmarks measure the
// store's own writes and memory.
type nopQueue struct{}

func (nopQueue) Enqueue(context.Context, queue.Ticket) error { return nil }
func (nopQueue) Claim(ctx context.Context, dst []queue.Claim, _ int) ([]queue.Claim, error) {
	<-ctx.Done()
	return dst, ctx.Err()
}
func (nopQueue) Len() (int, error) { return 0, nil }
func (nopQueue) Close() error      { return nil }

// benchMessage is a message as the gateway stores it: a 160-byte body.
func benchMessage(id string) *store.Message {
	now := time.Now()
	return &store.Message{ID: id, Account: "acct", Command: 4, Body: make([]byte, 160), Source: "12345",
		Dest: "+254700000000", Registered: 1, State: store.Queued, Created: now, Expires: now.Add(48 * time.Hour)}
}

// lifecycle is what the benchmark counts as one operation: Accept, Get,
// Update (a claimer's Queued -> Inflight).
func lifecycle(s store.Store, id string) error {
	if err := s.Accept(benchMessage(id)); err != nil {
		return err
	}
	m, err := s.Get(id)
	if err != nil {
		return err
	}
	m.State, m.Route, m.Attempts = store.Inflight, "r", 1
	return s.Update(m)
}

// BenchmarkLifecycle measures Accept+Get+Update of a message on one server
// (R1) and on three (R3), from one goroutine (the latency of the three
// round trips) and from 64 (the throughput), and the CPU the process (the
// servers in it included) spends per message, which holds better than the
// rates on a machine that others share.
//
//	cd examples && go test -run='^$' -bench=Lifecycle -benchtime=2000x ./gateway/store/jsstore/
func BenchmarkLifecycle(b *testing.B) {
	for _, replicas := range []int{1, 3} {
		b.Run(fmt.Sprintf("R%d", replicas), func(b *testing.B) {
			var nc *nats.Conn
			if replicas == 1 {
				nc = natstest.Connect(b, natstest.Server(b))
			} else {
				nc = natstest.Connect(b, natstest.Cluster(b, 3)[0])
			}
			for _, workers := range []int{1, 64} {
				b.Run(fmt.Sprintf("workers%d", workers), func(b *testing.B) {
					s, err := jsstore.Open(context.Background(), jsstore.Options{Conn: nc, Replicas: replicas,
						Bucket: fmt.Sprintf("b%d", buckets.Add(1)), Queue: nopQueue{}})
					if err != nil {
						b.Fatal(err)
					}
					defer s.Close()
					var next atomic.Int64
					b.ResetTimer()
					cpu := cputime.Process()
					var wg sync.WaitGroup
					errs := make(chan error, workers)
					for range workers {
						wg.Go(func() {
							for {
								i := next.Add(1)
								if i > int64(b.N) {
									return
								}
								if err := lifecycle(s, fmt.Sprintf("%016x", i)); err != nil {
									errs <- err
									return
								}
							}
						})
					}
					wg.Wait()
					b.StopTimer()
					close(errs)
					for err := range errs {
						b.Fatal(err)
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
					b.ReportMetric(float64((cputime.Process()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
				})
			}
		})
	}
}

// fullLifecycle is every write of a message's life in the gateway: Accept,
// Get, Update to Inflight, MapUpstream to Enroute, UpdateWithDelivery to
// Delivered with its receipt.
func fullLifecycle(s store.Store, id string) error {
	if err := lifecycle(s, id); err != nil {
		return err
	}
	m, err := s.Get(id)
	if err != nil {
		return err
	}
	m.State, m.UpstreamID = store.Enroute, "UP"+id
	if err := s.MapUpstream(m, "up"+id); err != nil {
		return err
	}
	m.State = store.Delivered
	return s.UpdateWithDelivery(m, &store.Delivery{Account: "acct", Body: make([]byte, 150), Created: time.Now()})
}

// BenchmarkFullLifecycle measures fullLifecycle from 64 writers on one
// server and on three: the state's part of the gateway's throughput with
// receipts (the queue's and the deliveries' are theirs: here in memory).
//
//	cd examples && go test -run='^$' -bench=FullLifecycle -benchtime=4000x ./gateway/store/jsstore/
func BenchmarkFullLifecycle(b *testing.B) {
	for _, replicas := range []int{1, 3} {
		b.Run(fmt.Sprintf("R%d", replicas), func(b *testing.B) {
			var nc *nats.Conn
			if replicas == 1 {
				nc = natstest.Connect(b, natstest.Server(b))
			} else {
				nc = natstest.Connect(b, natstest.Cluster(b, 3)[0])
			}
			s, err := jsstore.Open(context.Background(), jsstore.Options{Conn: nc, Replicas: replicas,
				Bucket: fmt.Sprintf("f%d", buckets.Add(1)), Queue: nopQueue{}})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var next atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			b.ResetTimer()
			cpu := cputime.Process()
			for range 64 {
				wg.Go(func() {
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						if err := fullLifecycle(s, fmt.Sprintf("%016x", i)); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64((cputime.Process()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
		})
	}
}

// BenchmarkMemory writes 100,000 messages (Accept, then MapUpstream: a
// record and an index entry each) on one server in this process, and
// reports the heap they hold, the server's and the client's together,
// once the server's block caches have expired, per million messages.
//
//	cd examples && go test -run='^$' -bench=Memory -benchtime=1x ./gateway/store/jsstore/
func BenchmarkMemory(b *testing.B) {
	const n = 100_000
	nc := natstest.Connect(b, natstest.Server(b))
	// No cache: the figure is the buckets' (the cache is bounded anyway).
	s, err := jsstore.Open(context.Background(), jsstore.Options{Conn: nc, Bucket: "mem", Queue: nopQueue{}, Cache: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	before := natstest.Heap()
	for b.Loop() {
		natstest.Fill(b, n, func(i int64) error {
			id := fmt.Sprintf("%016x", i)
			m := benchMessage(id)
			if err := s.Accept(m); err != nil {
				return err
			}
			m.State, m.Route, m.UpstreamID = store.Enroute, "r", "UP"+id
			return s.MapUpstream(m, "up"+id)
		})
	}
	f := natstest.Measure(b, nc, before, "KV_mem_records", "KV_mem_upstream")
	start := time.Now()
	if k, err := s.Purge(time.Now()); err != nil || k != 0 {
		b.Fatalf("Purge of messages none final = %d, %v", k, err)
	}
	b.Logf("Purge read %d records in %v", n, time.Since(start))
	b.ReportMetric(float64(f.Cold)/n*1e6/(1<<20), "MB-heap/1M-msgs")
	b.ReportMetric(float64(f.Hot)/n*1e6/(1<<20), "MB-heap-hot/1M-msgs")
	b.ReportMetric(float64(f.Bytes)/n*1e6/(1<<20), "MB-disk/1M-msgs")
}
