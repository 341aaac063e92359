package natstest

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The memory benchmarks of the JetStream backends fill buckets of a server
// in the test's process and read what the entries cost: Fill writes them,
// Measure reads the streams' bytes and the heap, hot and once the server
// has dropped its block caches.

// Fill calls put(i) for every i from 1 to n, from 64 goroutines at once,
// and fails tb with the first error.
func Fill(tb testing.TB, n int64, put func(i int64) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				if err := put(i); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if tb.Failed() {
		tb.FailNow()
	}
}

// Footprint is what a filled set of streams costs.
type Footprint struct {
	Msgs  uint64 // messages in the streams
	Bytes uint64 // their bytes on disk
	Hot   uint64 // heap grown since Heap was read before the fill, right after it
	Cold  uint64 // the same once the server's block caches have expired
}

// Measure reads the streams' messages and bytes (logging each stream) and
// the heap grown since before (a Heap reading taken before the fill): at
// once, and after the 10 s the file store keeps its block caches of an idle
// stream.
func Measure(tb testing.TB, nc *nats.Conn, before uint64, streams ...string) Footprint {
	tb.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	var f Footprint
	for _, name := range streams {
		str, err := js.Stream(context.Background(), name)
		if err != nil {
			tb.Fatal(err)
		}
		st := str.CachedInfo().State
		tb.Logf("%s: %d messages, %d bytes on disk, %d subjects", name, st.Msgs, st.Bytes, st.NumSubjects)
		f.Msgs += st.Msgs
		f.Bytes += st.Bytes
	}
	hot := Heap()
	time.Sleep(12 * time.Second) // the file store drops its block caches after 10 s idle
	cold := Heap()
	tb.Logf("heap: %d MB before, %d MB after writing, %d MB once idle", before>>20, hot>>20, cold>>20)
	f.Hot, f.Cold = grown(hot, before), grown(cold, before)
	return f
}

// grown is now-before, or 0 when the heap shrank.
func grown(now, before uint64) uint64 {
	if now < before {
		return 0
	}
	return now - before
}

// Heap returns the heap in use after a collection.
func Heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
