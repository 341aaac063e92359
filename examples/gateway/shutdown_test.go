package main

// A graceful stop leaves nothing in doubt, also with an upstream that has no
// dedupe key: every acknowledged message is on disk either as sent (its
// upstream's answer recorded) or as queued, to be sent after the restart;
// none is left in flight, which a restart would have to mark UNKNOWN.

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

func TestGracefulStopLeavesNothingInDoubt(t *testing.T) {
	dataDir := t.TempDir()
	a := inproc(t, func(c *Config) {
		c.DataDir = dataDir
		c.Accounts[0].Rate = 0 // unlimited
		c.Accounts[0].Unlimited = true
		for i := range c.Upstreams {
			c.Upstreams[i].DedupeTLV = 0
		}
		c.Simulator.DedupeTLV = 0
	})
	c := dialDemo(t, a, nil)

	var (
		mu    sync.Mutex
		acked []string
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				r, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001",
					ShortMessage: fmt.Appendf(nil, "w%d m%d", w, i), RegisteredDelivery: 1})
				cancel()
				if err != nil {
					return // the gateway is going away
				}
				mu.Lock()
				acked = append(acked, r.MessageID)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(700 * time.Millisecond) // under load: submits in flight upstream
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	a.shutdown(ctx)
	cancel()
	stop.Store(true)
	wg.Wait()
	if len(acked) < 100 {
		t.Fatalf("only %d submits acknowledged before the stop", len(acked))
	}

	st, err := store.OpenPebble(filepath.Join(dataDir, "store"), store.PebbleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	states := map[store.State]int{}
	for _, id := range acked {
		m, err := st.Get(id)
		if err != nil {
			t.Fatalf("acknowledged message %s: %v", id, err)
		}
		states[m.State]++
		if m.State == store.Inflight || m.State == store.Unknown {
			t.Errorf("acknowledged message %s left %v by a graceful stop", id, m.State)
		}
	}
	t.Logf("%d acknowledged; states on disk after the stop: %v", len(acked), states)
}
