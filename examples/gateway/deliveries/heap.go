package deliveries

import "github.com/esmsafrica/smpp/examples/gateway/internal/lease"

// entry is a delivery in memory, allocated with it: Val is the delivery,
// Key.Seq its Seq, Key.At when it is due (in the later heap); its State is
// one of the states below.
type entry = lease.Entry[Delivery]

// entryHeap is a heap of entries: the fresh by Seq, the later by due time
// then Seq, the leased by lease end.
type entryHeap = lease.Heap[Delivery]

// The states of an entry.
const (
	stFresh  = iota + 1 // in the fresh heap: not handed out since it was read or added
	stLater             // in the later heap: naked, or its lease ended
	stLeased            // in the leased heap
	stGone              // acked or removed
)
