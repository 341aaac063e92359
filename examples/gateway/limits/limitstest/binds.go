package limitstest

import (
	"context"
	"errors"
	"testing"

	"github.com/esmsafrica/smpp/examples/gateway/limits"
)

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
