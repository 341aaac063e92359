package main

// What a start finds in the store reaches the ESME: the deliveries queued
// before the stop, and the receipts the recovery itself makes for messages
// it marks UNKNOWN (crash policy without a dedupe key).

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

// seedStore writes into a new store in dataDir what a gateway killed at the
// wrong moment leaves: deliveries for demo waiting for a receiver, and a
// message in flight to an upstream without a dedupe key.
func seedStore(t *testing.T, dataDir string, deliveries int) (inflightID string) {
	t.Helper()
	st, err := store.OpenPebble(filepath.Join(dataDir, "store"), store.PebbleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	for i := range deliveries {
		d := &pdu.DeliverSM{SourceAddr: "254700000001", DestinationAddr: "1000", ESMClass: 0x04,
			ShortMessage: []byte("id:" + string(rune('a'+i)) + " sub:001 dlvrd:001 submit date:2601010000 done date:2601010000 stat:DELIVRD err:000 text:")}
		body, err := d.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.DeliveryQueue().Add(context.Background(), &store.Delivery{Account: "demo", Body: body, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	sm := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000002", ShortMessage: []byte("in flight"), RegisteredDelivery: 1}
	body, err := sm.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &store.Message{ID: "0000000000000001", Account: "demo", Command: uint32(pdu.SubmitSMID), Body: body,
		Source: sm.SourceAddr, Dest: sm.DestinationAddr, Registered: 1, State: store.Queued, Created: time.Now(), Expires: time.Now().Add(time.Hour)}
	if err := st.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.Attempts = store.Inflight, "dead", 1
	if err := st.Update(m); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// TestRecoveryDeliversStoredAndUnknownReceipts: the receipts a start makes for
// messages in doubt used to be queued before the stored deliveries were
// loaded, and the loading then skipped every stored one (until a second start).
func TestRecoveryDeliversStoredAndUnknownReceipts(t *testing.T) {
	dataDir := t.TempDir()
	const stored = 5
	inflight := seedStore(t, dataDir, stored)
	a := inproc(t, func(c *Config) { c.DataDir = dataDir })
	var d deliveries
	dialDemo(t, a, d.handler())
	got := d.wait(t, stored+1, 10*time.Second)
	unknown := 0
	for _, dl := range got {
		if dl.Receipt == nil {
			t.Fatalf("a delivery that is not a receipt: %+v", dl)
		}
		if dl.Receipt.ID == inflight {
			unknown++
			if dl.Receipt.Stat != "UNKNOWN" {
				t.Errorf("receipt of the message in doubt: stat %s, want UNKNOWN", dl.Receipt.Stat)
			}
		}
	}
	if unknown != 1 {
		t.Errorf("%d receipts for the message in doubt, want 1", unknown)
	}
	// Nothing more comes (each delivery once).
	time.Sleep(500 * time.Millisecond)
	if n := len(d.wait(t, 0, time.Second)); n != stored+1 {
		t.Errorf("%d deliveries, want %d", n, stored+1)
	}
}
