package status

import (
	"testing"
	"time"
)

func TestLatencyPercentiles(t *testing.T) {
	var h Latency
	var zero, cur latencyCounts
	// 1..1000 µs, one each: p50 is 500 µs, p99 990 µs.
	for i := 1; i <= 1000; i++ {
		h.Observe(time.Duration(i) * time.Microsecond)
	}
	h.snapshot(&cur)
	ps, n := latencyPercentiles(&cur, &zero, 0.5, 0.99, 1)
	if n != 1000 {
		t.Fatalf("%d observations, want 1000", n)
	}
	for i, want := range []float64{0.5, 0.99, 1.0} {
		if ps[i] < want*0.85 || ps[i] > want*1.15 {
			t.Errorf("percentile %d: %.3f ms, want %.3f ms ± 15 %%", i, ps[i], want)
		}
	}
	// Only what came after the first snapshot counts.
	prev := cur
	for i := 0; i < 10; i++ {
		h.Observe(50 * time.Millisecond)
	}
	h.snapshot(&cur)
	ps, n = latencyPercentiles(&cur, &prev, 0.5)
	if n != 10 || ps[0] < 42 || ps[0] > 58 {
		t.Errorf("after 10 × 50 ms: p50 %.2f ms of %d, want about 50 ms of 10", ps[0], n)
	}
	if ps, n := latencyPercentiles(&cur, &cur, 0.5); n != 0 || ps[0] != 0 {
		t.Errorf("nothing new: %v of %d, want 0 of 0", ps, n)
	}
	if i := latencyBucket(1<<64 - 1); i >= latencyBuckets {
		t.Errorf("the longest duration in bucket %d of %d", i, latencyBuckets)
	}
	// Every bucket's bounds contain the values it counts.
	for _, ns := range []uint64{0, 1, 3, 4, 7, 8, 1000, 1023, 1024, 123456789, 1 << 40} {
		i := latencyBucket(ns)
		lo, hi := latencyBounds(i)
		if float64(ns) < lo || float64(ns) >= hi {
			t.Errorf("%d ns in bucket %d [%g, %g)", ns, i, lo, hi)
		}
	}
	// A negative duration counts as 0.
	var neg Latency
	neg.Observe(-time.Second)
	neg.snapshot(&cur)
	if cur[0] != 1 {
		t.Errorf("a negative duration not in bucket 0: %v", cur[:4])
	}
}

// TestLatencyObserveNoAllocs: Observe, on the gateway's submit path,
// allocates nothing.
func TestLatencyObserveNoAllocs(t *testing.T) {
	var h Latency
	if n := testing.AllocsPerRun(1000, func() { h.Observe(3 * time.Millisecond) }); n != 0 {
		t.Errorf("Observe: %v allocations, want 0", n)
	}
}
