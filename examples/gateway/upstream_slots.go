package main

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/slots"
)

// setActiveTimeout bounds how long a node waits for the binds it gives up
// to unbind: under the half of the slots' TTL that their keys outlive a
// node that stopped renewing (package slots).
const setActiveTimeout = 2 * time.Second

// holdUpstreamSlots runs, on a cluster node, the share of an upstream's
// binds that this node holds: the binds of the upstream's client (its
// addrs × binds) are slots shared by the nodes through gw.slots, and the
// client binds only those this node holds (it starts with none), so the
// nodes together never open more binds than the upstream's configuration
// allows, and a dead node's binds move to the survivors.
func (gw *Gateway) holdUpstreamSlots(u *upstream, total int) {
	gw.wg.Add(1)
	go func() {
		defer gw.wg.Done()
		err := gw.slots.Hold(gw.ctx, slotResource(u.name), total, func(held []int) {
			ctx, cancel := context.WithTimeout(context.Background(), setActiveTimeout)
			defer cancel()
			if err := u.c.SetActive(ctx, held); err != nil {
				gw.log.Warn("upstream binds given up did not unbind in time; closing anyway", "upstream", u.name, "err", err)
			}
			gw.log.Info("upstream binds held by this node", "upstream", u.name, "binds", held, "of", total)
		})
		if err != nil {
			gw.log.Error("upstream binds cannot be shared with the other nodes: this node binds none", "upstream", u.name, "err", err)
		}
	}()
}

// slotResource names an upstream's slots: its name when it is a valid key
// token, else a hex form of it.
func slotResource(name string) string {
	if slots.ValidName(name) {
		return name
	}
	return "x" + hex.EncodeToString([]byte(name))
}

// clusterClaimLease is how long a cluster node's dispatcher holds a
// message's ticket before the queue hands it to another node: short, so
// that the messages a dead node held are forwarded by a survivor within
// seconds; a dispatcher still waiting for the upstream's answer renews it
// every clusterClaimExtend (keepClaimed). A single node keeps claimLease.
//
// clusterDeliveryLease is the same for the receipts and MO a node's pusher
// holds for its ESME binds (the pusher renews it while an ESME has not
// answered, see deliveries.go): those a dead node held go to a bind on
// another node within it.
const (
	clusterClaimLease    = 15 * time.Second
	clusterClaimExtend   = 5 * time.Second
	clusterDeliveryLease = 10 * time.Second
)

// extendingClaim is a claim renewed every period until it is acked or
// naked.
type extendingClaim struct {
	queue.Claim
	t *time.Timer
}

// keepClaimed renews c's lease every period until Ack or Nak.
func keepClaimed(c queue.Claim, period time.Duration) queue.Claim {
	ec := &extendingClaim{Claim: c}
	ec.t = time.AfterFunc(period, func() {
		if c.Extend() == nil {
			ec.t.Reset(period)
		}
	})
	return ec
}

// Ack stops the renewals and acks.
func (c *extendingClaim) Ack() error {
	c.t.Stop()
	return c.Claim.Ack()
}

// Nak stops the renewals and naks.
func (c *extendingClaim) Nak(d time.Duration) error {
	c.t.Stop()
	return c.Claim.Nak(d)
}
