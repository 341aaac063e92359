package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/internal/cputime"
)

// runConcurrent runs fn(i) for i in [0, b.N) on workers goroutines and
// reports the rate as name/s, and the process CPU time per operation
// (cpu-µs/op, including Pebble's background work), which unlike the rate
// does not depend on what else the machine is running.
func runConcurrent(b *testing.B, workers int, name string, fn func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start, cpu := time.Now(), cputime.Process()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := fn(i); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cputime.Process()-cpu
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), name+"/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

func benchStores(b *testing.B, fn func(b *testing.B, s Store)) {
	b.Run("Pebble", func(b *testing.B) {
		// The gateway's defaults (see its configuration).
		s, err := OpenPebble(b.TempDir(), PebbleOptions{SyncInterval: 500 * time.Microsecond, MemTableSize: 64 << 20})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		fn(b, s)
	})
	b.Run("Memory", func(b *testing.B) {
		s := NewMemory()
		defer s.Close()
		fn(b, s)
	})
}

// BenchmarkAccept measures synced Accepts, one at a time (about 1/fsync
// latency) and from 64 goroutines (group commit).
func BenchmarkAccept(b *testing.B) {
	body := make([]byte, 140)
	var run atomic.Int64
	for _, workers := range []int{1, 64} {
		b.Run(fmt.Sprintf("C%d", workers), func(b *testing.B) {
			benchStores(b, func(b *testing.B, s Store) {
				r := run.Add(1)
				runConcurrent(b, workers, "accepts", func(i int) error {
					return s.Accept(&Message{ID: fmt.Sprintf("%d-%010d", r, i), Account: "acct",
						Command: 4, Body: body, Source: "src", Dest: "dst", State: Queued, Created: time.Now()})
				})
			})
		})
	}
}

// BenchmarkLifecycle runs the gateway's full write sequence for a message
// (see lifecycle) from 64 goroutines.
func BenchmarkLifecycle(b *testing.B) {
	var run atomic.Int64
	benchStores(b, func(b *testing.B, s Store) {
		r := run.Add(1)
		runConcurrent(b, 64, "lifecycles", func(i int) error {
			return lifecycle(s, fmt.Sprintf("%d-%010d", r, i), fmt.Sprintf("acct%d", i%16))
		})
	})
}
