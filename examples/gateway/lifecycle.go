package main

import (
	"context"
	"time"
)

// run starts routing and the housekeeping loops.
//
// There is no recovery scan: the queue is the list of unfinished work (see
// package upstream for the claim protocol and the crash policy). The
// deliveries waiting for ESMEs are claimed from the deliveries part by each
// account's pusher when a receiver binds.
func (gw *Gateway) run() {
	gw.up.Start()
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
// flight within ctx (upstream.Dispatcher.Stop), then stops the completion
// workers and the housekeeping loops.
func (gw *Gateway) stop(ctx context.Context) {
	if gw.up != nil {
		gw.up.Stop(ctx)
	}
	gw.cancel()
	gw.wg.Wait()
}
