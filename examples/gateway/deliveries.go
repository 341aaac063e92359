package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	// Named dq: the tests have a type named deliveries.
	dq "github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// Deliveries to ESMEs: receipts and MO messages wait in the deliveries
// part (store.DeliveryQueue) until an ESME bind of their account
// acknowledges them. Each account has a pusher that claims them there, as
// many as its bound receivers have room for, and sends them to those
// receivers, each through a window of its own, so that a slow, silent or
// deaf bind holds only what it was sent and never the deliveries of the
// other binds. A delivery is acked on its deliver_sm_resp and naked on a
// refusal (after refusedBackoff), a timeout or a bind gone (at once, to
// another bind, or another node): the pusher keeps no list of deliveries,
// only its claims.
//
// A receipt goes to the bind that submitted its message (its Bind, see
// bind_origin.go) while that bind is bound here and answering: it waits
// for room in that bind's window (in the bind's backlog, which counts
// against the room the pusher claims for, so that the other binds' claims
// go on and the backlog stays within the windows' sizes). Other deliveries
// (MO, receipts of a transmitter's or the HTTP API's messages) go to the
// receivers round robin, and so does a receipt whose bind is gone, or
// timed out a delivery (it is not answering). A receipt whose bind is
// another node's is given back (foreignBindBackoff) for that node's pusher
// to claim, until foreignBindWait after it was made; then any bind here
// takes it, so that none waits for a node that died or a bind that left it.

const (
	// pushBatchSize is the most deliveries a pusher claims at a time.
	pushBatchSize = 64
	// initialDeliverLimit is how many deliveries a receiver bind is sent
	// before its first answers: a bind that never answers holds no more
	// (until its deliveries time out and go to the other binds).
	initialDeliverLimit = 16
	// deliverTimeoutsToUnbind is how many deliveries in a row may time out
	// on a bind before the gateway unbinds it.
	deliverTimeoutsToUnbind = 3
	// refusedBackoff is how long a delivery an ESME refused waits before it
	// is handed out again (ESME_RTHROTTLED: its window is smaller than the
	// gateway's).
	refusedBackoff = 50 * time.Millisecond
	// defaultDeliverTimeout is the session's wait for a deliver_sm_resp
	// when deliver_timeout is zero.
	defaultDeliverTimeout = 30 * time.Second
	// foreignBindWait is how long after it was made a receipt for a bind of
	// another node is left to that node's pusher (given back after
	// foreignBindBackoff each time this node claims it) before this node
	// sends it to a bind of its own: the other node may be dead, or its
	// bind gone, or too busy to claim it.
	foreignBindWait = 3 * time.Second
	// foreignBindBackoff is how long a receipt given back for another
	// node's bind is left to the other nodes.
	foreignBindBackoff = 100 * time.Millisecond
)

// errNoReceiver gives back a claimed delivery that no bind could take (the
// binds went away while it was claimed).
var errNoReceiver = errors.New("no receiver bound")

// queueDelivery stores a deliver_sm for an account durably in the
// deliveries part, where the account's pusher claims it.
func (gw *Gateway) queueDelivery(acct string, d *pdu.DeliverSM) error {
	body, err := d.AppendBinary(nil)
	if err != nil {
		return err
	}
	// Where the account's deliver_to says: its binds, its webhook or both
	// (webhook_wiring.go).
	if err := gw.addDelivery(context.Background(), &store.Delivery{Account: acct, Body: body, Created: time.Now()}); err != nil {
		return err
	}
	gw.deliveryAdded(acct)
	return nil
}

// deliveryAdded is told of a delivery added to the deliveries part: the
// account's pusher, started if need be, claims it there.
func (gw *Gateway) deliveryAdded(acct string) { gw.pusherFor(acct) }

// pusher sends one account's deliveries to its bound receivers: it claims
// them from the deliveries part as the receivers' windows have room, and
// acks or naks each claim on the receiver's answer.
type pusher struct {
	acct    string
	kick    chan struct{}
	waiting atomic.Bool // every receiver's window is full: an answer wakes the pusher

	mu   sync.Mutex
	rx   map[*server.Conn]*receiver
	next int // round robin over the receivers
	// orphans are deliveries held for a bind (in its backlog) that went
	// away or stopped answering: they go to any receiver with room.
	orphans []waiting
	// backlogged counts the deliveries held (the receivers' backlogs and
	// the orphans): they take room that the pusher does not claim again.
	backlogged int
}

func newPusher(acct string) *pusher {
	return &pusher{acct: acct, kick: make(chan struct{}, 1), rx: map[*server.Conn]*receiver{}}
}

func (p *pusher) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
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

// push claims the account's deliveries while its receivers have room, and
// sends them; it waits for a receiver (or room) when there is none.
func (gw *Gateway) push(p *pusher) {
	defer gw.wg.Done()
	defer gw.dropBacklog(p)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var claims []dq.Claim
	var batch []sending
	for {
		batch = gw.pushBacklog(p, batch[:0])
		room := gw.pushRoom(p)
		if room == 0 {
			select {
			case <-gw.ctx.Done():
				return
			case <-p.kick:
			case <-t.C:
			}
			continue
		}
		// A Claim waits for a delivery to come; while deliveries are held
		// for binds, not for more than a second, so that the loop looks at
		// them again (their binds' answers send them as well, drainBacklog).
		ctx, cancel := gw.ctx, context.CancelFunc(func() {})
		if p.holding() {
			ctx, cancel = context.WithTimeout(gw.ctx, time.Second)
		}
		var err error
		claims, err = gw.store.DeliveryQueue().Claim(ctx, p.acct, claims[:0], min(room, pushBatchSize))
		cancel()
		if err != nil && ctx.Err() != nil && gw.ctx.Err() == nil {
			continue // the second is up
		}
		if err != nil {
			if gw.ctx.Err() == nil {
				gw.log.Error("deliveries: claiming an account's deliveries", "err", err, "system_id", p.acct)
				select {
				case <-gw.ctx.Done():
				case <-t.C:
				}
			}
			if gw.ctx.Err() != nil {
				return
			}
			continue
		}
		batch = gw.pushBatch(p, claims, batch[:0])
		clear(claims)
	}
}

// pushRoom returns how many more deliveries the account's receivers may
// have in flight, less those held for a bind (backlogs, orphans), and says
// that an answer must wake the pusher when none.
func (gw *Gateway) pushRoom(p *pusher) int {
	conns := gw.srv.Receivers(p.acct)
	if len(conns) == 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	room := 0
	for _, r := range p.receivers(conns, gw.cfg.Load().DeliverWindow) {
		if !r.unbinding && r.inflight < r.limit {
			room += r.limit - r.inflight
		}
	}
	room -= p.backlogged
	if room <= 0 {
		p.waiting.Store(true)
		return 0
	}
	return room
}

// sending is a delivery handed to a receiver.
type sending struct {
	c   dq.Claim
	pdu *pdu.DeliverSM
	r   *receiver
}

// pushBatch hands claimed deliveries to the receivers that have room and
// sends them: a receipt to the bind that submitted its message when that
// bind takes it (at once, or from its backlog once it has room), the
// others round robin. A receipt for another node's bind is given back for
// a while; deliveries no receiver takes (binds gone meanwhile) are naked.
// batch is scratch space, returned for the next call.
func (gw *Gateway) pushBatch(p *pusher, claims []dq.Claim, batch []sending) []sending {
	conns := gw.srv.Receivers(p.acct)
	lease := gw.store.DeliveryQueue().Lease()
	clustered := gw.cfg.Load().Cluster != nil
	p.mu.Lock()
	rs := p.receivers(conns, gw.cfg.Load().DeliverWindow)
	for _, c := range claims {
		d := c.Delivery()
		dsm := &pdu.DeliverSM{}
		if err := dsm.UnmarshalBinary(d.Body); err != nil {
			gw.log.Error("a stored delivery does not decode; dropping it", "system_id", p.acct, "seq", d.Seq, "err", err)
			gw.later(func() { gw.dropDelivery(p, c) })
			continue
		}
		if d.Bind != "" {
			if gw.bindIDs.own(d.Bind) {
				if r := pinnedTo(rs, d.Bind); r != nil {
					if r.inflight < r.limit && len(r.backlog) == 0 {
						r.inflight++
						batch = append(batch, sending{c, dsm, r})
					} else {
						r.backlog = append(r.backlog, waiting{c, dsm, keepLeased(c, lease/2)})
						p.backlogged++
					}
					continue
				}
				// Its bind is gone or not answering: any bind takes it.
			} else if clustered && time.Since(d.Created) < foreignBindWait {
				// Another node's bind: that node's pusher claims it.
				gw.later(func() { gw.giveBack(p, c) })
				continue
			}
		}
		var r *receiver
		if len(rs) > 0 {
			r = p.pick(rs)
		}
		if r == nil {
			gw.later(func() { gw.settleDelivery(p, c, errNoReceiver) })
			continue
		}
		r.inflight++
		batch = append(batch, sending{c, dsm, r})
	}
	p.mu.Unlock()
	return gw.sendDeliveries(batch)
}

// pinnedTo returns the receiver whose bind is id if it takes its own
// receipts, or nil. p.mu is held.
func pinnedTo(rs []*receiver, id string) *receiver {
	for _, r := range rs {
		if r.id == id && r.pinnable() {
			return r
		}
	}
	return nil
}

// sendDeliveries sends deliveries handed to their receivers (each counted
// in its receiver's inflight), and returns batch emptied.
func (gw *Gateway) sendDeliveries(batch []sending) []sending {
	if len(batch) == 0 {
		return batch
	}
	lease := gw.store.DeliveryQueue().Lease()
	extend := gw.deliverTimeout() >= lease/2
	for _, x := range batch {
		var keep *leaseKeeper
		if extend {
			keep = keepLeased(x.c, lease/2)
		}
		// No per-delivery context: a receiver never has more in flight than
		// the session's window (so this does not wait), and the session's
		// response timeout ends a delivery the ESME does not answer.
		f := x.r.c.DeliverAsync(context.Background(), x.pdu)
		p := x.r.p
		f.OnDone(func(_ *pdu.DeliverSMResp, err error) {
			keep.Stop()
			gw.delivered(p, x.r, x.c, err)
		})
	}
	clear(batch)
	return batch[:0]
}

// giveBack naks a receipt for another node's bind, for that node's pusher.
func (gw *Gateway) giveBack(p *pusher, c dq.Claim) {
	if err := c.Nak(foreignBindBackoff); err != nil {
		gw.log.Warn("deliveries: giving back a receipt for another node's bind", "err", err, "system_id", p.acct)
	}
}

// dropDelivery acks a delivery that does not decode: sent again, it would
// fail again.
func (gw *Gateway) dropDelivery(p *pusher, c dq.Claim) {
	if err := c.Ack(); err != nil {
		gw.log.Warn("deliveries: dropping a delivery that does not decode", "err", err, "system_id", p.acct)
	}
}

// deliverTimeout is how long a receiver may take to answer a delivery.
func (gw *Gateway) deliverTimeout() time.Duration {
	if d := gw.cfg.Load().DeliverTimeout.D(); d > 0 {
		return d
	}
	return defaultDeliverTimeout
}

// keepLeased extends a claim every period until the returned keeper is
// stopped: for a deliver_timeout that is not well within the lease, and
// for a delivery held for a bind.
func keepLeased(c dq.Claim, period time.Duration) *leaseKeeper {
	k := &leaseKeeper{}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.t = time.AfterFunc(period, func() {
		if c.Extend() != nil {
			return
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		if !k.stopped {
			k.t.Reset(period)
		}
	})
	return k
}

// leaseKeeper is keepLeased's timer. Once stopped it extends no more, even
// when Stop comes while it extends (a timer's Stop alone would not keep
// its function from setting it again).
type leaseKeeper struct {
	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

// Stop stops the extensions. A nil keeper is none.
func (k *leaseKeeper) Stop() {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	k.t.Stop()
}
