package store

import "testing"

// Waiters and Untracked are what storetest asks of the stores of this
// package beyond the interface (see store_test.go).

// Waiters returns how many WaitUpstream calls of s (a *Memory or a *Pebble)
// wait, and under how many keys.
func Waiters(s Store) (calls, keys int) { return waiting(s) }

// Untracked fails t if the tracker of s (a *Memory or a *Pebble) still
// holds anything.
func Untracked(t testing.TB, s Store) { untracked(t, s) }
