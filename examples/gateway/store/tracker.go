package store

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// maxTracked bounds the non-final messages whose newest version the Pebble
// store keeps in memory. Beyond it a message's version is read from disk
// when it is needed (a queue of millions behind an upstream that is down).
// A variable for the tests.
var maxTracked int64 = 500000

// meta is what the Pebble store keeps of a message besides its fields, in
// its state record on disk and with its version in memory.
type meta struct {
	stored State  // the state last written to disk
	upKey  string // the upstream index key of the last MapUpstream (for Purge)
	upMore bool   // earlier MapUpstreams of the message left other index keys
}

// version is one version of a message as the store has it: the fields as
// committed (or marked), and the store's own bookkeeping.
type version struct {
	m Message
	meta
}

// The tracker orders the writers of each message and keeps the newest
// version of the messages on their way (not final), so that a
// compare-and-set needs no read from disk, nor does the receipt path.
// A writer holds its message's entry from reading the current revision
// until its write is committed: writes of one message reach the disk in
// the order of their revisions. Readers (Get) do not wait for writers; they
// see the newest committed version.
type tracker struct {
	seed   maphash.Seed
	shards [64]trackShard
	n      atomic.Int64 // entries holding a version

	// The upstream index of the messages held, so that a receipt is
	// matched without a read from disk, and the receipts waiting for an
	// entry (WaitUpstream).
	upMu    sync.Mutex
	ups     map[upRef]string
	waiters map[upRef][]chan struct{}
}

type trackShard struct {
	mu sync.Mutex
	m  map[string]*tracked
}

// tracked is one message's entry. mu is held by its writer; cur is the
// newest version (nil when not held in memory); refs counts the writers and
// readers holding the entry, under the shard's lock.
type tracked struct {
	mu   sync.Mutex
	cur  atomic.Pointer[version]
	refs int
	kept bool // cur counts in tracker.n
}

func newTracker() *tracker {
	t := &tracker{seed: maphash.MakeSeed(), ups: map[upRef]string{}, waiters: map[upRef][]chan struct{}{}}
	for i := range t.shards {
		t.shards[i].m = map[string]*tracked{}
	}
	return t
}

func (t *tracker) shard(id string) *trackShard {
	return &t.shards[maphash.String(t.seed, id)%uint64(len(t.shards))]
}

// acquire returns id's entry with its writer's lock held.
func (t *tracker) acquire(id string) *tracked {
	s := t.shard(id)
	s.mu.Lock()
	e := s.m[id]
	if e == nil {
		e = &tracked{}
		s.m[id] = e
	}
	e.refs++
	s.mu.Unlock()
	e.mu.Lock()
	return e
}

// release ends a write: v (nil for none) becomes the version kept in
// memory if there is room and the message is not final; otherwise none is.
// It reports whether v is kept. kept is changed only with both the entry's
// writer lock and the shard's lock held, so it may be read under either.
func (t *tracker) release(id string, e *tracked, v *version) bool {
	keep := v != nil && !v.m.State.Final()
	s := t.shard(id)
	s.mu.Lock()
	if keep && !e.kept {
		if t.n.Add(1) > maxTracked {
			t.n.Add(-1)
			keep = false
		} else {
			e.kept = true
		}
	}
	if !keep && e.kept {
		e.kept = false
		t.n.Add(-1)
	}
	if keep {
		e.cur.Store(v)
	} else {
		e.cur.Store(nil)
	}
	e.refs--
	if e.refs == 0 && !e.kept {
		delete(s.m, id)
	}
	s.mu.Unlock()
	e.mu.Unlock()
	return keep
}

// get returns the newest version of id held in memory, or nil.
func (t *tracker) get(id string) *version {
	s := t.shard(id)
	s.mu.Lock()
	e := s.m[id]
	s.mu.Unlock()
	if e == nil {
		return nil
	}
	return e.cur.Load()
}

// upRef is an upstream index entry as the tracker's maps know it: a
// route and the upstream's id for a message there. Looking one up costs no
// allocation; the entries kept hold copies (own), as the caller's strings
// may share the memory of a PDU.
type upRef struct{ route, key string }

// own returns r with strings of its own, in one allocation.
func (r upRef) own() upRef {
	s := r.route + r.key
	return upRef{s[:len(r.route)], s[len(r.route):]}
}

// mapped records an upstream index entry of a message held in memory, and
// wakes the receipts waiting for it.
func (t *tracker) mapped(route, key, id string, hold bool) {
	k := upRef{route, key}
	t.upMu.Lock()
	if hold {
		t.ups[k.own()] = id
	}
	ws := t.waiters[k]
	delete(t.waiters, k)
	t.upMu.Unlock()
	for _, w := range ws {
		close(w)
	}
}

// unmap forgets an index entry held in memory (its message is final, or no
// longer held).
func (t *tracker) unmap(route, key, id string) {
	k := upRef{route, key}
	t.upMu.Lock()
	if t.ups[k] == id {
		delete(t.ups, k)
	}
	t.upMu.Unlock()
}

// lookup returns the id an index entry held in memory names.
func (t *tracker) lookup(route, key string) (string, bool) {
	t.upMu.Lock()
	id, ok := t.ups[upRef{route, key}]
	t.upMu.Unlock()
	return id, ok
}

// wait waits until ctx ends or find finds the entry, which it calls once
// registered for the wake-up of mapped: an entry recorded at any moment is
// seen.
func (t *tracker) wait(ctx context.Context, route, key string, find func() (string, error)) (string, error) {
	k := upRef{route, key}.own()
	for {
		ch := make(chan struct{})
		t.upMu.Lock()
		t.waiters[k] = append(t.waiters[k], ch)
		t.upMu.Unlock()
		id, err := find()
		if !errors.Is(err, ErrNotFound) {
			t.forget(k, ch)
			return id, err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.forget(k, ch)
			return "", ErrNotFound
		}
	}
}

// forget removes a waiter that stopped waiting.
func (t *tracker) forget(k upRef, ch chan struct{}) {
	t.upMu.Lock()
	defer t.upMu.Unlock()
	ws := t.waiters[k]
	for i, w := range ws {
		if w == ch {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(t.waiters, k)
	} else {
		t.waiters[k] = ws
	}
}
