package jsstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries/jsdeliveries"
	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/examples/gateway/store/jsstore"
)

// TestSweepAddsLostReceipt: a node that dies between the final state and
// its receipt (UpdateWithDelivery's two writes) leaves the receipt in the
// record; another node's sweep adds it to the deliveries, once, and clears
// it. A receipt written without a crash leaves nothing for the sweep. One
// that dies between MapUpstream's record and its index entry: the sweep
// writes the entry.
func TestSweepAddsLostReceipt(t *testing.T) {
	nc := natstest.Connect(t, natstest.Server(t))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	open := func(opts jsstore.Options) *jsstore.Store {
		t.Helper()
		d, err := jsdeliveries.New(context.Background(), js, jsdeliveries.Options{Stream: "SWEEP_DELIVERIES"})
		if err != nil {
			t.Fatal(err)
		}
		opts.Conn, opts.Bucket, opts.Deliveries = nc, "sweep", d
		s, err := jsstore.Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
				t.Log(err)
			}
		})
		return s
	}
	a := open(jsstore.Options{Node: 1})
	jsstore.CrashAfterRecord(a)
	m := &store.Message{ID: "0000000000000c01", Account: "acct", State: store.Enroute}
	if err := a.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State = store.Delivered
	if err := a.UpdateWithDelivery(m, &store.Delivery{Account: "acct", Body: []byte("receipt")}); !errors.Is(err, jsstore.ErrCrashed) {
		t.Fatalf("UpdateWithDelivery with a crash: %v", err)
	}
	if acct, err := jsstore.Outbox(a, m.ID); err != nil || acct != "acct" {
		t.Fatalf("outbox after the crash: %q, %v; want the receipt of acct", acct, err)
	}
	if n, err := a.DeliveryQueue().Pending("acct"); err != nil || n != 0 {
		t.Fatalf("deliveries after the crash: %d, %v; want none yet", n, err)
	}

	// And one between a MapUpstream's record and its index entry.
	m3 := &store.Message{ID: "0000000000000c03", Account: "acct", State: store.Queued}
	if err := a.Accept(m3); err != nil {
		t.Fatal(err)
	}
	m3.State, m3.Route, m3.UpstreamID = store.Enroute, "r", "UP3"
	if err := a.MapUpstream(m3, "up3"); !errors.Is(err, jsstore.ErrCrashed) {
		t.Fatalf("MapUpstream with a crash: %v", err)
	}
	if _, err := a.LookupUpstream("r", "up3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("index entry after the crash: %v, want none yet", err)
	}

	b := open(jsstore.Options{Node: 2, Sweep: 100 * time.Millisecond, OutboxAge: 300 * time.Millisecond})
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if id, err := b.WaitUpstream(wctx, "r", "up3"); err != nil || id != m3.ID {
		t.Fatalf("the sweep's index entry: %q, %v; want %s", id, err, m3.ID)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if acct, err := jsstore.Outbox(b, m.ID); err == nil && acct == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sweep did not clear the outbox")
		}
	}
	time.Sleep(time.Second) // several sweeps more: none adds it again
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n, err := b.DeliveryQueue().Pending("acct"); err != nil || n != 1 {
		t.Fatalf("deliveries after the sweep: %d, %v; want the receipt once", n, err)
	}
	cs, err := b.DeliveryQueue().Claim(ctx, "acct", nil, 10)
	if err != nil || len(cs) != 1 || string(cs[0].Delivery().Body) != "receipt" {
		t.Fatalf("claim after the sweep: %d, %v", len(cs), err)
	}
	if err := cs[0].Ack(); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(m.ID); err != nil || got.State != store.Delivered || got.Rev != 2 {
		t.Fatalf("the message after the sweep: %+v, %v", got, err)
	}

	// No crash: the receipt is added and the outbox cleared at once.
	m2 := &store.Message{ID: "0000000000000c02", Account: "acct", State: store.Enroute}
	if err := b.Accept(m2); err != nil {
		t.Fatal(err)
	}
	m2.State = store.Delivered
	if err := b.UpdateWithDelivery(m2, &store.Delivery{Account: "acct", Body: []byte("second")}); err != nil {
		t.Fatal(err)
	}
	if acct, err := jsstore.Outbox(b, m2.ID); err != nil || acct != "" {
		t.Fatalf("outbox after UpdateWithDelivery: %q, %v; want none", acct, err)
	}
	m2.State = store.Expired // the caller's revision still holds after the outbox left
	if err := b.Update(m2); err != nil {
		t.Fatalf("Update after UpdateWithDelivery: %v", err)
	}
}
