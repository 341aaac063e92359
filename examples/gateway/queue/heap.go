package queue

import "github.com/esmsafrica/smpp/examples/gateway/internal/lease"

// key orders the tickets: by due time (At, in Unix nanoseconds), then by
// sequence (Seq, unique per write: the enqueue, or the nak that moved it).
// It is also the ticket's key on disk.
type key = lease.Key

// ticket is what an entry carries: the ticket's fields and its hand-outs.
type ticket struct {
	id    string
	rev   uint64
	due   int64 // Ticket.Due in Unix nanoseconds; 0 for the zero time
	deliv int32 // hand-outs so far
	// hasDue: the ticket has a Due (due is set).
	hasDue bool
}

// entry is a ticket in memory, in the ready heap (by key) or the leased
// heap (by lease end); its State is one of the states below.
type entry = lease.Entry[ticket]

// entryHeap is a heap of entries: the ready tickets by key, the leased by
// lease end.
type entryHeap = lease.Heap[ticket]

// The states of an entry.
const (
	stReady  = iota + 1 // in the ready heap (due or not)
	stLeased            // in the leased heap
	stGone              // acked, or dropped from memory (its key stays on disk)
)
