// Package lease holds the in-memory bookkeeping that the single-node
// queues of the gateway share (package queue's tickets and package
// deliveries' receipts): entries in binary min-heaps that know their place
// (by due time, by sequence, or by lease end), and the wait of a claimer
// for the next entry to become due or the next lease to end.
//
// It is generic over what an entry carries, so that each queue keeps its
// own concrete element type: the heaps compare fields of the entries
// directly, with no interface or function value per comparison, and an
// entry is one allocation with what it carries (or a pointer to it). The
// policies (what is held in memory, what spills to disk, when a lease
// ends) stay with each queue.
package lease
