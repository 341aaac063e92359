package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// Deliveries to ESMEs: receipts and MO messages wait in the store until an
// ESME bind of their account acknowledges them. Each account has a pusher
// that sends them to the account's bound receivers, each through a window
// of its own, so that a slow, silent or deaf bind holds only what it was
// sent and never the deliveries of the other binds.

const (
	// maxHeld bounds the deliveries a pusher keeps in memory; beyond it
	// they stay only in the store and are read back when there is room.
	maxHeld = 200000
	// pushBatchSize is how many deliveries a pusher hands out at a time.
	pushBatchSize = 64
	// initialDeliverLimit is how many deliveries a receiver bind is sent
	// before its first answers: a bind that never answers holds no more
	// (until its deliveries time out and go to the other binds).
	initialDeliverLimit = 16
	// deliverTimeoutsToUnbind is how many deliveries in a row may time out
	// on a bind before the gateway unbinds it.
	deliverTimeoutsToUnbind = 3
	// refusedBackoff is how long a pusher waits after an ESME refused a
	// delivery (ESME_RTHROTTLED: its window is smaller than the gateway's).
	refusedBackoff = 50 * time.Millisecond
)

// queueDelivery stores a deliver_sm for an account durably and hands it to
// the account's pusher.
func (gw *Gateway) queueDelivery(acct string, d *pdu.DeliverSM) error {
	body, err := d.AppendBinary(nil)
	if err != nil {
		return err
	}
	sd := &store.Delivery{Account: acct, Body: body, Created: time.Now()}
	if err := gw.store.AddDelivery(sd); err != nil {
		return err
	}
	gw.pusherFor(acct).add(sd, d)
	return nil
}

// held is a delivery in a pusher's memory: as stored, and decoded.
type held struct {
	d   *store.Delivery
	pdu *pdu.DeliverSM
}

// pusher sends one account's deliveries to its bound receivers.
//
// Every delivery is in the store from before it is handed to the pusher
// until the ESME acknowledged it and its removal was written. The pusher
// holds in memory the deliveries it knows (queued, in flight, or being
// removed); when there are too many, or before it first read the store, the
// others are only in the store, from Seq spillFrom on, and are read back
// when the queue runs dry. A delivery is never loaded or queued while it
// is known or was delivered recently (gone), so none is sent twice: a
// reading of the store works on a snapshot that may still have one
// removed since, and a delivery is handed to add after its write, when a
// reading may have taken it, and the ESME acknowledged it, already.
type pusher struct {
	acct     string
	kick     chan struct{}
	retrying atomic.Bool // a wake is scheduled after a refused delivery
	waiting  atomic.Bool // every receiver's window is full: an answer wakes the pusher

	mu        sync.Mutex
	queue     []held              // waiting to be sent, oldest first
	known     map[uint64]struct{} // Seqs in memory: queued, in flight, or being removed
	spilled   bool                // deliveries from spillFrom on may be only in the store
	spillFrom uint64
	loading   bool // loadDeliveries is reading the store
	// gone remembers the Seqs acknowledged and removed, oldest first in
	// goneOrder: the last goneMemory, and all of those removed while the
	// store is being read.
	gone      map[uint64]struct{}
	goneOrder []uint64
	rx        map[*server.Conn]*receiver
	next      int // round robin over the receivers
}

// receiver is a pusher's view of one bound receiver: what it has in flight
// and how much it may have. The limit starts small, doubles with each
// limit's worth of accepted deliveries up to the session's window, and
// after a refusal comes down to what is still in flight, then grows by one
// per limit's worth (by about one per round trip). Guarded by pusher.mu.
type receiver struct {
	c         *server.Conn
	inflight  int
	limit     int
	credit    int  // accepted since the limit last grew
	refused   bool // a refusal ended the doubling
	timeouts  int  // deliveries in a row that timed out
	unbinding bool
}

func newPusher(acct string) *pusher {
	return &pusher{acct: acct, kick: make(chan struct{}, 1), known: map[uint64]struct{}{}, gone: map[uint64]struct{}{},
		rx: map[*server.Conn]*receiver{},
		// Until the store was read, every delivery may be there only.
		spilled: true}
}

// add takes a delivery that was just stored.
func (p *pusher) add(d *store.Delivery, dsm *pdu.DeliverSM) {
	p.mu.Lock()
	if p.isKnown(d.Seq) {
		// A reading of the store that ran between its write and this call
		// took it already (and it may even have been delivered since).
		p.mu.Unlock()
		return
	}
	if p.spilled || p.loading || len(p.known) >= maxHeld {
		// A reading of the store may or may not see it: the next one will.
		p.spill(d.Seq)
	} else {
		p.queue = append(p.queue, held{d, dsm})
		p.known[d.Seq] = struct{}{}
	}
	p.mu.Unlock()
	p.wake()
}

// spill records that the delivery seq may be only in the store. p.mu is held.
func (p *pusher) spill(seq uint64) {
	if !p.spilled || seq < p.spillFrom {
		p.spillFrom = seq
	}
	p.spilled = true
}

func (p *pusher) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// retrySoon wakes the pusher after refusedBackoff, once for all the
// deliveries refused meanwhile.
func (p *pusher) retrySoon() {
	if p.retrying.CompareAndSwap(false, true) {
		time.AfterFunc(refusedBackoff, func() {
			p.retrying.Store(false)
			p.wake()
		})
	}
}

// putBack returns deliveries taken from the queue to its front.
func (p *pusher) putBack(hs ...held) {
	if len(hs) == 0 {
		return
	}
	p.mu.Lock()
	p.queue = append(append(make([]held, 0, len(hs)+len(p.queue)), hs...), p.queue...)
	p.mu.Unlock()
}

// goneMemory is how many acknowledged deliveries a pusher remembers.
const goneMemory = 1 << 16

// forget drops a delivery whose removal from the store was written.
func (p *pusher) forget(seq uint64) {
	p.mu.Lock()
	delete(p.known, seq)
	p.gone[seq] = struct{}{}
	p.goneOrder = append(p.goneOrder, seq)
	p.trimGone()
	p.mu.Unlock()
}

// trimGone forgets the oldest acknowledged deliveries beyond goneMemory,
// except while the store is being read. p.mu is held.
func (p *pusher) trimGone() {
	if p.loading {
		return
	}
	for len(p.goneOrder) > goneMemory {
		delete(p.gone, p.goneOrder[0])
		p.goneOrder = p.goneOrder[1:]
	}
}

// isKnown reports whether the pusher holds the delivery seq, or delivered
// it recently. p.mu is held.
func (p *pusher) isKnown(seq uint64) bool {
	if _, ok := p.known[seq]; ok {
		return true
	}
	_, ok := p.gone[seq]
	return ok
}

// pusherFor returns the account's pusher, starting it on first use.
func (gw *Gateway) pusherFor(acct string) *pusher {
	gw.pushMu.Lock()
	defer gw.pushMu.Unlock()
	p := gw.pushers[acct]
	if p == nil {
		p = newPusher(acct)
		gw.pushers[acct] = p
		gw.wg.Add(1)
		go gw.push(p)
	}
	return p
}

// kickDeliveries wakes an account's pusher (a receiver bound).
func (gw *Gateway) kickDeliveries(acct string) { gw.pusherFor(acct).wake() }

// loadDeliveries reads into memory the account's deliveries that may be
// only in the store, as many as there is room for.
func (gw *Gateway) loadDeliveries(p *pusher) error {
	p.mu.Lock()
	if !p.spilled || p.loading {
		p.mu.Unlock()
		return nil
	}
	from, room := p.spillFrom, maxHeld-len(p.known)
	p.spilled, p.loading = false, true
	p.mu.Unlock()

	var batch []held
	var bad []uint64
	var rest uint64 // the first Seq not read for want of room; 0 if all were
	err := gw.store.Deliveries(p.acct, from, func(d *store.Delivery) bool {
		p.mu.Lock()
		known := p.isKnown(d.Seq)
		p.mu.Unlock()
		if known {
			return true
		}
		if len(batch) >= room {
			rest = d.Seq
			return false
		}
		dsm := &pdu.DeliverSM{}
		if err := dsm.UnmarshalBinary(d.Body); err != nil {
			bad = append(bad, d.Seq)
			return true
		}
		batch = append(batch, held{d, dsm})
		return true
	})
	p.mu.Lock()
	p.loading = false
	for _, h := range batch {
		p.known[h.d.Seq] = struct{}{}
	}
	p.trimGone()
	p.queue = append(p.queue, batch...)
	if err != nil {
		p.spill(from) // read it all again next time
	} else if rest != 0 {
		p.spill(rest)
	}
	p.mu.Unlock()
	for _, seq := range bad {
		gw.log.Error("a stored delivery does not decode; dropping it", "system_id", p.acct, "seq", seq)
		if err := gw.store.RemoveDelivery(p.acct, seq); err != nil {
			gw.log.Error("store: removing an undecodable delivery", "err", err, "system_id", p.acct, "seq", seq)
		}
	}
	return err
}

func (gw *Gateway) push(p *pusher) {
	defer gw.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var batch []sending
	for {
		select {
		case <-gw.ctx.Done():
			return
		case <-p.kick:
		case <-t.C:
		}
		for gw.pushBatch(p, &batch) {
		}
	}
}

// sending is a delivery handed to a receiver.
type sending struct {
	h held
	r *receiver
}

// pushBatch hands a batch of the queue to the receivers that have room
// (reading the store first when the queue is dry and deliveries are there
// only), sends it, and reports whether to go on with the next batch. It
// stops when nobody receives, nothing is queued, or every receiver's window
// is full (an answer wakes the pusher). batch is its scratch space.
func (gw *Gateway) pushBatch(p *pusher, batch *[]sending) bool {
	conns := gw.srv.Receivers(p.acct)
	if len(conns) == 0 {
		return false
	}
	p.mu.Lock()
	if len(p.queue) == 0 {
		spilled := p.spilled
		p.mu.Unlock()
		if !spilled {
			return false
		}
		if err := gw.loadDeliveries(p); err != nil {
			gw.log.Error("store: reading deliveries back", "err", err, "system_id", p.acct)
			return false
		}
		p.mu.Lock()
		more := len(p.queue) > 0
		p.mu.Unlock()
		return more
	}
	rs := p.receivers(conns, gw.cfg.Load().DeliverWindow)
	*batch = (*batch)[:0]
	for len(*batch) < pushBatchSize && len(p.queue) > 0 {
		r := p.pick(rs)
		if r == nil {
			p.waiting.Store(true)
			break
		}
		r.inflight++
		*batch = append(*batch, sending{p.queue[0], r})
		p.queue[0] = held{}
		p.queue = p.queue[1:]
	}
	more := len(p.queue) > 0 && len(*batch) == pushBatchSize
	p.mu.Unlock()

	for _, x := range *batch {
		// No per-delivery context: a receiver never has more in flight than
		// the session's window (so this does not wait), and the session's
		// response timeout ends a delivery the ESME does not answer.
		f := x.r.c.DeliverAsync(context.Background(), x.h.pdu)
		f.OnDone(func(_ *pdu.DeliverSMResp, err error) { gw.delivered(p, x.r, x.h, err) })
		if _, err := f.Result(); err != nil {
			// The callback took it back; the receivers are looked at again
			// at the next wake.
			more = false
		}
	}
	clear(*batch)
	return more
}

// receivers brings p.rx in line with the bound receivers and returns their
// states in bind order. p.mu is held.
func (p *pusher) receivers(conns []*server.Conn, window int) []*receiver {
	rs := make([]*receiver, 0, len(conns))
	for _, c := range conns {
		r := p.rx[c]
		if r == nil {
			r = &receiver{c: c, limit: min(initialDeliverLimit, window)}
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
		for c := range p.rx {
			if !live[c] {
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

// delivered records a receiver's answer to a delivery.
func (gw *Gateway) delivered(p *pusher, r *receiver, h held, err error) {
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
	p.mu.Unlock()

	switch {
	case err == nil:
		gw.later(func() {
			if err := gw.store.RemoveDelivery(p.acct, h.d.Seq); err != nil {
				// It stays known, so this process does not send it again;
				// a restart does (at least once).
				gw.storeFailed("removing an acknowledged delivery", p.acct, err)
				return
			}
			p.forget(h.d.Seq)
			gw.metrics.delivered.WithLabelValues(p.acct).Inc()
		})
	case refused:
		p.putBack(h)
		p.retrySoon()
	default:
		// Timed out, or the bind is gone: to another bind now.
		p.putBack(h)
		p.wake()
	}
	if unbind {
		gw.unbindDeaf(r.c, p.acct)
	}
	if p.waiting.Swap(false) {
		p.wake()
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
