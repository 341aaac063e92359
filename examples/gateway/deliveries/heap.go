package deliveries

// entryDelivery is an entry allocated with its delivery.
type entryDelivery struct {
	entry entry
	d     Delivery
}

// entry is a delivery in memory.
type entry struct {
	d     *Delivery
	at    int64  // when due, in Unix nanoseconds (in the later heap)
	lease int64  // when the lease ends, in Unix nanoseconds (leased)
	gen   uint64 // the hand-out the current lease belongs to
	idx   int32  // index in its heap
	st    uint8
}

// The states of an entry.
const (
	stFresh  = iota + 1 // in the fresh heap: not handed out since it was read or added
	stLater             // in the later heap: naked, or its lease ended
	stLeased            // in the leased heap
	stGone              // acked or removed
)

// The orders of the heaps.
const (
	bySeq   = iota // fresh: by Seq
	byDue          // later: by due time, then Seq
	byLease        // leased: by lease end
)

// entryHeap is a binary min-heap of entries. An entry is in at most one
// heap at a time, and knows its index there.
type entryHeap struct {
	es    []*entry
	order int
}

func (h *entryHeap) less(a, b *entry) bool {
	switch h.order {
	case byDue:
		if a.at != b.at {
			return a.at < b.at
		}
	case byLease:
		if a.lease != b.lease {
			return a.lease < b.lease
		}
	}
	return a.d.Seq < b.d.Seq
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

// fix restores the order after e's lease changed.
func (h *entryHeap) fix(e *entry) {
	h.down(int(e.idx))
	h.up(int(e.idx))
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
