package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/esmsafrica/smpp/server"
)

// Receipts go to the bind that submitted their message. Each
// transceiver bind the gateway accepts gets an id, kept on its connection
// (bindIDKey); a message submitted on it records the id (store.Message.Bind)
// and its receipt carries it (deliveries.Delivery.Bind) to the pusher, which
// sends the receipt to that bind while it is bound and answering, and to
// any receiver of the account otherwise (see deliveries.go). A transmitter
// cannot take its receipts: its messages record no bind, and their receipts
// go to the account's receivers as before.
//
// An id is the node's node_id, a random number drawn when the gateway
// starts, and a count of its binds: "3.9f2c01d4.17". The random part tells
// this process's binds from those of another node (on a cluster: the
// receipt may come back on either node, and the bind is on the one that
// took the submission) and from those of this node before a restart (gone:
// the receipt goes to any receiver). node_id alone would not do: a node
// restarted keeps it, and two nodes share node_id 0 on their own stores.

// bindIDKey is the key of a bind's id among its connection's values.
type bindIDKey struct{}

// bindIDs makes the ids of one gateway's binds.
type bindIDs struct {
	prefix string // node_id, '.', the random part, '.'
	n      atomic.Uint64
}

// newBindIDs returns the bind ids of a gateway with this node_id. The
// random part is not a secret, only unlikely to repeat (math/rand/v2 is
// seeded at random).
func newBindIDs(node int) *bindIDs {
	return &bindIDs{prefix: fmt.Sprintf("%d.%08x.", node, rand.Uint32())}
}

// next returns a new bind id.
func (b *bindIDs) next() string { return b.prefix + strconv.FormatUint(b.n.Add(1), 10) }

// own reports whether id was made by this gateway (not by another node,
// nor by this node before a restart).
func (b *bindIDs) own(id string) bool { return strings.HasPrefix(id, b.prefix) }

// bindIDOf returns the id of the connection's bind, or "" when it has none
// (a transmitter or a receiver: no receipt is pinned to it).
func bindIDOf(c *server.Conn) string {
	if c == nil {
		return ""
	}
	id, _ := c.Value(bindIDKey{}).(string)
	return id
}

// nameBind gives a transceiver bind accepted by authenticate its id.
func (gw *Gateway) nameBind(r *server.BindRequest) {
	if r.Conn != nil && r.Mode == server.ModeTransceiver {
		r.Conn.SetValue(bindIDKey{}, gw.bindIDs.next())
	}
}
