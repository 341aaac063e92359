package jsstore

import (
	"errors"
	"sync"
	"time"
)

// ErrCrashed is what MapUpstream and UpdateWithDelivery return after
// CrashAfterRecord.
var ErrCrashed = errors.New("jsstore test: crashed between the record and the index entry or delivery")

// CrashAfterRecord makes s's MapUpstream and UpdateWithDelivery stop after
// writing the record, before the index entry or the delivery, as a crash
// there would.
func CrashAfterRecord(s *Store) { s.crashAfterRecord = func() error { return ErrCrashed } }

// Outbox returns the account of the delivery in the outbox of the record
// of id, or "" when it has none.
func Outbox(s *Store, id string) (string, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	r, _, err := s.read(ctx, id)
	if err != nil || r.out == nil {
		return "", err
	}
	return r.out.d.Account, nil
}

// LoseAnswers makes s lose the answer of its next n record writes or
// Purge's deletes of records that are stored (their try times out, as when
// a server's answer never comes); it returns how many are still to lose.
func LoseAnswers(s *Store, n int) func() int {
	var mu sync.Mutex
	left := n
	s.loseAnswer = func() bool {
		mu.Lock()
		defer mu.Unlock()
		if left > 0 {
			left--
			return true
		}
		return false
	}
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return left
	}
}

// LoseAnswerAfter makes s lose the answer of its next record write that is
// stored, after calling f (another writer's write, which follows it);
// it returns whether that happened.
func LoseAnswerAfter(s *Store, f func()) func() bool {
	var mu sync.Mutex
	done := false
	s.loseAnswer = func() bool {
		mu.Lock()
		first := !done
		done = true
		mu.Unlock()
		if first {
			f() // its own write is not lost
		}
		return first
	}
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		return done
	}
}

// TakeOutbox rewrites the record of id as the sweep does when it takes its
// outbox: the same message, a new KV revision.
func TakeOutbox(s *Store, id string) error {
	return rewrite(s, id, func(r *record) (*record, error) {
		if r.out == nil {
			return nil, errors.New("no outbox to take")
		}
		return &record{m: r.m, refs: r.refs, out: &outbox{d: r.out.d, at: time.Now()}}, nil
	})
}

// AfterRead makes s's next compare-and-set that reads the record call f
// once, between that read and its write.
func AfterRead(s *Store, f func()) {
	var once sync.Once
	s.afterRead = func() { once.Do(f) }
}

// Forget drops the record of id from s's cache: the next compare-and-set
// reads it.
func Forget(s *Store, id string) { s.cache.drop(id) }

// Rewrite writes the record of id again unchanged, as a repeated write or
// the sweep taking an outbox does: the same message, a new KV revision.
func Rewrite(s *Store, id string) error {
	return rewrite(s, id, func(r *record) (*record, error) { return r, nil })
}

// rewrite reads the record of id and writes what change makes of it on
// the KV revision it was read at.
func rewrite(s *Store, id string, change func(*record) (*record, error)) error {
	ctx, cancel := s.ctx()
	defer cancel()
	r, kvRev, err := s.read(ctx, id)
	if err != nil {
		return err
	}
	if r, err = change(r); err != nil {
		return err
	}
	_, err = s.write(ctx, r, kvRev)
	return err
}
