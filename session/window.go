package session

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// window bounds the requests in flight. Taking and returning a slot is one
// atomic operation while there is room. A sender that finds the window full
// sleeps until it has drained to its low-water mark (an eighth of it free), so
// that a goroutine keeping the window full wakes once per burst, not once per
// response, and sends the burst in one write. Against a peer that answers
// slowly the sleeper also looks again every recheck, so a free slot never
// waits longer than that for the next request.
type window struct {
	n       atomic.Int32 // slots taken
	size    int32
	low     int32        // waiters are woken when n falls to this
	waiting atomic.Bool  // a sender sleeps on wake
	drains  atomic.Int32 // drain is taking every slot: wake at each release
	mu      sync.Mutex
	wake    chan struct{} // closed to wake the sleepers; guarded by mu
}

func newWindow(size int) *window {
	w := &window{size: int32(size)}
	w.low = w.size - max(1, w.size/8)
	return w
}

// inFlight returns the slots taken.
func (w *window) inFlight() int { return int(w.n.Load()) }

// acquire takes a slot, waiting while the window is full until ctx or
// sessionDone ends. It returns the context's error or errSessionDone.
func (w *window) acquire(ctx context.Context, sessionDone <-chan struct{}) error {
	var t *time.Timer
	for {
		n := w.n.Load()
		if n < w.size {
			if w.n.CompareAndSwap(n, n+1) {
				if t != nil {
					t.Stop()
				}
				return nil
			}
			continue
		}
		w.mu.Lock()
		if w.wake == nil {
			w.wake = make(chan struct{})
		}
		ch := w.wake
		w.waiting.Store(true)
		// Look again now that release will see waiting: either it sees
		// the flag or this sees its decrement.
		if w.n.Load() < w.size {
			w.mu.Unlock()
			continue
		}
		w.mu.Unlock()
		if t == nil {
			t = time.NewTimer(recheck)
		} else {
			t.Reset(recheck)
		}
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-sessionDone:
			t.Stop()
			return errSessionDone
		}
	}
}

// recheck is how often a sender waiting for the window looks again.
const recheck = time.Millisecond

// drain takes every slot as the requests in flight complete, until ctx or
// sessionDone ends, and returns how many it took.
func (w *window) drain(ctx context.Context, sessionDone <-chan struct{}) int {
	w.drains.Add(1)
	defer w.drains.Add(-1)
	taken := 0
	for ; taken < int(w.size); taken++ {
		if w.acquire(ctx, sessionDone) != nil {
			break
		}
	}
	return taken
}

// release returns a slot.
func (w *window) release() {
	n := w.n.Add(-1)
	if (n <= w.low || w.drains.Load() > 0) && w.waiting.Load() {
		w.mu.Lock()
		if w.wake != nil {
			close(w.wake)
			w.wake = nil
		}
		w.waiting.Store(false)
		w.mu.Unlock()
	}
}

// errSessionDone is acquire's error when the session ended while it waited.
var errSessionDone = errors.New("smpp: session ended while waiting for the window")
