package main

import (
	"context"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// recover rebuilds the routing queue from the store after a start or a crash.
//
// Crash policy: a message found Queued is routed as usual. A message found
// Inflight had its submit_sm sent (or about to be sent) upstream when the
// gateway stopped, and its answer was not recorded. If its upstream has a
// DedupeTLV (an idempotency key the upstream honours, as the embedded
// simulator does), it is sent again with the same key: the upstream answers
// with the message id it already gave, and nothing is delivered twice. Without
// one it is never sent again: it is marked UNKNOWN (query_sm answers UNKNOWN),
// and an ESME that asked for a receipt gets one with stat UNKNOWN.
func (gw *Gateway) recover() error {
	var requeue, unknown []*store.Message
	err := gw.store.Pending(func(m *store.Message) bool {
		switch m.State {
		case store.Queued:
			requeue = append(requeue, m)
		case store.Inflight:
			// The upstream clients do not exist yet: read the configuration.
			var dedupe uint16
			for _, uc := range gw.cfg.Load().Upstreams {
				if uc.Name == m.Route {
					dedupe = uc.DedupeTLV
				}
			}
			if dedupe != 0 {
				m.State = store.Queued
				requeue = append(requeue, m)
			} else {
				unknown = append(unknown, m)
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, m := range unknown {
		gw.log.Warn("message was in flight upstream at the last stop and its upstream has no dedupe key: marking UNKNOWN, not resending", "id", m.ID, "upstream", m.Route)
		gw.finish(m, store.Unknown, "UNKNOWN", 0)
	}
	if len(requeue) > 0 {
		gw.log.Info("recovered queued messages", "count", len(requeue))
	}
	for _, m := range requeue {
		gw.resent.Store(m.ID, struct{}{})
	}
	gw.recovered = requeue
	// The deliveries waiting in the store for ESMEs (and the receipts
	// queued just above) are read by each account's pusher when a
	// receiver binds: a pusher starts by reading the store.
	return nil
}

// run starts routing and the housekeeping loops.
func (gw *Gateway) run() {
	for i := 0; i < dispatchers; i++ {
		gw.dispatchWG.Add(1)
		go gw.dispatchLoop()
	}
	for i := 0; i < completionWorkers; i++ {
		gw.wg.Add(1)
		go gw.worker()
	}
	gw.wg.Add(2)
	go func() {
		defer gw.wg.Done()
		gw.retryQ.run(gw.ctx)
	}()
	go func() {
		defer gw.wg.Done()
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		lastPurge := time.Now()
		for {
			select {
			case <-gw.ctx.Done():
				return
			case now := <-t.C:
				gw.parked.expire(now)
				if now.Sub(lastPurge) > time.Hour {
					lastPurge = now
					n, err := gw.store.Purge(now.Add(-gw.cfg.Load().Retention.D()))
					switch {
					case err != nil:
						gw.log.Error("store: purging final messages past retention failed; tried again in an hour", "err", err)
					case n > 0:
						gw.log.Info("purged final messages past retention", "count", n)
					}
				}
			}
		}
	}()
	rec := gw.recovered
	gw.recovered = nil
	go func() {
		for _, m := range rec {
			gw.enqueue(m)
		}
	}()
}

// upstreamBack is called when an upstream bind comes up: messages waiting
// for a retry (because no upstream was bound) can go now rather than at the
// end of their back-off.
func (gw *Gateway) upstreamBack() { gw.retryQ.releaseAll() }

// stop ends routing and closes the upstream clients, waiting for what is in
// flight within ctx. A graceful stop leaves nothing in doubt: no submit
// leaves once it began, the answers to those in flight are recorded (a
// message sent back to the queue is written Queued again), and only a
// submit still unanswered when ctx ends is marked UNKNOWN.
func (gw *Gateway) stop(ctx context.Context) {
	gw.stopDispatch()
	gw.dispatchWG.Wait()
	gw.upMu.RLock()
	ups := make([]*upstream, 0, len(gw.upstreams))
	for _, u := range gw.upstreams {
		ups = append(ups, u)
	}
	gw.upMu.RUnlock()
	// Let in-flight upstream submits answer before the clients close.
	for _, u := range ups {
		if err := u.c.Close(ctx); err != nil {
			// What was still unanswered is marked UNKNOWN by its callback.
			gw.log.Warn("upstream did not close cleanly", "upstream", u.name, "err", err)
		}
	}
	gw.cancel()
	gw.wg.Wait()
}
