package limitstest

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/limits"
)

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
