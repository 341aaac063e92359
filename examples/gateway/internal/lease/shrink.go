package lease

// Shrink keeps the keep least entries by Key (0 <= keep < Len), in a heap
// ordered ByKey, and returns the least key of those it drops, whose State
// it sets to gone. Its cost is linear in the heap's length.
func (h *Heap[T]) Shrink(keep int, gone uint8) Key {
	es := h.es
	// Quickselect: afterwards es[:keep] are the least, es[keep] the next.
	lo, hi := 0, len(es)-1
	for lo < hi {
		p := es[lo+(hi-lo)/2].Key
		i, j := lo, hi
		for i <= j {
			for es[i].Key.Less(p) {
				i++
			}
			for p.Less(es[j].Key) {
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
	cut := es[keep].Key
	for _, e := range es[keep:] {
		e.idx, e.State = -1, gone
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
