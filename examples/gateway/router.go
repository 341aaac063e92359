package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

const (
	dispatchers = 4
	claimBatch  = 64
	// claimLease is how long a dispatcher holds a message's ticket before
	// the queue hands it out again: far longer than an upstream takes to
	// answer, so that only a claimer that is gone loses its claim (on one
	// node, a restart ends every lease at once).
	claimLease = 10 * time.Minute
	// maxQueued is the most messages waiting for an upstream; beyond it a
	// submission is refused with ESME_RMSGQFUL. Memory holds only the
	// first of them (queue.PebbleOptions.MaxHeld); the rest wait on disk.
	maxQueued    = 10_000_000
	maxBackoff   = 30 * time.Second
	retryBackoff = 250 * time.Millisecond
)

// routeFor returns the upstreams for a destination, in failover order.
func (gw *Gateway) routeFor(acct, src, dst string) []string {
	d := strings.TrimPrefix(dst, "+")
	for _, r := range gw.cfg.Load().Routes {
		if r.Account != "" && r.Account != acct {
			continue
		}
		if r.Source != "" && !strings.HasPrefix(src, r.Source) {
			continue
		}
		if strings.HasPrefix(d, strings.TrimPrefix(r.Prefix, "+")) {
			return r.Upstreams
		}
	}
	return nil
}

// dispatchLoop claims the queue's tickets and resolves each by the claim
// protocol (see package queue): the message's record, read at claim time,
// decides what the ticket means.
func (gw *Gateway) dispatchLoop() {
	defer gw.dispatchWG.Done()
	q := gw.store.Queue()
	var cs []queue.Claim
	for {
		// While no upstream at all is bound, nothing could be sent: the
		// tickets wait in the queue rather than cycle through naks.
		if !gw.waitForUpstream() {
			return
		}
		// A cluster node without the quorum claims nothing: the tickets
		// are the majority's to send (cluster_quorum.go).
		if gw.fenced() {
			select {
			case <-gw.dispatching.Done():
				return
			case <-time.After(fencedPause):
			}
			continue
		}
		var err error
		cs, err = q.Claim(gw.dispatching, cs[:0], claimBatch)
		switch {
		case gw.dispatching.Err() != nil, errors.Is(err, queue.ErrClosed):
			return
		case err != nil:
			gw.storeFailed("claiming queued messages", "", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for i, c := range cs {
			gw.dispatch(c)
			cs[i] = nil
		}
	}
}

// dispatch resolves one claimed ticket against the message's record: it
// sends the message upstream, finishes it, or gives the ticket back for
// later. The ticket is acked only once the message no longer needs it.
func (gw *Gateway) dispatch(c queue.Claim) {
	t := c.Ticket()
	for {
		m, err := gw.store.Get(t.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Purged: final long ago.
			gw.ack(c, t.ID)
			return
		case err != nil:
			gw.storeFailed("reading a queued message", t.ID, err)
			gw.nak(c, t.ID, time.Second)
			return
		case m.Rev < t.Rev:
			// The reader is behind the writer (a replica): look again.
			gw.nak(c, t.ID, 50*time.Millisecond)
			return
		case m.State.Final(), m.State == store.Enroute:
			gw.ack(c, t.ID)
			return
		case m.State == store.Inflight && gw.dedupeOf(m.Route) == 0:
			// Handed out again while in flight: its claimer's lease ended
			// (the gateway stopped). Crash policy: without a dedupe key the
			// upstream cannot tell a resend, so it is never sent again.
			gw.log.Warn("message was in flight upstream when its claim ended and its upstream has no dedupe key: marking UNKNOWN, not resending", "id", m.ID, "upstream", m.Route)
			gw.settle(c, m, store.Unknown, "UNKNOWN", 0)
			return
		}
		// Queued, or Inflight towards an upstream with a dedupe key: sent
		// again with the same key, the upstream answers with the id it gave.
		now := time.Now()
		if !m.Expires.IsZero() && now.After(m.Expires) {
			gw.settle(c, m, store.Expired, "EXPIRED", 0)
			return
		}
		if m.NextTry.After(now) {
			// Scheduled (schedule_delivery_time, or a replace_sm that moved
			// it): the record, not the ticket, says when.
			gw.nak(c, t.ID, m.NextTry.Sub(now))
			return
		}
		u := gw.pickUpstream(m)
		if u == nil {
			gw.nak(c, t.ID, gw.noUpstreamDelay(m, c))
			return
		}
		sm, err := decodeRequest(m)
		if err != nil {
			gw.log.Error("a stored message cannot be decoded; rejected", "id", m.ID, "err", err)
			gw.settle(c, m, store.Rejected, "REJECTD", 0)
			return
		}
		m.State, m.Route, m.Attempts = store.Inflight, u.name, m.Attempts+1
		// Without a dedupe key the Inflight mark is on disk before the
		// submit leaves: after a crash such a message is never sent again.
		// With one, a crash may forget the mark: the message is sent again
		// with its key.
		if u.dedupe == 0 {
			err = gw.store.Update(m)
		} else {
			err = gw.store.Mark(m)
		}
		if errors.Is(err, store.ErrConflict) {
			continue // a cancel_sm or a replace_sm got there first
		}
		if err != nil {
			gw.storeFailed("marking a message in flight", m.ID, err)
			gw.nak(c, t.ID, retryDelay(m))
			return
		}
		if gw.claimExtend > 0 {
			// A cluster's lease is short: renewed while the upstream answers.
			c = keepClaimed(c, gw.claimExtend)
		}
		gw.send(u, m, sm, c)
		return
	}
}

// decodeRequest decodes a stored message's request.
func decodeRequest(m *store.Message) (pdu.PDU, error) {
	switch pdu.CommandID(m.Command) {
	case pdu.DataSMID:
		d := &pdu.DataSM{}
		return d, d.UnmarshalBinary(m.Body)
	default:
		s := &pdu.SubmitSM{}
		return s, s.UnmarshalBinary(m.Body)
	}
}

// send submits m to u, with u's dedupe key, and records the answer on a
// completion worker.
func (gw *Gateway) send(u *upstream, m *store.Message, sm pdu.PDU, c queue.Claim) {
	if p, ok := sm.(*pdu.SubmitSM); ok {
		// The gateway held it until its schedule_delivery_time: it goes
		// now (a relative time would count again from here).
		p.ScheduleDeliveryTime = ""
	}
	if u.dedupe != 0 {
		key := append([]byte(m.ID), 0)
		switch p := sm.(type) {
		case *pdu.SubmitSM:
			p.TLVs.Set(u.dedupe, key)
		case *pdu.DataSM:
			p.TLVs.Set(u.dedupe, key)
		}
	}
	sent := time.Now()
	// No per-request context: stop closes the upstream clients, which
	// completes whatever is in flight, and a cancellable context would cost
	// every submit a registration with it.
	ctx := context.Background()
	switch p := sm.(type) {
	case *pdu.SubmitSM:
		u.c.SubmitAsync(ctx, p).OnDone(func(r *pdu.SubmitSMResp, err error) {
			id := ""
			if r != nil {
				id = r.MessageID
			}
			// This runs on the upstream's read loop: the store writes go to
			// the completion workers.
			gw.later(func() { gw.upstreamDone(u, m, c, id, err, sent) })
		})
	case *pdu.DataSM:
		u.c.DataSMAsync(ctx, p).OnDone(func(r *pdu.DataSMResp, err error) {
			id := ""
			if r != nil {
				id = r.MessageID
			}
			gw.later(func() { gw.upstreamDone(u, m, c, id, err, sent) })
		})
	}
}

// pickUpstream returns the first upstream of the message's route that has a
// bind up.
func (gw *Gateway) pickUpstream(m *store.Message) *upstream {
	names := gw.routeFor(m.Account, m.Source, m.Dest)
	gw.upMu.RLock()
	defer gw.upMu.RUnlock()
	for _, n := range names {
		u := gw.upstreams[n]
		if u != nil && u.up.Load() > 0 {
			return u
		}
	}
	return nil
}

// dedupeOf returns the dedupe TLV of the upstream named, 0 for none.
func (gw *Gateway) dedupeOf(name string) uint16 {
	for _, uc := range gw.cfg.Load().Upstreams {
		if uc.Name == name {
			return uc.DedupeTLV
		}
	}
	return 0
}

// upstreamDone records the upstream's answer to a submit of m (as sent,
// Inflight) and then acks or naks its claim.
func (gw *Gateway) upstreamDone(u *upstream, m *store.Message, c queue.Claim, upstreamID string, err error, sent time.Time) {
	gw.metrics.observeUpstream(u.name, time.Since(sent))
	st := pdu.StatusOf(err)
	if err == nil {
		st = pdu.ESME_ROK
	}
	gw.metrics.upstreamSubmits.WithLabelValues(u.name, st.String()).Inc()
	switch {
	case err == nil:
		m.State, m.UpstreamID = store.Enroute, upstreamID
		err := gw.mapUpstream(m, pdu.NormalizeMessageID(upstreamID))
		switch {
		case errors.Is(err, store.ErrConflict):
			// The record moved on while this send was in flight: a receipt
			// of an earlier send made it final. This answer is stale.
			gw.log.Debug("late answer to a message sent more than once; its newer state stands", "id", m.ID, "upstream", u.name)
		case err != nil:
			// Not recorded: the ticket goes back, and the next claim finds
			// the message in flight: its crash policy runs (with a dedupe
			// key it is sent again and the upstream answers with the id
			// it gave, to be recorded then).
			gw.storeFailed("recording the upstream's message id", m.ID, err)
			gw.nak(c, m.ID, time.Second)
			return
		}
		gw.ack(c, m.ID)
	case client.NotSent(err), errors.Is(err, pdu.ESME_RTHROTTLED), errors.Is(err, pdu.ESME_RMSGQFUL), errors.Is(err, pdu.ESME_RSYSERR),
		errors.Is(err, pdu.ESME_RINVBNDSTS):
		// Refused or never written: safe to send again. ESME_RINVBNDSTS is
		// what an upstream answers while it unbinds (a graceful restart).
		gw.requeue(u, m, c)
	case isMaybeSent(err):
		if u.dedupe != 0 {
			// The upstream recognises a resend by its key: send again.
			gw.requeue(u, m, c)
			return
		}
		gw.log.Warn("upstream did not answer a submit that may have been sent; not resending (crash policy)", "id", m.ID, "upstream", u.name, "err", err)
		gw.settle(c, m, store.Unknown, "UNKNOWN", 0)
	default:
		gw.settle(c, m, store.Rejected, "REJECTD", uint8(st))
	}
}

// mapUpstreamTries is how many times the upstream's id is written before
// the message is given back to the queue: a store that failed once (a
// cluster electing a new leader for a stream) often takes the next write.
const mapUpstreamTries = 3

// mapUpstream records the upstream's id of m, trying again after a failure
// other than a conflict.
func (gw *Gateway) mapUpstream(m *store.Message, key string) error {
	var err error
	for try := 1; try <= mapUpstreamTries; try++ {
		if err = gw.store.MapUpstream(m, key); err == nil || errors.Is(err, store.ErrConflict) {
			return err
		}
		if try < mapUpstreamTries {
			time.Sleep(time.Duration(try) * 200 * time.Millisecond)
		}
	}
	return err
}

// requeue writes m Queued again (on disk it may say Inflight, which a
// restart would take for a message in doubt) and gives its ticket back
// for the next attempt after the back-off.
func (gw *Gateway) requeue(u *upstream, m *store.Message, c queue.Claim) {
	gw.metrics.retries.WithLabelValues(u.name).Inc()
	m.State = store.Queued
	if err := gw.store.Update(m); err != nil && !errors.Is(err, store.ErrConflict) {
		gw.storeFailed("returning a message to the queue", m.ID, err)
	}
	gw.nak(c, m.ID, gw.backoff(m))
}

// backoff is the delay before m's next attempt: exponential in its
// attempts, and never past its validity (an expired message is finished
// when claimed).
func (gw *Gateway) backoff(m *store.Message) time.Duration {
	return untilExpiry(m, retryDelay(m))
}

// noUpstreamDelay is how long a message whose route has no upstream bound
// waits before it is looked at again: short at first, longer the more
// often it found none.
func (gw *Gateway) noUpstreamDelay(m *store.Message, c queue.Claim) time.Duration {
	return untilExpiry(m, min(retryBackoff<<min(c.Deliveries(), 7), maxBackoff))
}

// untilExpiry bounds a delay of m by its validity: an expired message is
// finished when it is claimed, so it must be claimed by then.
func untilExpiry(m *store.Message, d time.Duration) time.Duration {
	if !m.Expires.IsZero() {
		d = min(d, time.Until(m.Expires)+time.Millisecond)
	}
	return max(d, 0)
}

// settle finishes m in a final state the gateway decides (see finish) and
// acks its ticket. If the record changed meanwhile, the claim is resolved
// again against the newer record.
func (gw *Gateway) settle(c queue.Claim, m *store.Message, st store.State, stat string, errCode uint8) {
	err := gw.finish(m, st, stat, errCode)
	switch {
	case errors.Is(err, store.ErrConflict):
		gw.dispatch(c)
	case err != nil:
		// Kept: the ticket comes back after a restart.
	default:
		gw.ack(c, m.ID)
	}
}

// ack removes a ticket the message no longer needs.
func (gw *Gateway) ack(c queue.Claim, id string) {
	if err := c.Ack(); err != nil && !errors.Is(err, queue.ErrClosed) {
		gw.log.Warn("queue: acking a ticket failed; the message's record decides when it comes back", "id", id, "err", err)
	}
}

// nak gives a ticket back, to be handed out again after d.
func (gw *Gateway) nak(c queue.Claim, id string, d time.Duration) {
	if err := c.Nak(d); err != nil && !errors.Is(err, queue.ErrClosed) {
		gw.log.Warn("queue: giving a ticket back failed; it comes back when its lease ends", "id", id, "err", err)
	}
}

// waitForUpstream waits until some upstream has a bind up; false once the
// dispatchers stop.
func (gw *Gateway) waitForUpstream() bool {
	for {
		if gw.anyUpstream() {
			return true
		}
		select {
		case <-gw.dispatching.Done():
			return false
		case <-gw.upstreamChanged():
		}
	}
}

// anyUpstream reports whether some upstream has a bind up.
func (gw *Gateway) anyUpstream() bool {
	gw.upMu.RLock()
	defer gw.upMu.RUnlock()
	for _, u := range gw.upstreams {
		if u.up.Load() > 0 {
			return true
		}
	}
	return false
}

func isMaybeSent(err error) bool {
	var le *session.LostError
	var ce *session.CanceledError
	return errors.Is(err, session.ErrTimeout) || errors.Is(err, client.ErrTimeout) ||
		(errors.As(err, &le) && le.Sent) || (errors.As(err, &ce) && ce.Sent) || errors.Is(err, context.Canceled)
}

// retryDelay is the back-off before the next attempt of m.
func retryDelay(m *store.Message) time.Duration {
	return min(retryBackoff<<min(m.Attempts, 7), maxBackoff)
}
