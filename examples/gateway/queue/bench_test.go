package queue_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/esmsafrica/smpp/examples/gateway/internal/cputime"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// The gateway's path through the queue, per message: Enqueue by the ESME
// side, Claim and Ack by the dispatchers. Today's gateway passes the
// message on a buffered channel (the baseline, Channel); its retries go
// through a delay heap, as naks do here.

// benchDB opens a DB on disk with the settings of the gateway's store
// (the defaults of gateway.example.yaml: sync interval 500 µs, 64 MiB
// memtable).
func benchDB(b *testing.B) *pebble.DB {
	cache := pebble.NewCache(64 << 20)
	defer cache.Unref()
	db, err := pebble.Open(b.TempDir(), &pebble.Options{Cache: cache, MemTableSize: 64 << 20, Logger: suitekit.Quiet{},
		WALMinSyncInterval: func() time.Duration { return 500 * time.Microsecond }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

type benchQueue struct {
	name string
	open func(b *testing.B) queue.Queue
}

var benchQueues = []benchQueue{
	{"Memory", func(*testing.B) queue.Queue { return queue.NewMemory(queue.Options{}) }},
	// A DB of its own: Enqueue waits for its sync (group commit).
	{"PebbleSync", func(b *testing.B) queue.Queue {
		q, err := queue.OpenPebble(benchDB(b), queue.PebbleOptions{})
		if err != nil {
			b.Fatal(err)
		}
		return q
	}},
	// The DB shared with the state, whose synced record write follows:
	// what the ticket adds to a message's path.
	{"PebbleNoSync", func(b *testing.B) queue.Queue {
		q, err := queue.OpenPebble(benchDB(b), queue.PebbleOptions{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		return q
	}},
}

// BenchmarkClaimAck runs messages one at a time through Enqueue, Claim and
// Ack on one goroutine: the CPU and allocations per message, no waiting.
func BenchmarkClaimAck(b *testing.B) {
	b.Run("Channel", func(b *testing.B) {
		type message struct{ id string }
		ch := make(chan *message, 200000)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			ch <- &message{id: "0123456789abcdef"}
			<-ch
		}
	})
	for _, bq := range benchQueues {
		if bq.name == "PebbleSync" {
			continue // one sync per message: the disk's latency, not CPU
		}
		b.Run(bq.name, func(b *testing.B) {
			q := bq.open(b)
			defer q.Close()
			ctx := context.Background()
			var cs []queue.Claim
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := q.Enqueue(ctx, queue.Ticket{ID: "0123456789abcdef", Rev: 1}); err != nil {
					b.Fatal(err)
				}
				var err error
				if cs, err = q.Claim(ctx, cs[:0], 1); err != nil {
					b.Fatal(err)
				}
				if err := cs[0].Ack(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPipeline runs the gateway's shape: 64 goroutines enqueue (the
// ESME sessions' handlers), 4 dispatchers claim up to 64 at a time and ack
// each, and reports messages/s, the process's CPU time per message
// (cpu-µs/op, Pebble's background work included) and the allocations.
func BenchmarkPipeline(b *testing.B) {
	const producers, dispatchers = 64, 4
	b.Run("Channel", func(b *testing.B) {
		type message struct{ id string }
		ch := make(chan *message, 200000)
		pipeline(b, producers, dispatchers,
			func(i int) error { ch <- &message{id: fmt.Sprintf("%016x", i)}; return nil },
			func(ctx context.Context, done func(int)) error {
				for {
					select {
					case <-ch:
						done(1)
					case <-ctx.Done():
						return nil
					}
				}
			})
	})
	for _, bq := range benchQueues {
		b.Run(bq.name, func(b *testing.B) {
			q := bq.open(b)
			defer q.Close()
			pipeline(b, producers, dispatchers,
				func(i int) error {
					return q.Enqueue(context.Background(), queue.Ticket{ID: fmt.Sprintf("%016x", i), Rev: 1})
				},
				func(ctx context.Context, done func(int)) error {
					var cs []queue.Claim
					for {
						var err error
						if cs, err = q.Claim(ctx, cs[:0], 64); err != nil {
							if ctx.Err() != nil {
								return nil
							}
							return err
						}
						for _, c := range cs {
							if err := c.Ack(); err != nil {
								return err
							}
						}
						done(len(cs))
					}
				})
		})
	}
}

// pipeline runs b.N enqueues on producers goroutines and consume on
// consumers goroutines until every message was consumed.
func pipeline(b *testing.B, producers, consumers int, enqueue func(i int) error, consume func(ctx context.Context, done func(int)) error) {
	b.ReportAllocs()
	var next, consumed atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := int64(b.N)
	all := make(chan struct{})
	done := func(k int) {
		if consumed.Add(int64(k)) == n {
			close(all)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, producers+consumers)
	b.ResetTimer()
	start, cpu := time.Now(), cputime.Process()
	for range consumers {
		wg.Go(func() {
			if err := consume(ctx, done); err != nil {
				errs <- err
			}
		})
	}
	for range producers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= n {
					return
				}
				if err := enqueue(int(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	select {
	case <-all:
	case err := <-errs:
		b.Fatal(err)
	}
	elapsed, cpu := time.Since(start), cputime.Process()-cpu
	b.StopTimer()
	cancel()
	wg.Wait()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
}

// BenchmarkAcceptPath measures what the queue adds to the write that
// accepts a message on one node: the record alone in a batch (RecordOnly),
// against the record and the staged ticket in the same batch, then Claim
// and Ack (RecordAndTicket). Not synced: the one sync they share costs the
// same either way.
func BenchmarkAcceptPath(b *testing.B) {
	record := make([]byte, 200)
	b.Run("RecordOnly", func(b *testing.B) {
		db := benchDB(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			batch := db.NewBatch()
			batch.Set(fmt.Appendf(nil, "m%016x", i), record, nil)
			if err := batch.Commit(pebble.NoSync); err != nil {
				b.Fatal(err)
			}
			batch.Close()
		}
	})
	b.Run("RecordAndTicket", func(b *testing.B) {
		db := benchDB(b)
		q, err := queue.OpenPebble(db, queue.PebbleOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		ctx := context.Background()
		var cs []queue.Claim
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			id := fmt.Sprintf("%016x", i)
			s, err := q.Stage(queue.Ticket{ID: id, Rev: 1})
			if err != nil {
				b.Fatal(err)
			}
			batch := db.NewBatch()
			batch.Set(fmt.Appendf(nil, "m%s", id), record, nil)
			batch.Set(s.AppendKey(nil), s.AppendValue(nil), nil)
			err = batch.Commit(pebble.NoSync)
			batch.Close()
			s.Done(err)
			if err != nil {
				b.Fatal(err)
			}
			if cs, err = q.Claim(ctx, cs[:0], 1); err != nil {
				b.Fatal(err)
			}
			if err := cs[0].Ack(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
