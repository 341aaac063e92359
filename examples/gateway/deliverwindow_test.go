package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// An ESME whose inbound window is smaller than the gateway's answers the
// excess with ESME_RTHROTTLED: the gateway sends those again shortly, not at
// its next periodic look (a second later), keeps fewer in flight from then
// on, and loses nothing.
func TestDeliveriesToSmallWindowESME(t *testing.T) {
	a := inproc(t, nil)
	const n, window = 300, 5
	var mu sync.Mutex
	seen := map[string]bool{}
	var throttled atomic.Int32
	done := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, a.PlainAddr, client.Config{SystemID: "demo", Password: "demo1234", Logger: quietLogger(),
		Session: session.Config{
			InboundWindow: window,
			Observer: session.Observer{PDUOut: func(_ *session.Session, h pdu.Header) {
				if h.ID == pdu.DeliverSMRespID && h.Status == pdu.ESME_RTHROTTLED {
					throttled.Add(1)
				}
			}},
		},
		Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
			time.Sleep(time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			seen[d.Source] = true
			if len(seen) == n {
				close(done)
			}
			return nil
		})})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	start := time.Now()
	// Queued all at once (a burst of receipts), so that they reach the ESME
	// faster than it answers.
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &pdu.DeliverSM{SourceAddr: fmt.Sprintf("2547%08d", i), DestinationAddr: "1000", ShortMessage: []byte("mo")}
			if err := a.gw.queueDelivery("demo", d); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	select {
	case <-done:
	case <-ctx.Done():
		mu.Lock()
		t.Fatalf("%d of %d deliveries after %v", len(seen), n, time.Since(start))
	}
	if throttled.Load() == 0 {
		t.Fatal("the ESME never answered ESME_RTHROTTLED: its window was never full")
	}
	// The gateway adapts to the smaller window: a few refusals per
	// delivery at most (without that, twelve to eighteen).
	if throttled.Load() >= 4*n {
		t.Errorf("%d deliveries refused for %d delivered: the gateway kept sending past the ESME's window", throttled.Load(), n)
	}
	t.Logf("%d deliveries through a window of %d in %v (%d throttled)", n, window, time.Since(start).Round(time.Millisecond), throttled.Load())
}
