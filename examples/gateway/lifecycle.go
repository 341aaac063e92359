package main

import (
	"context"
	"time"
)

// run starts routing and the housekeeping loops.
//
// There is no recovery scan: the queue is the list of unfinished work. A
// message accepted and not yet answered by its upstream keeps its ticket,
// which a restart hands out again, and the claim protocol decides (see
// dispatch): a Queued message is sent; one found Inflight had its submit
// sent (or about to be) when the gateway stopped, and its answer was not
// recorded. Crash policy: if its upstream has a DedupeTLV (an idempotency
// key the upstream honours, as the embedded simulator does), it is sent
// again with the same key, and the upstream answers with the message id it
// already gave; without one it is never sent again: it is marked UNKNOWN
// (query_sm answers UNKNOWN), and an ESME that asked for a receipt gets one
// with stat UNKNOWN. The deliveries waiting for ESMEs are claimed from the
// deliveries part by each account's pusher when a receiver binds.
func (gw *Gateway) run() {
	for i := 0; i < dispatchers; i++ {
		gw.dispatchWG.Add(1)
		go gw.dispatchLoop()
	}
	for i := 0; i < completionWorkers; i++ {
		gw.wg.Add(1)
		go gw.worker()
	}
	gw.wg.Add(1)
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
				if n, err := gw.store.Queue().Len(); err == nil {
					gw.metrics.queued.Set(float64(n))
				}
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
}

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
