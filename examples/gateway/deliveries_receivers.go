package main

import (
	"context"
	"errors"
	"time"

	dq "github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// A pusher's receivers (deliveries.go): each bound receiver's window of
// deliveries in flight, grown and shrunk by its answers, which settle the
// claims; a bind whose deliveries keep timing out is unbound.

// receiver is a pusher's view of one bound receiver: what it has in flight
// and how much it may have. The limit starts small, doubles with each
// limit's worth of accepted deliveries up to the session's window, and
// after a refusal comes down to what is still in flight, then grows by one
// per limit's worth (by about one per round trip). Guarded by pusher.mu.
type receiver struct {
	c         *server.Conn
	p         *pusher
	id        string    // the bind's id (bindIDOf); "" for one no receipt is pinned to
	backlog   []waiting // its own receipts, waiting for room in its window
	inflight  int
	limit     int
	credit    int  // accepted since the limit last grew
	refused   bool // a refusal ended the doubling
	timeouts  int  // deliveries in a row that timed out
	unbinding bool
}

// take moves a held delivery in flight to r. p.mu is held.
func (r *receiver) take(w waiting) sending {
	w.keep.Stop()
	r.inflight++
	return sending{w.c, w.pdu, r}
}

// pinnable reports whether the bind takes its own receipts: it is bound
// and answers its deliveries. p.mu is held.
func (r *receiver) pinnable() bool { return !r.unbinding && r.timeouts == 0 }

// receivers brings p.rx in line with the bound receivers and returns their
// states in bind order. p.mu is held.
func (p *pusher) receivers(conns []*server.Conn, window int) []*receiver {
	rs := make([]*receiver, 0, len(conns))
	for _, c := range conns {
		r := p.rx[c]
		if r == nil {
			r = &receiver{c: c, p: p, id: bindIDOf(c), limit: min(initialDeliverLimit, window)}
			p.rx[c] = r
		}
		rs = append(rs, r)
	}
	if len(p.rx) > len(rs) {
		// Forget the binds that went away (their answers still find their
		// state through the callbacks).
		live := make(map[*server.Conn]bool, len(rs))
		for _, r := range rs {
			live[r.c] = true
		}
		for c, r := range p.rx {
			if !live[c] {
				// What it held goes to the other binds.
				p.orphans = append(p.orphans, r.backlog...)
				r.backlog = nil
				delete(p.rx, c)
			}
		}
	}
	for _, r := range rs {
		r.limit = min(r.limit, window)
	}
	return rs
}

// pick returns the next receiver in turn with room in its window, or nil.
// p.mu is held.
func (p *pusher) pick(rs []*receiver) *receiver {
	for range rs {
		r := rs[p.next%len(rs)]
		p.next++
		if r.inflight < r.limit && !r.unbinding {
			return r
		}
	}
	return nil
}

// delivered records a receiver's answer to a delivery. It runs on the
// connection's read loop: the claim is settled there when that returns at
// once (settlesAtOnce), by a completion worker otherwise.
func (gw *Gateway) delivered(p *pusher, r *receiver, c dq.Claim, err error) {
	window := gw.cfg.Load().DeliverWindow
	var st pdu.Status
	refused := errors.As(err, &st)
	timedOut := errors.Is(err, server.ErrTimeout)
	p.mu.Lock()
	r.inflight--
	unbind := false
	switch {
	case err == nil:
		r.timeouts = 0
		if r.credit++; r.credit >= r.limit && r.limit < window {
			r.credit = 0
			if r.refused {
				r.limit++
			} else {
				r.limit = min(2*r.limit, window)
			}
		}
	case timedOut:
		// A bind that does not answer: the delivery goes to another one at
		// once, this one is sent one at a time, and after a few in a row
		// it is unbound.
		gw.metrics.deliveryFailed.WithLabelValues(p.acct, "timeout").Inc()
		r.limit, r.credit = 1, 0
		r.timeouts++
		if r.timeouts >= deliverTimeoutsToUnbind && !r.unbinding {
			r.unbinding, unbind = true, true
		}
	case refused:
		// Refused by the ESME (ESME_RTHROTTLED: its window is smaller than
		// ours; or it asks for a later delivery): fewer in flight.
		r.limit, r.credit, r.refused = max(1, r.inflight), 0, true
	}
	// A bind with deliveries held for it has room now (or is not
	// answering: they go to the others).
	held := len(r.backlog) > 0 || len(p.orphans) > 0
	p.mu.Unlock()

	if gw.settlesAtOnce() {
		gw.settleDelivery(p, c, err)
	} else {
		gw.later(func() { gw.settleDelivery(p, c, err) })
	}
	if unbind {
		gw.unbindDeaf(r.c, p.acct)
	}
	if held {
		gw.later(func() { gw.drainBacklog(p) })
	}
	if p.waiting.Swap(false) {
		p.wake()
	}
}

// settlesAtOnce reports whether settling a delivery's claim returns
// without waiting: on one node (deliveries.Pebble) an ack or a nak is a
// change in memory, the acked deliveries leaving the disk in batches
// later; a cluster's queue asks its servers.
func (gw *Gateway) settlesAtOnce() bool {
	_, ok := gw.store.DeliveryQueue().(*dq.Pebble)
	return ok
}

// settleDelivery acks a delivery answered (err nil) and naks one refused (after
// refusedBackoff) or not answered (at once: another bind takes it).
func (gw *Gateway) settleDelivery(p *pusher, c dq.Claim, err error) {
	var st pdu.Status
	switch {
	case err == nil:
		if err := c.Ack(); err != nil {
			// Handed out again if it comes back: at least once.
			gw.log.Warn("deliveries: acking an acknowledged delivery", "err", err, "system_id", p.acct)
			return
		}
		gw.metrics.deliveredBy.with(labels{p.acct}).Inc()
	case errors.As(err, &st):
		if err := c.Nak(refusedBackoff); err != nil {
			gw.log.Warn("deliveries: giving back a refused delivery", "err", err, "system_id", p.acct)
		}
	default:
		if err := c.Nak(0); err != nil {
			gw.log.Warn("deliveries: giving back an unanswered delivery", "err", err, "system_id", p.acct)
		}
	}
}

// unbindDeaf unbinds a receiver whose deliveries keep timing out.
func (gw *Gateway) unbindDeaf(c *server.Conn, acct string) {
	gw.log.Warn("unbinding an ESME that does not answer its deliveries", "system_id", acct, "remote", c.RemoteAddr().String(), "timeouts", deliverTimeoutsToUnbind)
	gw.wg.Add(1)
	go func() {
		defer gw.wg.Done()
		ctx, cancel := context.WithTimeout(gw.ctx, 5*time.Second)
		defer cancel()
		if err := c.Unbind(ctx); err != nil {
			gw.log.Info("closing an ESME that did not answer its unbind", "system_id", acct, "err", err)
		}
		if err := c.Close(); err != nil {
			gw.log.Debug("closing an unbound ESME", "system_id", acct, "err", err)
		}
	}()
}
