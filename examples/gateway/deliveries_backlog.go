package main

import (
	"errors"
	"slices"

	dq "github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/pdu"
)

// The backlogs of a pusher (deliveries.go): receipts claimed for the bind
// that submitted their message, held until that bind's window has room, and
// the orphans of a bind that went away or stopped answering, held until any
// receiver has room.

// waiting is a claimed delivery held until a bind has room for it.
type waiting struct {
	c    dq.Claim
	pdu  *pdu.DeliverSM
	keep *leaseKeeper // extends the lease while it waits
}

// pushBacklog sends the deliveries held for binds that have room now, and
// the orphans to any receiver with room; with no receiver bound, it gives
// the orphans back. batch is scratch space, returned for the next call.
func (gw *Gateway) pushBacklog(p *pusher, batch []sending) []sending {
	conns := gw.srv.Receivers(p.acct)
	p.mu.Lock()
	if p.backlogged == 0 {
		p.mu.Unlock()
		return batch
	}
	rs := p.receivers(conns, gw.cfg.Load().DeliverWindow)
	for _, r := range rs {
		if len(r.backlog) == 0 {
			continue
		}
		if !r.pinnable() {
			p.orphans = append(p.orphans, r.backlog...)
			r.backlog = nil
			continue
		}
		n := 0
		for n < len(r.backlog) && r.inflight < r.limit {
			batch = append(batch, r.take(r.backlog[n]))
			n++
		}
		p.backlogged -= n
		r.backlog = slices.Delete(r.backlog, 0, n)
	}
	n := 0
	for n < len(p.orphans) {
		r := p.pick(rs)
		if r == nil {
			break
		}
		batch = append(batch, r.take(p.orphans[n]))
		n++
	}
	p.backlogged -= n
	p.orphans = slices.Delete(p.orphans, 0, n)
	var lost []waiting
	if len(rs) == 0 {
		lost, p.orphans = p.orphans, nil
		p.backlogged -= len(lost)
	}
	p.mu.Unlock()
	for _, w := range lost {
		w.keep.Stop()
		gw.later(func() { gw.settleDelivery(p, w.c, errNoReceiver) })
	}
	return gw.sendDeliveries(batch)
}

// holding reports whether the pusher holds deliveries for binds.
func (p *pusher) holding() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.backlogged > 0
}

// drainBacklog sends the deliveries held for a bind that has room now, or
// the orphans: a bind answered while the pusher may be waiting in Claim.
func (gw *Gateway) drainBacklog(p *pusher) {
	if gw.ctx.Err() != nil {
		return // the pusher gives them back as it stops
	}
	gw.pushBacklog(p, nil)
}

// dropBacklog gives back, when the pusher stops, the deliveries it held for
// binds: at once, for the next start or another node.
func (gw *Gateway) dropBacklog(p *pusher) {
	p.mu.Lock()
	held := p.orphans
	p.orphans = nil
	for _, r := range p.rx {
		held = append(held, r.backlog...)
		r.backlog = nil
	}
	p.backlogged = 0
	p.mu.Unlock()
	for _, w := range held {
		w.keep.Stop()
		if err := w.c.Nak(0); err != nil && !errors.Is(err, dq.ErrClosed) {
			gw.log.Warn("deliveries: giving back a held delivery at shutdown", "err", err, "system_id", p.acct)
		}
	}
}
