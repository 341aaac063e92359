package upstream

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/slots"
)

// setActiveTimeout bounds how long a node waits for the binds it gives up
// to unbind: under the half of the slots' TTL that their keys outlive a
// node that stopped renewing (package slots).
const setActiveTimeout = 2 * time.Second

// holdSlots runs, on a cluster node, the share of an SMSC's binds that
// this node holds: the binds of the SMSC's client (its addrs × binds) are
// slots shared by the nodes through d.slots, and the client binds only
// those this node holds (it starts with none), so the nodes together never
// open more binds than the SMSC's configuration allows, and a dead node's
// binds move to the survivors.
func (d *Dispatcher) holdSlots(u *SMSC, total int) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		err := d.slots.Hold(d.ctx, slotResource(u.name), total, func(held []int) {
			ctx, cancel := context.WithTimeout(context.Background(), setActiveTimeout)
			defer cancel()
			if err := u.c.SetActive(ctx, held); err != nil {
				d.log.Warn("upstream binds given up did not unbind in time; closing anyway", "upstream", u.name, "err", err)
			}
			d.log.Info("upstream binds held by this node", "upstream", u.name, "binds", held, "of", total)
		})
		if err != nil {
			d.log.Error("upstream binds cannot be shared with the other nodes: this node binds none", "upstream", u.name, "err", err)
		}
	}()
}

// slotResource names an SMSC's slots: its name when it is a valid key
// token, else a hex form of it.
func slotResource(name string) string {
	if slots.ValidName(name) {
		return name
	}
	return "x" + hex.EncodeToString([]byte(name))
}
