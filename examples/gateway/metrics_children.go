package main

import (
	"strings"
	"sync"
	"sync/atomic"
)

// labels are a metric's label values, at most three.
type labels [3]string

// children keeps the children of a metric vector (its counters or
// histograms, one per set of label values) for the message path: a count
// looks its child up in a map read without a lock, instead of the vector's
// WithLabelValues, which checks, hashes and looks the values up under the
// vector's lock at every message. The vectors here never delete a child,
// so a child kept is the vector's child for good. Label values come from
// the configuration and the SMPP statuses: few sets, each added once.
type children[T any] struct {
	n  int                      // how many label values the vector has
	of func(values ...string) T // the vector's WithLabelValues

	mu  sync.Mutex                   // serialises adding
	cur atomic.Pointer[map[labels]T] // read-only once stored
}

// newChildren returns the children of a vector with n labels whose
// WithLabelValues is of.
func newChildren[T any](n int, of func(values ...string) T) *children[T] {
	return &children[T]{n: n, of: of}
}

// with returns the child for the label values l (the vector's label count
// of them, the rest empty).
func (c *children[T]) with(l labels) T {
	if m := c.cur.Load(); m != nil {
		if v, ok := (*m)[l]; ok {
			return v
		}
	}
	return c.add(l)
}

// add adds the child for l, unless another caller did. It is apart from
// with, whose l then does not escape (no allocation once the child is kept).
func (c *children[T]) add(l labels) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.cur.Load()
	var next map[labels]T
	if old != nil {
		if v, ok := (*old)[l]; ok {
			return v
		}
		next = make(map[labels]T, len(*old)+1)
		for k, v := range *old {
			next[k] = v
		}
	} else {
		next = make(map[labels]T, 1)
	}
	// Kept for good: the values may alias memory their caller reuses (a
	// receipt's stat is a slice of its PDU).
	for i := range l {
		l[i] = strings.Clone(l[i])
	}
	v := c.of(l[:c.n]...)
	next[l] = v
	c.cur.Store(&next)
	return v
}
