package status

// The latency histograms: cheap enough for the submit path (one atomic
// add, no allocation, no lock), fine enough for percentiles (four buckets
// per power of two: a percentile is within about 12 % of the true value).
// The sampler turns the difference between two reads into the
// percentiles of the interval.

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// latencySub is the number of buckets per power of two (a power of two
// itself, latencySubBits bits of the value below its leading one).
const (
	latencySubBits = 2
	latencySub     = 1 << latencySubBits
	latencyBuckets = 65 * latencySub
)

// Latency counts durations in logarithmic buckets of nanoseconds, for the
// percentiles of each sample. The zero value is ready; Observe may be
// called concurrently with itself and with the sampler's reads.
type Latency struct {
	b [latencyBuckets]atomic.Uint64
}

// latencyBucket returns the bucket of a duration of ns nanoseconds.
func latencyBucket(ns uint64) int {
	e := bits.Len64(ns) // ns < 1<<e
	if e <= latencySubBits {
		return int(ns) // 0..3: exact
	}
	sub := (ns >> (e - 1 - latencySubBits)) & (latencySub - 1)
	return e*latencySub + int(sub)
}

// latencyBounds returns the range [lo, hi) of nanoseconds of bucket i.
func latencyBounds(i int) (lo, hi float64) {
	e, sub := i/latencySub, i%latencySub
	if e <= latencySubBits {
		return float64(i), float64(i + 1)
	}
	shift := uint(e - 1 - latencySubBits)
	l := uint64(latencySub+sub) << shift
	return float64(l), float64(l + 1<<shift)
}

// Observe counts d (a negative d as 0). It is one atomic add: it neither
// allocates nor locks.
func (h *Latency) Observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.b[latencyBucket(uint64(d))].Add(1)
}

// latencyCounts is a copy of a histogram's buckets.
type latencyCounts [latencyBuckets]uint64

// snapshot copies the buckets into c. The copy is not atomic as a whole:
// an observation made meanwhile may be in it or not, which the next
// interval's difference makes up for.
func (h *Latency) snapshot(c *latencyCounts) {
	for i := range h.b {
		c[i] = h.b[i].Load()
	}
}

// latencyPercentiles returns the q-quantiles (0 < q ≤ 1), in milliseconds,
// of the observations counted in cur and not in prev, interpolated
// linearly within their bucket, and the number of those observations. With
// none, the quantiles are 0.
func latencyPercentiles(cur, prev *latencyCounts, qs ...float64) (ms []float64, n uint64) {
	for i := range cur {
		n += cur[i] - prev[i]
	}
	ms = make([]float64, len(qs))
	if n == 0 {
		return ms, 0
	}
	for k, q := range qs {
		rank := q * float64(n) // the observation wanted, counted from 1
		var seen float64
		for i := range cur {
			c := float64(cur[i] - prev[i])
			if c == 0 || seen+c < rank {
				seen += c
				continue
			}
			lo, hi := latencyBounds(i)
			ms[k] = (lo + (hi-lo)*(rank-seen)/c) / 1e6
			break
		}
	}
	return ms, n
}
