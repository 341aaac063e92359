package queue

// key orders the tickets: by due time, then by sequence (the order of the
// writes that made them due). It is also the ticket's key on disk.
type key struct {
	at  int64  // when the ticket is due, in Unix nanoseconds
	seq uint64 // unique per write: the enqueue, or the nak that moved it
}

func (a key) less(b key) bool { return a.at < b.at || a.at == b.at && a.seq < b.seq }

// entry is a ticket in memory.
type entry struct {
	id    string
	rev   uint64
	due   int64 // Ticket.Due in Unix nanoseconds; 0 for the zero time
	k     key
	lease int64  // when the lease ends, in Unix nanoseconds (leased)
	gen   uint64 // the hand-out the current lease belongs to
	deliv int32  // hand-outs so far
	idx   int32  // index in its heap
	st    uint8
	// hasDue: the ticket has a Due (due is set).
	hasDue bool
}

// The states of an entry.
const (
	stReady  = iota + 1 // in the ready heap (due or not)
	stLeased            // in the leased heap
	stGone              // acked, or dropped from memory (its key stays on disk)
)

// entryHeap is a binary min-heap of entries, by key or by lease end. An
// entry is in at most one heap at a time, and knows its index there.
type entryHeap struct {
	es      []*entry
	byLease bool
}

func (h *entryHeap) less(a, b *entry) bool {
	if h.byLease && a.lease != b.lease {
		return a.lease < b.lease
	}
	return a.k.less(b.k)
}

func (h *entryHeap) len() int { return len(h.es) }

// min returns the least entry; the heap must not be empty.
func (h *entryHeap) min() *entry { return h.es[0] }

func (h *entryHeap) push(e *entry) {
	e.idx = int32(len(h.es))
	h.es = append(h.es, e)
	h.up(len(h.es) - 1)
}

func (h *entryHeap) pop() *entry {
	e := h.es[0]
	h.remove(e)
	return e
}

// remove takes e, which is in the heap, out of it.
func (h *entryHeap) remove(e *entry) {
	i, n := int(e.idx), len(h.es)-1
	if i != n {
		h.swap(i, n)
	}
	h.es[n] = nil
	h.es = h.es[:n]
	if i != n {
		h.down(i)
		h.up(i)
	}
	e.idx = -1
}

// fix restores the order after e's key or lease changed.
func (h *entryHeap) fix(e *entry) {
	h.down(int(e.idx))
	h.up(int(e.idx))
}

// shrink keeps the keep least entries (by key; keep < len) and returns the
// least key of those it drops. Its cost is linear in the heap's length.
func (h *entryHeap) shrink(keep int) key {
	es := h.es
	// Quickselect: afterwards es[:keep] are the least, es[keep] the next.
	lo, hi := 0, len(es)-1
	for lo < hi {
		p := es[lo+(hi-lo)/2].k
		i, j := lo, hi
		for i <= j {
			for es[i].k.less(p) {
				i++
			}
			for p.less(es[j].k) {
				j--
			}
			if i <= j {
				es[i], es[j] = es[j], es[i]
				i++
				j--
			}
		}
		switch {
		case keep <= j:
			hi = j
		case keep >= i:
			lo = i
		default:
			lo = hi
		}
	}
	cut := es[keep].k
	for _, e := range es[keep:] {
		e.idx, e.st = -1, stGone
	}
	clear(es[keep:])
	h.es = es[:keep]
	for i, e := range h.es {
		e.idx = int32(i)
	}
	for i := keep/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	return cut
}

func (h *entryHeap) swap(i, j int) {
	h.es[i], h.es[j] = h.es[j], h.es[i]
	h.es[i].idx, h.es[j].idx = int32(i), int32(j)
}

func (h *entryHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.es[i], h.es[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *entryHeap) down(i int) {
	n := len(h.es)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(h.es[r], h.es[l]) {
			m = r
		}
		if !h.less(h.es[m], h.es[i]) {
			return
		}
		h.swap(i, m)
		i = m
	}
}
