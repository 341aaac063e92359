package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

// TestStoredAndNewDeliveriesOnce: deliveries left in the store by an
// earlier run are read back while new ones come; each reaches the ESME
// once. (The pusher's own bookkeeping used to race here: a delivery
// written while the store was being read, or acknowledged during the
// reading, was sent twice; the deliveries part hands each out once.)
func TestStoredAndNewDeliveriesOnce(t *testing.T) {
	dataDir := t.TempDir()
	const stored, fresh = 1500, 500
	st, err := store.OpenPebble(dataDir+"/store", store.PebbleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range stored {
		if err := st.DeliveryQueue().Add(context.Background(), &store.Delivery{Account: "demo", Body: moBody(t, fmt.Sprintf("s%d", i)), Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	a := inproc(t, func(c *Config) { c.DataDir = dataDir })
	var d deliveries
	dialDemo(t, a, d.handler())
	go func() {
		for i := range fresh {
			if err := a.gw.queueDelivery("demo", &pdu.DeliverSM{SourceAddr: fmt.Sprintf("f%d", i), DestinationAddr: "1000", ShortMessage: []byte("mo")}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	d.wait(t, stored+fresh, 30*time.Second)
	time.Sleep(300 * time.Millisecond) // nothing more comes
	got := d.wait(t, 0, time.Second)
	seen := map[string]int{}
	for _, dl := range got {
		seen[dl.Source]++
	}
	for src, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", src, n)
		}
	}
	if len(seen) != stored+fresh || len(got) != stored+fresh {
		t.Fatalf("%d deliveries of %d distinct, want %d once each", len(got), len(seen), stored+fresh)
	}
	waitFor(t, 5*time.Second, "every delivery acked", func() bool {
		n, err := a.gw.store.DeliveryQueue().Pending("demo")
		return err == nil && n == 0
	})
}

// TestPushBatchGivesBackWhatNoBindTakes: deliveries claimed while the
// account's binds went away go back to the queue at once, and one that
// does not decode is dropped.
func TestPushBatchGivesBackWhatNoBindTakes(t *testing.T) {
	a := inproc(t, nil)
	q := a.gw.store.DeliveryQueue()
	// Added without a pusher: the test claims them.
	for _, b := range [][]byte{moBody(t, "x"), moBody(t, "y"), []byte("not a deliver_sm")} {
		if err := a.gw.store.DeliveryQueue().Add(context.Background(), &store.Delivery{Account: "nobody", Body: b}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cs, err := q.Claim(ctx, "nobody", nil, 10)
	if err != nil || len(cs) != 3 {
		t.Fatalf("Claim: %d, %v", len(cs), err)
	}
	a.gw.pushBatch(newPusher("nobody"), cs, nil)
	var again int
	for again < 2 {
		cs, err := q.Claim(ctx, "nobody", nil, 10)
		if err != nil {
			t.Fatalf("the deliveries no bind took did not come back: %d, %v", again, err)
		}
		for _, c := range cs {
			var dsm pdu.DeliverSM
			if err := dsm.UnmarshalBinary(c.Delivery().Body); err != nil {
				t.Fatalf("the undecodable delivery came back")
			}
			again++
		}
	}
	waitFor(t, 5*time.Second, "the undecodable delivery dropped", func() bool {
		n, err := q.Pending("nobody")
		return err == nil && n == 2
	})
}

// moBody returns the body of an MO deliver_sm from src.
func moBody(t *testing.T, src string) []byte {
	t.Helper()
	b, err := (&pdu.DeliverSM{SourceAddr: src, DestinationAddr: "1000", ShortMessage: []byte("mo")}).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
