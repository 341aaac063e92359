package lease

import (
	"context"
	"math"
	"time"
)

// Now returns the time in Unix nanoseconds, as entries keep it.
func Now() int64 { return time.Now().UnixNano() }

// After returns when an entry naked at now with delay is due: now for no
// delay, and math.MaxInt64 where the sum overflows.
func After(now int64, delay time.Duration) int64 {
	if delay <= 0 {
		return now
	}
	at := now + int64(delay)
	if at < now {
		return math.MaxInt64
	}
	return at
}

// Signal wakes claimers waiting for an entry. Its zero value has nobody
// waiting. The owner's lock guards it.
type Signal struct{ ch chan struct{} }

// Chan returns a channel closed by the next Notify.
func (s *Signal) Chan() <-chan struct{} {
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Notify wakes those waiting on Chan, if any.
func (s *Signal) Notify() {
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// Timer is a claimer's wait for its next chance, reused across the waits
// of one claim. Its zero value is ready; Stop it when the claim returns.
type Timer struct{ t *time.Timer }

// Wait waits until wake is closed, or until next (Unix nanoseconds; none
// when math.MaxInt64) as seen from now, or until ctx ends, whose error it
// then returns.
func (w *Timer) Wait(ctx context.Context, wake <-chan struct{}, now, next int64) error {
	var tc <-chan time.Time
	if next != math.MaxInt64 {
		d := time.Duration(next - now)
		if w.t == nil {
			w.t = time.NewTimer(d)
		} else {
			w.t.Reset(d)
		}
		tc = w.t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wake:
	case <-tc:
	}
	return nil
}

// Stop releases the timer.
func (w *Timer) Stop() {
	if w.t != nil {
		w.t.Stop()
	}
}

// NextWake returns when a claimer waiting on these heaps may next find an
// entry: the first due time in due (ordered ByKey) or the first lease end
// in leased (ordered ByLease), whichever comes first; math.MaxInt64 when
// both are empty.
func NextWake[T any](due, leased *Heap[T]) int64 {
	next := int64(math.MaxInt64)
	if due.Len() > 0 {
		next = due.Min().Key.At
	}
	if leased.Len() > 0 {
		next = min(next, leased.Min().Lease)
	}
	return next
}
