package main

import (
	"fmt"

	"github.com/esmsafrica/smpp/msgid"
)

// Message ids are unique across the nodes of a cluster without coordination:
// each node's number (node_id) is in the low bits of its ids (package msgid,
// Options.Node). Every node uses the same layout, node_id 0 included, so
// that a single node can be joined by others later; ids stay 16 hexadecimal
// digits of a 63-bit number growing with time, and a node's ids still resume
// after the greatest id in its store (initIDs), whichever layout wrote it:
// an id of this layout is greater than every id of the former one (no node
// bits) that it follows.

// idNodeBits is the number of an id's low bits that hold the node: 256 nodes,
// each issuing up to 16,384 ids per millisecond before running ahead of the
// clock (msgid's "Limits").
const idNodeBits = 8

// maxNodeID is the largest node_id.
const maxNodeID = 1<<idNodeBits - 1

// newNodeIDs returns the id generator of node node (0 to maxNodeID).
func newNodeIDs(node int) (*msgid.Generator, error) {
	if node < 0 || node > maxNodeID {
		return nil, fmt.Errorf("node_id %d: want 0 to %d", node, maxNodeID)
	}
	return msgid.New(msgid.Options{Node: node, NodeBits: idNodeBits})
}
