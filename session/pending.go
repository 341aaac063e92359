package session

import (
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/esmsafrica/smpp/pdu"
)

// pendingTable holds the requests sent and not yet answered, by
// sequence_number. Sequence numbers are handed out in order and the window
// bounds how many are in flight, so a request almost always finds its slot
// (seq modulo the table size) free: registering and matching a response are
// one atomic operation each, without a lock. A request whose slot is still
// taken by an older one (a slow response while many later ones completed)
// goes to an overflow map under a lock. A nil table is an empty one,
// closed: a session makes its table with its first request.
type pendingTable struct {
	slots  []atomic.Pointer[Call]
	mask   uint32
	closed atomic.Bool
	overN  atomic.Int32 // entries in over
	mu     sync.Mutex   // guards over
	over   map[uint32]*Call
}

func newPendingTable(window int) *pendingTable {
	n := min(max(2*window, 16), 4096)
	n = 1 << bits.Len(uint(n-1)) // next power of two
	return &pendingTable{slots: make([]atomic.Pointer[Call], n), mask: uint32(n - 1)}
}

// put registers c (c.seq set). It returns false when the table was closed
// before c could be registered: c is not in it, and nobody else will
// complete it.
func (t *pendingTable) put(c *Call) bool {
	if t == nil {
		return false
	}
	slot := &t.slots[c.seq&t.mask]
	if !slot.CompareAndSwap(nil, c) {
		t.mu.Lock()
		if t.over == nil {
			t.over = make(map[uint32]*Call)
		}
		t.over[c.seq] = c
		t.overN.Add(1)
		t.mu.Unlock()
	}
	// closeAll sets closed before it sweeps: either it sees c, or this sees
	// closed and takes c back (whoever removes c completes it).
	if t.closed.Load() {
		return !t.remove(c)
	}
	return true
}

// answers reports whether a response with this command_id answers c: its
// own response, or generic_nack.
func answers(c *Call, id pdu.CommandID) bool {
	return c.req.CommandID().Response() == id || id == pdu.GenericNackID
}

// take removes and returns the request with this sequence number if a
// response with command_id id answers it; otherwise it leaves the table as it
// was and returns nil.
func (t *pendingTable) take(seq uint32, id pdu.CommandID) *Call {
	if t == nil {
		return nil
	}
	slot := &t.slots[seq&t.mask]
	if c := slot.Load(); c != nil && c.seq == seq {
		if !answers(c, id) {
			return nil
		}
		if slot.CompareAndSwap(c, nil) {
			return c
		}
		return nil // taken by a timeout or the closer just now
	}
	if t.overN.Load() == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.over[seq]
	if c == nil || !answers(c, id) {
		return nil
	}
	delete(t.over, seq)
	t.overN.Add(-1)
	return c
}

// remove removes c and reports whether it was there.
func (t *pendingTable) remove(c *Call) bool {
	if t == nil {
		return false
	}
	if t.slots[c.seq&t.mask].CompareAndSwap(c, nil) {
		return true
	}
	if t.overN.Load() == 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.over[c.seq] == c {
		delete(t.over, c.seq)
		t.overN.Add(-1)
		return true
	}
	return false
}

// removeIf removes and returns every request for which f is true.
func (t *pendingTable) removeIf(f func(*Call) bool) []*Call {
	if t == nil {
		return nil
	}
	var out []*Call
	for i := range t.slots {
		if c := t.slots[i].Load(); c != nil && f(c) && t.slots[i].CompareAndSwap(c, nil) {
			out = append(out, c)
		}
	}
	if t.overN.Load() == 0 {
		return out
	}
	t.mu.Lock()
	for seq, c := range t.over {
		if f(c) {
			delete(t.over, seq)
			t.overN.Add(-1)
			out = append(out, c)
		}
	}
	t.mu.Unlock()
	return out
}

// closeAll closes the table and returns everything in it; a put after this
// fails.
func (t *pendingTable) closeAll() []*Call {
	if t == nil {
		return nil
	}
	t.closed.Store(true)
	return t.removeIf(func(*Call) bool { return true })
}
