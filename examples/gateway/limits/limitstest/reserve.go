package limitstest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/limits"
)

// Shaping: Reserve holds a submission over the rate until its token comes,
// up to a bound, and refuses beyond it.

// near reports whether d is within a millisecond of want (the rates are
// floating point).
func near(d, want time.Duration) bool {
	return d >= want-time.Millisecond && d <= want+time.Millisecond
}

// reserved reserves up to max submissions of account now and returns the
// waits of those reserved, in order.
func reserved(l limits.Limits, account string, maxWait time.Duration, max int) []time.Duration {
	var waits []time.Duration
	for range max {
		if d, ok := l.Reserve(account, maxWait); ok {
			waits = append(waits, d)
		}
	}
	return waits
}

func testReserveNoLimits(t *testing.T, l limits.Limits, _ *Clock) {
	l.Set("zero", limits.Limit{MaxBinds: 3})
	for _, acct := range []string{"never-set", "zero"} {
		for _, maxWait := range []time.Duration{0, time.Millisecond, time.Second} {
			for range 1000 {
				if d, ok := l.Reserve(acct, maxWait); !ok || d != 0 {
					t.Fatalf("%s, maxWait %v: Reserve = %v, %v; want 0, true", acct, maxWait, d, ok)
				}
			}
		}
	}
}

// testReserveSpacing: the burst goes at once, then one per 1/Rate up to
// the bound, then refusals; the held count is Rate × maxWait.
func testReserveSpacing(t *testing.T, l limits.Limits, _ *Clock) {
	l.Set("a", limits.Limit{Rate: 100, Burst: 10})
	const maxWait = 255 * time.Millisecond
	waits := reserved(l, "a", maxWait, 200)
	if len(waits) != 10+25 {
		t.Fatalf("200 at once at 100/s, burst 10, bound %v: %d reserved, want 35 (the burst and 25 held)", maxWait, len(waits))
	}
	for i, d := range waits {
		want := time.Duration(0)
		if i >= 10 {
			want = time.Duration(i-9) * 10 * time.Millisecond
		}
		if !near(d, want) {
			t.Fatalf("reservation %d waits %v, want %v", i, d, want)
		}
	}
}

// testReserveRefusalTakesNothing: refusals leave the bucket as it was, so
// that a flood beyond the bound does not push the next ones further.
func testReserveRefusalTakesNothing(t *testing.T, l limits.Limits, c *Clock) {
	l.Set("a", limits.Limit{Rate: 100, Burst: 10})
	const maxWait = 105 * time.Millisecond
	if n := len(reserved(l, "a", maxWait, 20)); n != 20 {
		t.Fatalf("%d of 20 reserved, want the burst and 10 held", n)
	}
	for range 10000 {
		if d, ok := l.Reserve("a", maxWait); ok {
			t.Fatalf("reserved beyond the bound, waiting %v", d)
		}
	}
	// 50 ms later, 5 more fit within the bound, the last one at its edge.
	c.Advance(50 * time.Millisecond)
	waits := reserved(l, "a", maxWait, 100)
	if len(waits) != 5 {
		t.Fatalf("50 ms after 10000 refusals: %d reserved, want 5: %v", len(waits), waits)
	}
	if !near(waits[4], 100*time.Millisecond) {
		t.Fatalf("the last one waits %v, want 100ms: refusals took tokens", waits[4])
	}
}

// testReserveAndAllow: submissions held are counted: Allow refuses while
// they wait, and passes once their tokens are used and a new one came.
func testReserveAndAllow(t *testing.T, l limits.Limits, c *Clock) {
	l.Set("a", limits.Limit{Rate: 100, Burst: 10})
	waits := reserved(l, "a", time.Second, 30)
	if len(waits) != 30 {
		t.Fatalf("%d of 30 reserved", len(waits))
	}
	if l.Allow("a") {
		t.Fatal("Allow with 20 reservations waiting")
	}
	c.Advance(waits[29])
	if l.Allow("a") {
		t.Fatal("Allow as the last reservation goes")
	}
	c.Advance(10*time.Millisecond + time.Microsecond)
	if !l.Allow("a") {
		t.Fatal("Allow one token after the last reservation went: refused")
	}
	if l.Allow("a") {
		t.Fatal("two allowed one token after the last reservation")
	}
}

// testReserveZeroWait: a bound of zero is Allow.
func testReserveZeroWait(t *testing.T, l limits.Limits, c *Clock) {
	l.Set("a", limits.Limit{Rate: 100, Burst: 10})
	waits := reserved(l, "a", 0, 100)
	if len(waits) != 10 {
		t.Fatalf("maxWait 0: %d reserved, want the burst of 10", len(waits))
	}
	for _, d := range waits {
		if d != 0 {
			t.Fatalf("maxWait 0: a wait of %v", d)
		}
	}
	c.Advance(20 * time.Millisecond)
	if n := len(reserved(l, "a", -time.Second, 100)); n != 2 {
		t.Fatalf("a negative maxWait 20 ms later: %d reserved, want 2", n)
	}
}

// testReserveRateOverWindow reserves as much as the bound allows through ten
// seconds of a clock moving by a millisecond: the submissions going on by
// any time never exceed the burst and the rate since the start, and over
// the window the account gets its rate.
func testReserveRateOverWindow(t *testing.T, l limits.Limits, c *Clock) {
	const rate, burst, maxWait = 50.0, 5, 200 * time.Millisecond
	l.Set("a", limits.Limit{Rate: rate, Burst: burst})
	start := c.Now()
	var goes []time.Duration // when each reserved submission goes on
	for step := 0; step <= 10000; step++ {
		now := c.Now().Sub(start)
		for _, d := range reserved(l, "a", maxWait, 3) {
			if d > maxWait {
				t.Fatalf("a wait of %v beyond the bound %v", d, maxWait)
			}
			goes = append(goes, now+d)
		}
		c.Advance(time.Millisecond)
	}
	slices.Sort(goes)
	for i, at := range goes {
		if limit := burst + rate*at.Seconds(); float64(i+1) > limit+1e-6 {
			t.Fatalf("%d gone on by %v: beyond the burst and the rate (%.1f)", i+1, at, limit)
		}
	}
	if want := burst + int(rate*(10+maxWait.Seconds())); len(goes) < want-1 || len(goes) > want+1 {
		t.Fatalf("over 10 s with a bound of %v: %d reserved, want %d", maxWait, len(goes), want)
	}
}

func testReserveSlowRate(t *testing.T, l limits.Limits, _ *Clock) {
	l.Set("slow", limits.Limit{Rate: 0.5, Burst: 1})
	waits := reserved(l, "slow", 5*time.Second, 10)
	if len(waits) != 3 || waits[0] != 0 || !near(waits[1], 2*time.Second) || !near(waits[2], 4*time.Second) {
		t.Fatalf("at 0.5/s, burst 1, bound 5 s: waits %v, want [0 2s 4s]", waits)
	}
}

// testReserveReload: a reload keeps the submissions held; a rate removed
// lets everything through; a higher rate lets more through at once.
func testReserveReload(t *testing.T, l limits.Limits, _ *Clock) {
	l.Set("a", limits.Limit{Rate: 100, Burst: 10})
	const maxWait = 255 * time.Millisecond
	if n := len(reserved(l, "a", maxWait, 100)); n != 35 {
		t.Fatalf("%d reserved, want 35", n)
	}
	l.Set("a", limits.Limit{Rate: 100, Burst: 10})
	if n := len(reserved(l, "a", maxWait, 100)); n != 0 {
		t.Fatalf("the same limits set again: %d more reserved, want none", n)
	}
	l.Set("a", limits.Limit{})
	for range 1000 {
		if d, ok := l.Reserve("a", maxWait); !ok || d != 0 {
			t.Fatalf("rate removed: Reserve = %v, %v", d, ok)
		}
	}
}

// testConcurrentReserve: many goroutines at once get exactly the burst and
// Rate × maxWait, and each wait once (the spacing holds whoever asks).
func testConcurrentReserve(t *testing.T, l limits.Limits, _ *Clock) {
	l.Set("a", limits.Limit{Rate: 100, Burst: 10})
	const maxWait = 1005 * time.Millisecond
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			w := reserved(l, "a", maxWait, 200)
			mu.Lock()
			all = append(all, w...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(all) != 110 {
		t.Fatalf("8×200 at once at 100/s, burst 10, bound %v: %d reserved, want 110", maxWait, len(all))
	}
	slices.Sort(all)
	for i, d := range all {
		want := time.Duration(0)
		if i >= 10 {
			want = time.Duration(i-9) * 10 * time.Millisecond
		}
		if !near(d, want) {
			t.Fatalf("the %dth wait is %v, want %v", i, d, want)
		}
	}
}
