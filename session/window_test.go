package session

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Many goroutines take and return slots: never more than size taken at once,
// and nobody sleeps through a wake-up (the test would hang).
func TestWindowBoundsAndWakes(t *testing.T) {
	for _, size := range []int{1, 2, 8, 100} {
		w := newWindow(size)
		done := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		peak := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 2000 {
					if err := w.acquire(context.Background(), done); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					peak = max(peak, w.inFlight())
					mu.Unlock()
					w.release()
				}
			}()
		}
		wg.Wait()
		if peak > size || peak == 0 {
			t.Fatalf("size %d: peak %d in flight", size, peak)
		}
		if w.inFlight() != 0 {
			t.Fatalf("size %d: %d left taken", size, w.inFlight())
		}
	}
}

// A sender that finds the window full sleeps until an eighth of it is free,
// and its context or the session's end lets it go.
func TestWindowLowWaterAndCancel(t *testing.T) {
	w := newWindow(16)
	done := make(chan struct{})
	for range 16 {
		if err := w.acquire(context.Background(), done); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan error, 1)
	go func() { got <- w.acquire(context.Background(), done) }()
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("acquired from a full window: %v", err)
	default:
	}
	// 15 taken: above the low-water mark of 14, so no wake-up; the sleeper
	// looks again within the recheck interval and takes the free slot.
	start := time.Now()
	w.release()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("a free slot was not taken within a second")
	}
	t.Logf("free slot taken after %v", time.Since(start))
	if w.inFlight() != 16 {
		t.Fatalf("in flight %d", w.inFlight())
	}
	// Full again; a cancelled context and the session's end both release a waiter.
	for w.inFlight() < 16 {
		w.acquire(context.Background(), done)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := w.acquire(ctx, done); err != context.DeadlineExceeded {
		t.Fatalf("cancelled: %v", err)
	}
	close(done)
	if err := w.acquire(context.Background(), done); err != errSessionDone {
		t.Fatalf("session done: %v", err)
	}
}

// drain takes every slot as they come back, one wake per release.
func TestWindowDrain(t *testing.T) {
	w := newWindow(16)
	done := make(chan struct{})
	for range 10 {
		w.acquire(context.Background(), done)
	}
	got := make(chan int, 1)
	go func() { got <- w.drain(context.Background(), done) }()
	for range 10 {
		time.Sleep(time.Millisecond)
		w.release()
	}
	select {
	case n := <-got:
		if n != 16 {
			t.Fatalf("drained %d", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("drain did not finish")
	}
}
