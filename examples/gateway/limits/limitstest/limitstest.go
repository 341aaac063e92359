// Package limitstest is the conformance suite of the limits.Limits
// interface: the single-node limits here and the cluster-wide ones of the
// next issue run the same tests through a Harness. The rates are tested
// with a clock the suite moves, not with the time that passes.
package limitstest

import (
	"context"
	"sync"
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
