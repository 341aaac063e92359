// Package future is the completion state shared by the client's and the
// server's futures: a value and an error set exactly once, a Done channel
// made only when asked for, and one completion callback that may be
// registered before or after completion.
package future

import (
	"context"
	"sync"
	"sync/atomic"
)

// closedChan is the Done channel of a state that completed before anyone asked.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// State is the outcome of one request. The zero value is pending.
type State[T any] struct {
	state  atomic.Uint32 // pending, finishing, done
	wantCh atomic.Bool   // Done was asked for: Finish must close ch
	mu     sync.Mutex    // guards ch
	ch     chan struct{}
	cbs    atomic.Uint32 // cbNone, cbSet, cbNotNeeded, cbRun
	cb     func(T, error)
	val    T // written while finishing, read once done
	err    error
}

// States of State.state.
const (
	pending uint32 = iota
	finishing
	done
)

// States of State.cbs: what happens to the callback.
const (
	cbNone      uint32 = iota // no callback yet, not done
	cbSet                     // OnDone registered it: Finish calls it
	cbNotNeeded               // Finish found none: OnDone calls it at once
	cbRun                     // OnDone called it at once
)

// Finish completes the state with v and err, and reports whether it did: only
// the first call does. It closes the Done channel and runs the callback, if
// any, on the caller's goroutine.
func (s *State[T]) Finish(v T, err error) bool {
	if !s.state.CompareAndSwap(pending, finishing) {
		return false
	}
	s.val, s.err = v, err
	s.state.Store(done)
	if s.wantCh.Load() {
		s.mu.Lock()
		if s.ch != nil {
			close(s.ch)
		}
		s.mu.Unlock()
	}
	// OnDone writes cb, then swaps cbNone for cbSet: either this sees cbSet
	// (and cb), or OnDone sees cbNotNeeded and runs cb itself.
	if !s.cbs.CompareAndSwap(cbNone, cbNotNeeded) {
		s.cb(v, err)
	}
	return true
}

// Done returns a channel closed once the state has completed.
func (s *State[T]) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		// Finish stores done, then looks at wantCh: it closes the channel
		// made here, or this sees done.
		s.wantCh.Store(true)
		if s.state.Load() == done {
			return closedChan
		}
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Completed reports whether the state has completed.
func (s *State[T]) Completed() bool { return s.state.Load() == done }

// Result returns the value and the error once completed; before, the zero T
// and nil.
func (s *State[T]) Result() (T, error) {
	if s.state.Load() != done {
		var zero T
		return zero, nil
	}
	return s.val, s.err
}

// Wait waits until the state completes or ctx ends. When ctx ends first it
// returns the zero T and ctx's error; the state is left as it is.
func (s *State[T]) Wait(ctx context.Context) (T, error) {
	if s.state.Load() != done {
		select {
		case <-s.Done():
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
	return s.val, s.err
}

// OnDone registers f, to be called once with the outcome: by Finish, or at
// once on the caller's goroutine when the state has completed already. It
// panics when called twice, or with a nil f.
func (s *State[T]) OnDone(f func(T, error)) {
	if f == nil {
		panic("smpp: OnDone with a nil function")
	}
	if st := s.cbs.Load(); st == cbSet || st == cbRun {
		panic("smpp: OnDone called twice on one future")
	}
	s.cb = f
	if s.cbs.CompareAndSwap(cbNone, cbSet) {
		return
	}
	if s.cbs.CompareAndSwap(cbNotNeeded, cbRun) {
		f(s.val, s.err)
		return
	}
	panic("smpp: OnDone called twice on one future")
}
