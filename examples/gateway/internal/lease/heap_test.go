package lease

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHeapOrders(t *testing.T) {
	for _, order := range []Order{ByKey, BySeq, ByLease} {
		r := rand.New(rand.NewPCG(1, uint64(order)))
		h := Heap[int]{Order: order}
		var es []*Entry[int]
		for i := range 500 {
			e := &Entry[int]{Key: Key{At: r.Int64N(20), Seq: uint64(i)}, Lease: r.Int64N(20), Val: i}
			es = append(es, e)
			h.Push(e)
		}
		// Remove some, and move some.
		for _, e := range es[:100] {
			h.Remove(e)
		}
		for _, e := range es[100:200] {
			e.Lease, e.Key.At = r.Int64N(20), r.Int64N(20)
			h.Fix(e)
		}
		want := slices.Clone(es[100:])
		slices.SortFunc(want, func(a, b *Entry[int]) int {
			switch {
			case h.less(a, b):
				return -1
			case h.less(b, a):
				return 1
			}
			return 0
		})
		if h.Len() != len(want) || len(h.Entries()) != len(want) {
			t.Fatalf("order %d: %d entries, want %d", order, h.Len(), len(want))
		}
		for i, w := range want {
			if got := h.Pop(); got != w {
				t.Fatalf("order %d: pop %d gave %+v, want %+v", order, i, got, w)
			}
		}
	}
}

func TestHeapPushPopAllocs(t *testing.T) {
	var h Heap[string]
	es := make([]*Entry[string], 64)
	for i := range es {
		es[i] = &Entry[string]{Key: Key{At: int64(i % 7), Seq: uint64(i)}}
		h.Push(es[i])
	}
	for h.Len() > 0 {
		h.Pop()
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, e := range es {
			h.Push(e)
		}
		for h.Len() > 0 {
			h.Pop()
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations a round of pushes and pops, want 0", allocs)
	}
}

func TestAfter(t *testing.T) {
	for _, c := range []struct {
		now   int64
		delay time.Duration
		want  int64
	}{
		{5, 0, 5},
		{5, -time.Second, 5},
		{5, 10, 15},
		{math.MaxInt64 - 1, 10, math.MaxInt64},
	} {
		if got := After(c.now, c.delay); got != c.want {
			t.Errorf("After(%d, %v) = %d, want %d", c.now, c.delay, got, c.want)
		}
	}
}

func TestSignalAndTimer(t *testing.T) {
	var s Signal
	s.Notify() // nobody waiting
	wake := s.Chan()
	if s.Chan() != wake {
		t.Fatal("a second Chan before Notify gave another channel")
	}
	s.Notify()
	var tm Timer
	defer tm.Stop()
	if err := tm.Wait(context.Background(), wake, 0, math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	// A time already passed wakes at once, twice (the timer reused).
	for range 2 {
		if err := tm.Wait(context.Background(), s.Chan(), 10, 5); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tm.Wait(ctx, s.Chan(), 0, math.MaxInt64); err != context.Canceled {
		t.Fatalf("Wait after cancel: %v", err)
	}
}

func TestNextWake(t *testing.T) {
	var due Heap[int]
	leased := Heap[int]{Order: ByLease}
	if got := NextWake(&due, &leased); got != math.MaxInt64 {
		t.Fatalf("NextWake of empty heaps = %d", got)
	}
	due.Push(&Entry[int]{Key: Key{At: 30}})
	if got := NextWake(&due, &leased); got != 30 {
		t.Fatalf("NextWake = %d, want 30", got)
	}
	leased.Push(&Entry[int]{Key: Key{At: 5}, Lease: 20})
	if got := NextWake(&due, &leased); got != 20 {
		t.Fatalf("NextWake = %d, want 20 (the lease end)", got)
	}
}
