package main

import (
	"slices"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

// hookedStore runs before for each delivery a reading of the store hands on.
type hookedStore struct {
	store.Store
	before func(seq uint64)
}

func (h hookedStore) Deliveries(account string, from uint64, fn func(*store.Delivery) bool) error {
	return h.Store.Deliveries(account, from, func(d *store.Delivery) bool {
		h.before(d.Seq)
		return fn(d)
	})
}

// TestLoadSkipsDeliveriesRemovedDuringTheRead: a reading of the store works
// on a snapshot; a delivery in flight that is acknowledged and removed while
// it runs must not be read back and sent again. (The restarted gateway of
// TestCrashNoLossNoDuplicate sent a few receipts twice that way.)
func TestLoadSkipsDeliveriesRemovedDuringTheRead(t *testing.T) {
	mem := store.NewMemory()
	var seqs []uint64
	for range 3 {
		d, _ := storeReceipt(t, mem)
		seqs = append(seqs, d.Seq)
	}
	p := newPusher("a")
	// The second is in flight (read by an earlier reading), and the store
	// may hold more (spilled).
	p.known[seqs[1]] = struct{}{}
	gw := &Gateway{log: quietLogger(), metrics: newMetrics()}
	gw.store = hookedStore{Store: mem, before: func(seq uint64) {
		if seq == seqs[0] {
			// Meanwhile the ESME acknowledges the one in flight.
			if err := mem.RemoveDelivery("a", seqs[1]); err != nil {
				t.Fatal(err)
			}
			p.forget(seqs[1])
		}
	}}
	if err := gw.loadDeliveries(p); err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, h := range p.queue {
		got = append(got, h.d.Seq)
	}
	if want := []uint64{seqs[0], seqs[2]}; !slices.Equal(got, want) {
		t.Fatalf("read back %v, want %v (not the one acknowledged during the reading)", got, want)
	}
	if _, ok := p.known[seqs[1]]; ok {
		t.Fatalf("the acknowledged delivery is still known after the reading")
	}
}

// TestAddAfterLoadTookIt: a delivery is written, then handed to the pusher;
// a reading of the store that ran in between took it already, and the
// handing must not queue it a second time (the restarted gateway of the
// crash matrix sent receipts twice, 1 ms apart on the same bind).
func TestAddAfterLoadTookIt(t *testing.T) {
	mem := store.NewMemory()
	d, dsm := storeReceipt(t, mem)
	p := newPusher("a")
	gw := &Gateway{store: mem, log: quietLogger(), metrics: newMetrics()}
	if err := gw.loadDeliveries(p); err != nil {
		t.Fatal(err)
	}
	p.add(d, dsm)
	if len(p.queue) != 1 {
		t.Fatalf("%d deliveries queued, want 1", len(p.queue))
	}
}

// TestAddAfterDelivered: the same, when the reading's copy was even sent and
// acknowledged before the handing.
func TestAddAfterDelivered(t *testing.T) {
	mem := store.NewMemory()
	d, dsm := storeReceipt(t, mem)
	p := newPusher("a")
	gw := &Gateway{store: mem, log: quietLogger(), metrics: newMetrics()}
	if err := gw.loadDeliveries(p); err != nil {
		t.Fatal(err)
	}
	p.queue = nil // sent
	if err := mem.RemoveDelivery("a", d.Seq); err != nil {
		t.Fatal(err)
	}
	p.forget(d.Seq) // acknowledged
	p.add(d, dsm)
	if len(p.queue) != 0 {
		t.Fatalf("%d deliveries queued, want none: it was delivered", len(p.queue))
	}
}

// storeReceipt stores a receipt for account a in st and returns it, as
// stored and decoded.
func storeReceipt(t *testing.T, st store.Store) (*store.Delivery, *pdu.DeliverSM) {
	t.Helper()
	dsm := &pdu.DeliverSM{SourceAddr: "1", DestinationAddr: "2", ShortMessage: []byte("id:1 stat:DELIVRD")}
	body, err := dsm.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &store.Delivery{Account: "a", Body: body, Created: time.Now()}
	if err := st.AddDelivery(d); err != nil {
		t.Fatal(err)
	}
	return d, dsm
}
