package limits_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/limits"
	"github.com/esmsafrica/smpp/examples/gateway/limits/limitstest"
)

func TestLocalConformance(t *testing.T) {
	limitstest.Run(t, limitstest.Harness{
		New: func(t *testing.T, now func() time.Time) limits.Limits {
			return limits.NewLocal(limits.LocalOptions{Now: now})
		},
	})
}

// TestLocalAllowAllocs: Allow is on every submission's path.
func TestLocalAllowAllocs(t *testing.T) {
	l := limits.NewLocal(limits.LocalOptions{})
	l.Set("a", limits.Limit{Rate: 1e9, Burst: 1e6})
	for name, acct := range map[string]string{"limited": "a", "unknown": "b"} {
		if n := testing.AllocsPerRun(1000, func() { l.Allow(acct) }); n != 0 {
			t.Errorf("Allow of an account %s: %v allocations", name, n)
		}
	}
}

// BenchmarkAllow measures Allow from every core at once, on one account and
// on 1,000 (the accounts' map read without a lock).
func BenchmarkAllow(b *testing.B) {
	for _, accounts := range []int{1, 1000} {
		b.Run(fmt.Sprintf("Accounts%d", accounts), func(b *testing.B) {
			l := limits.NewLocal(limits.LocalOptions{})
			names := make([]string, accounts)
			for i := range names {
				names[i] = fmt.Sprint("acct", i)
				l.Set(names[i], limits.Limit{Rate: 1e9, Burst: 1e6})
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					l.Allow(names[i%accounts])
					i++
				}
			})
		})
	}
}

// BenchmarkBind measures a bind and its release.
func BenchmarkBind(b *testing.B) {
	l := limits.NewLocal(limits.LocalOptions{})
	l.Set("a", limits.Limit{MaxBinds: 1 << 30})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		release, err := l.Bind(ctx, "a")
		if err != nil {
			b.Fatal(err)
		}
		release()
	}
}
