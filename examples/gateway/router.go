package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

const (
	dispatchers  = 4
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

func (gw *Gateway) enqueue(m *store.Message) {
	select {
	case gw.queue <- m:
		gw.metrics.queued.Inc()
	case <-gw.ctx.Done():
	}
}

// dispatchLoop sends queued messages to their upstreams.
func (gw *Gateway) dispatchLoop() {
	defer gw.dispatchWG.Done()
	for {
		select {
		case <-gw.dispatching.Done():
			return
		case m := <-gw.queue:
			gw.metrics.queued.Dec()
			gw.dispatch(m)
		}
	}
}

// dispatch sends one message upstream, or schedules it for later.
func (gw *Gateway) dispatch(m *store.Message) {
	// While no upstream can take it, it is looked at again later without
	// a claim: a cancel_sm or replace_sm that comes meanwhile finds it free.
	// (An expired one goes on, to be finished under the claim.)
	now := time.Now()
	u := gw.pickUpstream(m)
	if u == nil && (m.Expires.IsZero() || !now.After(m.Expires)) {
		gw.retryQ.add(m, now.Add(retryDelay(m)))
		return
	}
	if _, busy := gw.claims.LoadOrStore(m.ID, struct{}{}); busy {
		// A cancel or replace is deciding about it: look again shortly.
		gw.retryQ.add(m, now.Add(50*time.Millisecond))
		return
	}
	if _, gone := gw.cancelled.LoadAndDelete(m.ID); gone {
		gw.claims.Delete(m.ID)
		return
	}
	if v, ok := gw.replaced.LoadAndDelete(m.ID); ok {
		m = v.(*store.Message)
	}
	if !m.Expires.IsZero() && now.After(m.Expires) {
		gw.claims.Delete(m.ID)
		gw.finish(m, store.Expired, "EXPIRED", 0)
		return
	}
	var sm pdu.PDU
	switch pdu.CommandID(m.Command) {
	case pdu.DataSMID:
		d := &pdu.DataSM{}
		if err := d.UnmarshalBinary(m.Body); err != nil {
			gw.claims.Delete(m.ID)
			gw.finish(m, store.Rejected, "REJECTD", 0)
			return
		}
		sm = d
	default:
		s := &pdu.SubmitSM{}
		if err := s.UnmarshalBinary(m.Body); err != nil {
			gw.claims.Delete(m.ID)
			gw.finish(m, store.Rejected, "REJECTD", 0)
			return
		}
		sm = s
	}
	if u == nil { // expired as queued, but replace_sm gave it a new validity
		gw.claims.Delete(m.ID)
		gw.retry(m)
		return
	}
	m.State, m.Route, m.Attempts = store.Inflight, u.name, m.Attempts+1
	// Without an idempotency key the Inflight mark must be on disk before the
	// submit leaves: after a crash such a message is never sent again. With
	// one, a message still Queued on disk after a crash is simply sent again
	// with the same key, so the mark need not be written at all.
	if u.dedupe == 0 {
		if err := gw.store.Update(m, true); err != nil {
			gw.claims.Delete(m.ID)
			m.State = store.Queued
			gw.retry(m)
			return
		}
	}
	gw.claims.Delete(m.ID)
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
			gw.later(func() { gw.upstreamDone(u, m, id, err, sent) })
		})
	case *pdu.DataSM:
		u.c.DataSMAsync(ctx, p).OnDone(func(r *pdu.DataSMResp, err error) {
			id := ""
			if r != nil {
				id = r.MessageID
			}
			gw.later(func() { gw.upstreamDone(u, m, id, err, sent) })
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

// upstreamDone records the upstream's answer to a submit.
func (gw *Gateway) upstreamDone(u *upstream, m *store.Message, upstreamID string, err error, sent time.Time) {
	gw.metrics.upstreamLatency.WithLabelValues(u.name).Observe(time.Since(sent).Seconds())
	st := pdu.StatusOf(err)
	if err == nil {
		st = pdu.ESME_ROK
	}
	gw.metrics.upstreamSubmits.WithLabelValues(u.name, st.String()).Inc()
	switch {
	case err == nil:
		key := pdu.NormalizeMessageID(upstreamID)
		if gw.mayBeStale(m) && gw.storedFinal(m.ID) {
			// A resend answered after the receipt of an earlier send was
			// recorded: this version of the message is stale.
			for _, p := range gw.parked.take(u.name, key) {
				p.ack(nil)
			}
			return
		}
		m.State, m.UpstreamID = store.Enroute, upstreamID
		if err := gw.store.MapUpstream(m, key, false); err != nil {
			// Its receipt is still matched from memory below.
			gw.storeFailed("recording the upstream's message id", m.ID, err)
		}
		gw.cache(m)
		gw.upIDs.Store(u.name+"\x00"+key, m.ID)
		// A receipt may have arrived first: it is parked and matched now.
		if ps := gw.parked.take(u.name, key); len(ps) > 0 {
			gw.upIDs.Delete(u.name + "\x00" + key)
			for _, p := range ps {
				p.ack(gw.applyReceipt(m.ID, p.d))
			}
		}
	case client.NotSent(err), errors.Is(err, pdu.ESME_RTHROTTLED), errors.Is(err, pdu.ESME_RMSGQFUL), errors.Is(err, pdu.ESME_RSYSERR),
		errors.Is(err, pdu.ESME_RINVBNDSTS):
		// Refused or never written: safe to send again. ESME_RINVBNDSTS is
		// what an upstream answers while it unbinds (a graceful restart).
		m.State = store.Queued
		if u.dedupe == 0 {
			// The store says Inflight (see dispatch): left so, a restart
			// would take it for a message in doubt and never send it.
			if err := gw.store.Update(m, false); err != nil {
				gw.storeFailed("returning a message to the queue", m.ID, err)
			}
		}
		gw.retry(m)
	case isMaybeSent(err):
		if u.dedupe != 0 {
			// The upstream recognises a resend by its key: send again.
			m.State = store.Queued
			gw.retry(m)
			return
		}
		gw.log.Warn("upstream did not answer a submit that may have been sent; not resending (crash policy)", "id", m.ID, "upstream", u.name, "err", err)
		gw.finish(m, store.Unknown, "UNKNOWN", 0)
	default:
		gw.finish(m, store.Rejected, "REJECTD", uint8(st))
	}
}

func isMaybeSent(err error) bool {
	var le *session.LostError
	var ce *session.CanceledError
	return errors.Is(err, session.ErrTimeout) || errors.Is(err, client.ErrTimeout) ||
		(errors.As(err, &le) && le.Sent) || (errors.As(err, &ce) && ce.Sent) || errors.Is(err, context.Canceled)
}

// retry schedules another attempt with exponential back-off.
func (gw *Gateway) retry(m *store.Message) {
	if !m.Expires.IsZero() && time.Now().After(m.Expires) {
		gw.finish(m, store.Expired, "EXPIRED", 0)
		return
	}
	gw.retryQ.add(m, time.Now().Add(retryDelay(m)))
}

// retryDelay is the back-off before the next attempt of m.
func retryDelay(m *store.Message) time.Duration {
	return min(retryBackoff<<min(m.Attempts, 7), maxBackoff)
}
