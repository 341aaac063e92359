package lease

// Key orders entries: by due time, then by sequence number.
type Key struct {
	// At is when the entry is due, in Unix nanoseconds.
	At int64
	// Seq is unique per entry (or per write that made it due) and breaks
	// ties between entries due at the same time.
	Seq uint64
}

// Less reports whether a orders before b.
func (a Key) Less(b Key) bool { return a.At < b.At || a.At == b.At && a.Seq < b.Seq }

// Entry is an item in memory: what the heaps order it by, its lease, and
// what it carries (Val). An entry is in at most one heap at a time, and
// knows its index there.
type Entry[T any] struct {
	// Key is the entry's place in a heap ordered ByKey or BySeq.
	Key Key
	// Lease is when the entry's lease ends, in Unix nanoseconds (while
	// it is leased).
	Lease int64
	// Gen is the hand-out the current lease belongs to.
	Gen uint64
	idx int32 // index in its heap
	// State is the owner's: which heap holds the entry, if any.
	State uint8
	// Val is what the entry carries.
	Val T
}

// Order is how a Heap orders its entries.
type Order uint8

// The orders of a Heap.
const (
	// ByKey orders by Key: due time, then sequence number.
	ByKey Order = iota
	// BySeq orders by Key.Seq alone.
	BySeq
	// ByLease orders by lease end, then by Key.
	ByLease
)

// Heap is a binary min-heap of entries. Its zero value is an empty heap
// ordered ByKey.
type Heap[T any] struct {
	es []*Entry[T]
	// Order is how the heap orders its entries; it must not change while
	// the heap holds any.
	Order Order
}

func (h *Heap[T]) less(a, b *Entry[T]) bool {
	switch h.Order {
	case BySeq:
		return a.Key.Seq < b.Key.Seq
	case ByLease:
		if a.Lease != b.Lease {
			return a.Lease < b.Lease
		}
	}
	return a.Key.Less(b.Key)
}

// Len returns how many entries the heap holds.
func (h *Heap[T]) Len() int { return len(h.es) }

// Min returns the least entry; the heap must not be empty.
func (h *Heap[T]) Min() *Entry[T] { return h.es[0] }

// Push adds e, which is in no heap, to the heap.
func (h *Heap[T]) Push(e *Entry[T]) {
	e.idx = int32(len(h.es))
	h.es = append(h.es, e)
	h.up(len(h.es) - 1)
}

// Pop removes the least entry and returns it; the heap must not be empty.
func (h *Heap[T]) Pop() *Entry[T] {
	e := h.es[0]
	h.Remove(e)
	return e
}

// Remove takes e, which is in the heap, out of it.
func (h *Heap[T]) Remove(e *Entry[T]) {
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

// Fix restores the order after e's key or lease changed; e is in the heap.
func (h *Heap[T]) Fix(e *Entry[T]) {
	h.down(int(e.idx))
	h.up(int(e.idx))
}

func (h *Heap[T]) swap(i, j int) {
	h.es[i], h.es[j] = h.es[j], h.es[i]
	h.es[i].idx, h.es[j].idx = int32(i), int32(j)
}

func (h *Heap[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.es[i], h.es[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *Heap[T]) down(i int) {
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

// Entries returns the heap's entries, in no particular order, for reading:
// the caller must not change the slice, and it is valid until the heap's
// next change.
func (h *Heap[T]) Entries() []*Entry[T] { return h.es }
