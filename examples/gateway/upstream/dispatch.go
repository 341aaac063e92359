package upstream

import (
	"context"
	"errors"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// dispatchLoop claims the queue's tickets and resolves each by the claim
// protocol (see the package documentation): the message's record, read at
// claim time, decides what the ticket means.
func (d *Dispatcher) dispatchLoop() {
	defer d.dispatchWG.Done()
	var cs []queue.Claim
	for {
		// While no SMSC at all is bound, nothing could be sent: the
		// tickets wait in the queue rather than cycle through naks.
		if !d.waitForUpstream() {
			return
		}
		// A cluster node without the quorum claims nothing: the tickets
		// are the majority's to send.
		if d.fenced() {
			select {
			case <-d.dispatching.Done():
				return
			case <-time.After(fencedPause):
			}
			continue
		}
		var err error
		cs, err = d.queue.Claim(d.dispatching, cs[:0], claimBatch)
		switch {
		case d.dispatching.Err() != nil, errors.Is(err, queue.ErrClosed):
			return
		case err != nil:
			d.storeFailed("claiming queued messages", "", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for i, c := range cs {
			d.dispatch(c)
			cs[i] = nil
		}
	}
}

// dispatch resolves one claimed ticket against the message's record: it
// sends the message upstream, finishes it, or gives the ticket back for
// later. The ticket is acked only once the message no longer needs it.
func (d *Dispatcher) dispatch(c queue.Claim) {
	t := c.Ticket()
	for {
		m, err := d.store.Get(t.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Purged: final long ago.
			d.ack(c, t.ID)
			return
		case err != nil:
			d.storeFailed("reading a queued message", t.ID, err)
			d.nak(c, t.ID, time.Second)
			return
		case m.Rev < t.Rev:
			// The reader is behind the writer (a replica): look again.
			d.nak(c, t.ID, 50*time.Millisecond)
			return
		case m.State.Final(), m.State == store.Enroute:
			d.ack(c, t.ID)
			return
		case m.State == store.Inflight && d.routes.Dedupe(m.Route) == 0:
			// Handed out again while in flight: its claimer's lease ended
			// (the gateway stopped). Crash policy: without a dedupe key the
			// upstream cannot tell a resend, so it is never sent again.
			d.log.Warn("message was in flight upstream when its claim ended and its upstream has no dedupe key: marking UNKNOWN, not resending", "id", m.ID, "upstream", m.Route)
			d.settle(c, m, store.Unknown, "UNKNOWN", 0)
			return
		}
		// Queued, or Inflight towards an upstream with a dedupe key: sent
		// again with the same key, the upstream answers with the id it gave.
		now := time.Now()
		if !m.Expires.IsZero() && now.After(m.Expires) {
			d.settle(c, m, store.Expired, "EXPIRED", 0)
			return
		}
		if m.NextTry.After(now) {
			// Scheduled (schedule_delivery_time, or a replace_sm that moved
			// it): the record, not the ticket, says when.
			d.nak(c, t.ID, m.NextTry.Sub(now))
			return
		}
		u := d.pick(m)
		if u == nil {
			d.nak(c, t.ID, noUpstreamDelay(m, c))
			return
		}
		sm, err := decodeRequest(m, u.dedupe)
		if err != nil {
			d.log.Error("a stored message cannot be decoded; rejected", "id", m.ID, "err", err)
			d.settle(c, m, store.Rejected, "REJECTD", 0)
			return
		}
		m.State, m.Route, m.Attempts = store.Inflight, u.name, m.Attempts+1
		// Without a dedupe key the Inflight mark is on disk before the
		// submit leaves: after a crash such a message is never sent again.
		// With one, a crash may forget the mark: the message is sent again
		// with its key.
		if u.dedupe == 0 {
			err = d.store.Update(m)
		} else {
			err = d.store.Mark(m)
		}
		if errors.Is(err, store.ErrConflict) {
			continue // a cancel_sm or a replace_sm got there first
		}
		if err != nil {
			d.storeFailed("marking a message in flight", m.ID, err)
			d.nak(c, t.ID, retryDelay(m))
			return
		}
		if d.claimExtend > 0 {
			// A cluster's lease is short: renewed while the upstream answers.
			c = keepClaimed(c, d.claimExtend)
		}
		d.send(u, m, sm, c)
		return
	}
}

// outgoing is a request on its way to an SMSC, with room for its TLVs and
// its dedupe key: one allocation per send.
type outgoing[P any] struct {
	p    P
	tlvs [4]tlv.Field
	key  [24]byte
}

// decodeRequest decodes a stored message's request as it goes to an SMSC:
// without its schedule_delivery_time (the gateway held it until then; a
// relative time would count again from here), and with the message id as
// the value of the dedupe TLV when the SMSC has one (0: none).
func decodeRequest(m *store.Message, dedupe tlv.Tag) (pdu.PDU, error) {
	if pdu.CommandID(m.Command) == pdu.DataSMID {
		o := &outgoing[pdu.DataSM]{}
		o.p.TLVs = o.tlvs[:0]
		if err := o.p.UnmarshalBinary(m.Body); err != nil {
			return nil, err
		}
		setDedupe(&o.p.TLVs, dedupe, o.key[:0], m.ID)
		return &o.p, nil
	}
	o := &outgoing[pdu.SubmitSM]{}
	o.p.TLVs = o.tlvs[:0]
	if err := o.p.UnmarshalBinary(m.Body); err != nil {
		return nil, err
	}
	o.p.ScheduleDeliveryTime = ""
	setDedupe(&o.p.TLVs, dedupe, o.key[:0], m.ID)
	return &o.p, nil
}

// setDedupe sets the dedupe TLV (none when 0) to the message id and a NUL,
// written in buf.
func setDedupe(l *tlv.List, dedupe tlv.Tag, buf []byte, id string) {
	if dedupe != 0 {
		l.Set(dedupe, append(append(buf, id...), 0))
	}
}

// send submits m, decoded as it goes to u (decodeRequest), to u and records
// the answer (answered): an acceptance on the client's read loop, which
// does not wait for it, anything else on a completion worker (Later).
func (d *Dispatcher) send(u *SMSC, m *store.Message, sm pdu.PDU, c queue.Claim) {
	sent := time.Now()
	// No per-request context: Stop closes the clients, which completes
	// whatever is in flight, and a cancellable context would cost every
	// submit a registration with it.
	ctx := context.Background()
	switch p := sm.(type) {
	case *pdu.SubmitSM:
		u.c.SubmitAsync(ctx, p).OnDone(func(r *pdu.SubmitSMResp, err error) {
			id := ""
			if r != nil {
				id = r.MessageID
			}
			d.answer(u, m, c, id, err, sent)
		})
	case *pdu.DataSM:
		u.c.DataSMAsync(ctx, p).OnDone(func(r *pdu.DataSMResp, err error) {
			id := ""
			if r != nil {
				id = r.MessageID
			}
			d.answer(u, m, c, id, err, sent)
		})
	}
}

// answer records an answer on the client's read loop, where it runs: an
// acceptance at once (its write does not wait), anything else, which writes
// and waits, on a completion worker.
func (d *Dispatcher) answer(u *SMSC, m *store.Message, c queue.Claim, id string, err error, sent time.Time) {
	if err != nil {
		d.later(func() { d.answered(u, m, c, id, err, sent) })
		return
	}
	d.answered(u, m, c, id, nil, sent)
}

// pick returns the first SMSC of the message's route that has a bind up.
func (d *Dispatcher) pick(m *store.Message) *SMSC {
	names := d.routes.Route(m.Account, m.Source, m.Dest)
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, n := range names {
		u := d.smscs[n]
		if u != nil && u.up.Load() > 0 {
			return u
		}
	}
	return nil
}
