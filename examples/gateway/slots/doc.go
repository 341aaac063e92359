// Package slots shares the numbered slots of a resource among the gateway's
// nodes, so that the nodes together never hold more than the resource allows:
// an operator SMSC that accepts at most N binds from the gateway is a
// resource of N slots, and each node opens a bind for each slot it holds.
//
// On one node (Local) the node holds every slot. Across nodes (JetStream)
// each slot is a key in a key-value bucket whose messages expire after a TTL:
// a node creates the key of a free slot (create fails when the key exists, so
// two nodes never both take one), renews the keys it holds every quarter of the
// TTL, and takes a fair share, the total divided by the live nodes rounded up,
// giving back what is above it so that a node that joins gets its share. When
// a node dies its keys expire and the survivors take its slots.
//
// A node that cannot renew (it lost NATS, or NATS lost its quorum) gives up
// its slots by itself half way to the keys' expiry, before
// another node can take them: it tells its owner first, which closes the
// binds. So the total holds during failover as long as closing a bind takes
// less than half the TTL and the nodes' clocks run at the same
// rate (they need not agree on the time).
package slots

import "context"

// Slots hands out the slots of resources to this node.
type Slots interface {
	// Hold takes a share of the total slots of the resource and keeps it
	// until ctx ends, calling set with the slot numbers (0 to total-1,
	// sorted) that the node holds each time they change, the first time
	// included. set is called from one goroutine at a time, and a slot
	// leaves the set before any other node can take it: set must close the
	// bind of a slot that left before it returns. Hold returns when ctx ends,
	// after calling set(nil) and giving back what it held, or with an error
	// when it cannot start (a bucket that cannot be created).
	Hold(ctx context.Context, resource string, total int, set func(held []int)) error
}

// Local is the single-node Slots: the node holds every slot.
type Local struct{}

// Hold calls set with every slot, waits for ctx, then calls set(nil).
func (Local) Hold(ctx context.Context, resource string, total int, set func(held []int)) error {
	all := make([]int, total)
	for i := range all {
		all[i] = i
	}
	set(all)
	<-ctx.Done()
	set(nil)
	return nil
}
