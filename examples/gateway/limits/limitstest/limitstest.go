// Package limitstest is the conformance suite of the limits.Limits
// interface: the single-node limits here and the cluster-wide ones of the
// next issue run the same tests through a Harness. The rates are tested
// with a clock the suite moves, not with the time that passes.
package limitstest

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/limits"
)

// Harness makes the limits of one implementation for the suite.
type Harness struct {
	// New returns limits with no account set, whose rates read the time
	// from now.
	New func(t *testing.T, now func() time.Time) limits.Limits
}

// Clock is a clock the suite moves by hand.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, l limits.Limits, c *Clock)
	}{
		{"NoLimits", testNoLimits},
		{"Burst", testBurst},
		{"RateOverWindow", testRateOverWindow},
		{"SlowRate", testSlowRate},
		{"Reload", testReload},
		{"Accounts", testAccounts},
		{"Binds", testBinds},
		{"BindContext", testBindContext},
		{"ConcurrentAllow", testConcurrentAllow},
		{"ConcurrentBinds", testConcurrentBinds},
		{"ConcurrentSet", testConcurrentSet},
		{"ReserveNoLimits", testReserveNoLimits},
		{"ReserveSpacing", testReserveSpacing},
		{"ReserveRefusalTakesNothing", testReserveRefusalTakesNothing},
		{"ReserveAndAllow", testReserveAndAllow},
		{"ReserveZeroWait", testReserveZeroWait},
		{"ReserveRateOverWindow", testReserveRateOverWindow},
		{"ReserveSlowRate", testReserveSlowRate},
		{"ReserveReload", testReserveReload},
		{"ConcurrentReserve", testConcurrentReserve},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			tt.fn(t, h.New(t, c.Now), c)
		})
	}
}

// allowed counts the submissions of account allowed now, trying up to
// max.
func allowed(l limits.Limits, account string, max int) int {
	n := 0
	for range max {
		if l.Allow(account) {
			n++
		}
	}
	return n
}

func testNoLimits(t *testing.T, l limits.Limits, _ *Clock) {
	if n := allowed(l, "never-set", 10000); n != 10000 {
		t.Fatalf("an account never set: %d of 10000 allowed", n)
	}
	l.Set("zero", limits.Limit{})
	if n := allowed(l, "zero", 10000); n != 10000 {
		t.Fatalf("the zero Limit: %d of 10000 allowed", n)
	}
	var releases []func()
	for range 100 {
		release, err := l.Bind(context.Background(), "zero")
		if err != nil {
			t.Fatalf("Bind without MaxBinds: %v", err)
		}
		releases = append(releases, release)
	}
	if n := l.Binds("zero"); n != 100 {
		t.Fatalf("Binds = %d, want 100", n)
	}
	for _, r := range releases {
		r()
	}
	if n := l.Binds("zero"); n != 0 {
		t.Fatalf("Binds = %d after releasing all, want 0", n)
	}
}

func testBurst(t *testing.T, l limits.Limits, c *Clock) {
	l.Set("a", limits.Limit{Rate: 100, Burst: 20})
	if n := allowed(l, "a", 100); n != 20 {
		t.Fatalf("at once: %d allowed, want the burst of 20", n)
	}
	// An hour idle fills the burst, not more.
	c.Advance(time.Hour)
	if n := allowed(l, "a", 100); n != 20 {
		t.Fatalf("after an hour idle: %d allowed, want 20", n)
	}
	// No Burst: as many as the rate per second.
	l.Set("b", limits.Limit{Rate: 30})
	if n := allowed(l, "b", 100); n != 30 {
		t.Fatalf("default burst: %d allowed, want 30", n)
	}
}

// testRateOverWindow sends as fast as allowed through ten seconds of a
// clock moving by a millisecond: the rate holds at every step, and over
// the window.
func testRateOverWindow(t *testing.T, l limits.Limits, c *Clock) {
	const rate, burst = 50.0, 5
	l.Set("a", limits.Limit{Rate: rate, Burst: burst})
	start := c.Now()
	total := 0
	for step := 0; step <= 10000; step++ {
		total += allowed(l, "a", 3)
		elapsed := c.Now().Sub(start).Seconds()
		if limit := burst + rate*elapsed; float64(total) > limit+1e-9 {
			t.Fatalf("after %.3fs %d allowed, beyond the burst and the rate (%.1f)", elapsed, total, limit)
		}
		c.Advance(time.Millisecond)
	}
	if want := burst + int(rate*10); total < want-1 {
		t.Fatalf("over 10 s %d allowed, want %d", total, want)
	}
}

func testSlowRate(t *testing.T, l limits.Limits, c *Clock) {
	l.Set("slow", limits.Limit{Rate: 0.5, Burst: 1})
	total := 0
	for i := 0; i <= 100; i++ {
		total += allowed(l, "slow", 2)
		if i < 100 {
			c.Advance(100 * time.Millisecond)
		}
	}
	// The burst, then one per two seconds for 10 s (the last one may be
	// a rounding late).
	if total != 1+5 && total != 1+4 {
		t.Fatalf("over 10 s at 0.5/s: %d allowed, want 6", total)
	}
}

func testReload(t *testing.T, l limits.Limits, c *Clock) {
	l.Set("a", limits.Limit{Rate: 100, Burst: 50})
	if n := allowed(l, "a", 10); n != 10 {
		t.Fatalf("%d of 10 allowed", n)
	}
	// The same limits set again (a reload): the tokens used stay used.
	l.Set("a", limits.Limit{Rate: 100, Burst: 50})
	if n := allowed(l, "a", 100); n != 40 {
		t.Fatalf("after a reload %d allowed, want the 40 left", n)
	}
	// A lower rate applies from now.
	l.Set("a", limits.Limit{Rate: 10, Burst: 50})
	total := 0
	for range 200 {
		c.Advance(10 * time.Millisecond)
		total += allowed(l, "a", 5)
	}
	if total < 19 || total > 21 {
		t.Fatalf("2 s at 10/s: %d allowed, want 20", total)
	}
	// No rate: everything passes; a rate again starts with its burst.
	l.Set("a", limits.Limit{})
	if n := allowed(l, "a", 1000); n != 1000 {
		t.Fatalf("rate removed: %d of 1000 allowed", n)
	}
	l.Set("a", limits.Limit{Rate: 100, Burst: 7})
	if n := allowed(l, "a", 100); n != 7 {
		t.Fatalf("rate set again: %d allowed, want the burst of 7", n)
	}
}

func testAccounts(t *testing.T, l limits.Limits, c *Clock) {
	l.Set("a", limits.Limit{Rate: 10, Burst: 10, MaxBinds: 1})
	l.Set("b", limits.Limit{Rate: 10, Burst: 10, MaxBinds: 1})
	if n := allowed(l, "a", 100); n != 10 {
		t.Fatalf("a: %d allowed", n)
	}
	if n := allowed(l, "b", 100); n != 10 {
		t.Fatalf("b, after a used its own: %d allowed, want 10", n)
	}
	if _, err := l.Bind(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Bind(context.Background(), "b"); err != nil {
		t.Fatalf("b's bind after a's: %v", err)
	}
}

func testBinds(t *testing.T, l limits.Limits, _ *Clock) {
	ctx := context.Background()
	l.Set("a", limits.Limit{MaxBinds: 2})
	r1, err := l.Bind(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := l.Bind(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Bind(ctx, "a"); !errors.Is(err, limits.ErrTooManyBinds) {
		t.Fatalf("a third bind: %v, want ErrTooManyBinds", err)
	}
	if n := l.Binds("a"); n != 2 {
		t.Fatalf("Binds = %d, want 2", n)
	}
	r1()
	r1() // once, however often
	if n := l.Binds("a"); n != 1 {
		t.Fatalf("Binds = %d after releasing one twice, want 1", n)
	}
	r3, err := l.Bind(ctx, "a")
	if err != nil {
		t.Fatalf("a bind after a release: %v", err)
	}
	// A lower MaxBinds unbinds nobody, and refuses until below it.
	l.Set("a", limits.Limit{MaxBinds: 1})
	if n := l.Binds("a"); n != 2 {
		t.Fatalf("Binds = %d after lowering MaxBinds, want 2", n)
	}
	if _, err := l.Bind(ctx, "a"); !errors.Is(err, limits.ErrTooManyBinds) {
		t.Fatalf("a bind above the new MaxBinds: %v", err)
	}
	r2()
	if _, err := l.Bind(ctx, "a"); !errors.Is(err, limits.ErrTooManyBinds) {
		t.Fatalf("a bind at the new MaxBinds: %v", err)
	}
	r3()
	r4, err := l.Bind(ctx, "a")
	if err != nil {
		t.Fatalf("a bind below the new MaxBinds: %v", err)
	}
	r4()
	// MaxBinds removed: no limit.
	l.Set("a", limits.Limit{})
	for range 10 {
		if _, err := l.Bind(ctx, "a"); err != nil {
			t.Fatalf("a bind without MaxBinds: %v", err)
		}
	}
}

func testBindContext(t *testing.T, l limits.Limits, _ *Clock) {
	l.Set("a", limits.Limit{MaxBinds: 5})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Bind(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Bind with an ended context: %v", err)
	}
	if n := l.Binds("a"); n != 0 {
		t.Fatalf("Binds = %d after a failed Bind, want 0", n)
	}
}

func testConcurrentAllow(t *testing.T, l limits.Limits, _ *Clock) {
	l.Set("a", limits.Limit{Rate: 1, Burst: 100})
	var n atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { n.Add(int64(allowed(l, "a", 500))) })
	}
	wg.Wait()
	if n.Load() != 100 {
		t.Fatalf("8 goroutines at once: %d allowed, want the burst of 100", n.Load())
	}
}

func testConcurrentBinds(t *testing.T, l limits.Limits, _ *Clock) {
	l.Set("a", limits.Limit{MaxBinds: 5})
	var mu sync.Mutex
	var releases []func()
	var refused atomic.Int64
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			r, err := l.Bind(context.Background(), "a")
			switch {
			case errors.Is(err, limits.ErrTooManyBinds):
				refused.Add(1)
			case err != nil:
				t.Errorf("Bind: %v", err)
			default:
				mu.Lock()
				releases = append(releases, r)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(releases) != 5 || refused.Load() != 35 {
		t.Fatalf("40 binds at once with MaxBinds 5: %d taken, %d refused", len(releases), refused.Load())
	}
	for _, r := range releases {
		wg.Go(func() {
			r()
			r()
		})
	}
	wg.Wait()
	if n := l.Binds("a"); n != 0 {
		t.Fatalf("Binds = %d after releasing all, want 0", n)
	}
}

// testConcurrentSet changes limits while submissions and binds of many
// accounts come: nothing races, and the last limits hold.
func testConcurrentSet(t *testing.T, l limits.Limits, c *Clock) {
	accounts := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var wg sync.WaitGroup
	for i, acct := range accounts {
		wg.Go(func() {
			for range 2000 {
				l.Allow(acct)
				if r, err := l.Bind(context.Background(), acct); err == nil {
					r()
				}
			}
		})
		wg.Go(func() {
			for k := range 500 {
				l.Set(acct, limits.Limit{Rate: float64(10 + (i+k)%50), Burst: 1 + k%10, MaxBinds: k % 3})
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			c.Advance(time.Millisecond)
		}
	})
	wg.Wait()
	for _, acct := range accounts {
		l.Set(acct, limits.Limit{Rate: math.SmallestNonzeroFloat64, Burst: 3, MaxBinds: 1})
		if n := l.Binds(acct); n != 0 {
			t.Errorf("%s: Binds = %d with nobody bound", acct, n)
		}
	}
	c.Advance(time.Hour)
	for _, acct := range accounts {
		if n := allowed(l, acct, 10); n > 3 {
			t.Errorf("%s: %d allowed with a burst of 3", acct, n)
		}
	}
}

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
