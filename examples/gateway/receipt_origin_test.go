package main

// A receipt goes to the bind that submitted its message: an ESME
// that submits on a transceiver and waits for its receipts gets them all,
// though a receiver of the same account is bound too; once that transceiver
// is gone, its receipts go to the receiver.

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

// dialDemoAs binds the demo account in mode.
func dialDemoAs(t *testing.T, a *app, mode client.Mode, h client.Handler) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, a.PlainAddr, client.Config{SystemID: "demo", Password: "demo1234", Mode: mode, Handler: h, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// submitReceipted submits n messages asking for a receipt, eight at a
// time (so that their receipts come close together), and returns their
// ids.
func submitReceipted(t *testing.T, c *client.Client, n int, tag string) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	ids := map[string]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				r, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001",
					ShortMessage: fmt.Appendf(nil, "%s %d", tag, i), RegisteredDelivery: 1})
				if err != nil {
					errs <- fmt.Errorf("submit %s %d: %w", tag, i, err)
					return
				}
				mu.Lock()
				ids[r.MessageID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ids
}

// receiptIDs returns the ids of the receipts among ds, and fails on a
// receipt of none of want or a repeat.
func receiptIDs(t *testing.T, who string, ds []*client.Delivery, want map[string]bool) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	for _, d := range ds {
		if d.Receipt == nil {
			t.Fatalf("%s: a delivery that is no receipt: %+v", who, d)
		}
		if !want[d.Receipt.ID] {
			t.Errorf("%s: receipt for %s, not one of the messages it should have", who, d.Receipt.ID)
		}
		if got[d.Receipt.ID] {
			t.Errorf("%s: receipt for %s twice", who, d.Receipt.ID)
		}
		got[d.Receipt.ID] = true
	}
	return got
}

func TestReceiptsToSubmittingBind(t *testing.T) {
	// Receipts come 1 s after the submission: long enough for the second
	// part to close the transceiver before its receipts come.
	a := inproc(t, func(c *Config) { c.Simulator.DLRDelay = Duration(time.Second) })
	var onTRX, onRX deliveries
	// The transceiver answers one delivery at a time, 2 ms each: its
	// window fills, and its receipts wait for it (held for it while the
	// receiver has room), to the last.
	var slow sync.Mutex
	h := onTRX.handler()
	trx := dialDemoAs(t, a, client.Transceiver, client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
		slow.Lock()
		defer slow.Unlock()
		time.Sleep(2 * time.Millisecond)
		return h.HandleDelivery(ctx, d)
	}))
	dialDemoAs(t, a, client.Receiver, onRX.handler())
	waitFor(t, 5*time.Second, "two receivers bound", func() bool { return len(a.gw.srv.Receivers("demo")) == 2 })

	// More receipts than the transceiver's first window (initialDeliverLimit),
	// coming together: those beyond its window wait for it, with the
	// receiver's window free.
	const n = 200
	sent := submitReceipted(t, trx, n, "own")
	t.Cleanup(func() {
		if t.Failed() {
			onRX.mu.Lock()
			defer onRX.mu.Unlock()
			n, err := a.gw.store.DeliveryQueue().Pending("demo")
			t.Logf("the receiver had %d deliveries; %d pending (%v), %v delivered", len(onRX.got), n, err,
				testutil.ToFloat64(a.gw.metrics.delivered.WithLabelValues("demo")))
		}
	})
	got := receiptIDs(t, "transceiver", onTRX.wait(t, n, 30*time.Second), sent)
	if len(got) != n {
		t.Fatalf("the transceiver got %d distinct receipts of its %d messages", len(got), n)
	}
	onRX.mu.Lock()
	stray := len(onRX.got)
	onRX.mu.Unlock()
	if stray != 0 {
		t.Fatalf("the receiver got %d receipts of the transceiver's messages, want none", stray)
	}

	// The transceiver goes with its receipts still to come: they go to the
	// receiver.
	const m = 30
	left := submitReceipted(t, trx, m, "left")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := trx.Close(ctx); err != nil {
		t.Fatalf("closing the transceiver: %v", err)
	}
	onTRX.mu.Lock()
	early := len(onTRX.got)
	onTRX.mu.Unlock()
	if early != n {
		t.Fatalf("the transceiver had %d receipts when it left, want the first %d (the second batch's come 1 s after their submission)", early, n)
	}
	got = receiptIDs(t, "receiver", onRX.wait(t, m, 30*time.Second), left)
	if len(got) != m {
		t.Fatalf("the receiver got %d distinct receipts of the %d the transceiver left", len(got), m)
	}
}

// TestSmppcliWaitDLRWithListener: smppcli send -wait-dlr, which waits for
// the receipt on its own transceiver, gets it every time while smppcli
// listen is bound to the same account (when receipts went to any bind of
// the account, about every other one went to the listener, and the send
// timed out).
func TestSmppcliWaitDLRWithListener(t *testing.T) {
	a := inproc(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listen := exec.CommandContext(ctx, bin(t, "smppcli"), "listen", "-addr", a.PlainAddr, "-system-id", "demo", "-password", "demo1234", "-bind", "rx", "-json")
	out, err := listen.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := listen.Start(); err != nil {
		t.Fatal(err)
	}
	heard := make(chan string, 100)
	go func() {
		defer close(heard)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			heard <- sc.Text()
		}
	}()
	defer func() {
		cancel()
		if err := listen.Wait(); err != nil && ctx.Err() == nil {
			t.Errorf("smppcli listen: %v", err)
		}
	}()
	waitFor(t, 10*time.Second, "smppcli listen bound", func() bool { return len(a.gw.srv.Receivers("demo")) == 1 })

	const sends = 6
	for i := range sends {
		lines := smppcliJSON(t, "send", "-addr", a.PlainAddr, "-system-id", "demo", "-password", "demo1234",
			"-from", "1000", "-to", "254700000001", "-text", fmt.Sprintf("wait %d", i), "-wait-dlr", "-dlr-timeout", "10s", "-json")
		checkCLISend(t, fmt.Sprintf("smppcli send -wait-dlr %d", i), lines, 1)
	}
	select {
	case l := <-heard:
		t.Fatalf("smppcli listen got a delivery, want none (every receipt to its sender): %s", strings.TrimSpace(l))
	default:
	}
}

// TestReceiptsHeldForBusyBindGoOnItsAnswers: receipts held for a
// transceiver whose window is full, while the receiver has room and no
// other delivery comes, go to the transceiver as it answers (the pusher
// is waiting for deliveries to claim meanwhile, not for answers).
func TestReceiptsHeldForBusyBindGoOnItsAnswers(t *testing.T) {
	a := inproc(t, nil)
	var onTRX, onRX deliveries
	gate := make(chan struct{})
	h := onTRX.handler()
	trx := dialDemoAs(t, a, client.Transceiver, client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		return h.HandleDelivery(ctx, d)
	}))
	dialDemoAs(t, a, client.Receiver, onRX.handler())
	waitFor(t, 5*time.Second, "two receivers bound", func() bool { return len(a.gw.srv.Receivers("demo")) == 2 })

	const n = initialDeliverLimit + 4
	sent := submitReceipted(t, trx, n, "busy")
	// The transceiver's window is full (initialDeliverLimit) and the rest
	// is held for it.
	waitFor(t, 10*time.Second, "the receipts beyond the transceiver's window held for it", func() bool {
		p := a.gw.pusherFor("demo")
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.backlogged == n-initialDeliverLimit
	})
	close(gate)
	got := receiptIDs(t, "transceiver", onTRX.wait(t, n, 10*time.Second), sent)
	if len(got) != n {
		t.Fatalf("the transceiver got %d distinct receipts of its %d messages", len(got), n)
	}
	onRX.mu.Lock()
	defer onRX.mu.Unlock()
	if len(onRX.got) != 0 {
		t.Fatalf("the receiver got %d receipts of the transceiver's messages, want none", len(onRX.got))
	}
}

// TestTransmitterReceiptsToReceiver: a transmitter cannot take its
// receipts; they go to a receiver of the account.
func TestTransmitterReceiptsToReceiver(t *testing.T) {
	a := inproc(t, nil)
	var onRX deliveries
	tx := dialDemoAs(t, a, client.Transmitter, nil)
	dialDemoAs(t, a, client.Receiver, onRX.handler())
	waitFor(t, 5*time.Second, "the receiver bound", func() bool { return len(a.gw.srv.Receivers("demo")) == 1 })
	const n = 10
	sent := submitReceipted(t, tx, n, "tx")
	if got := receiptIDs(t, "receiver", onRX.wait(t, n, 10*time.Second), sent); len(got) != n {
		t.Fatalf("the receiver got %d distinct receipts of the transmitter's %d messages", len(got), n)
	}
}

// TestBindIDs: a gateway's bind ids are distinct and its own; another
// gateway's (another node, or this one before a restart) are not.
func TestBindIDs(t *testing.T) {
	g1, g2 := newBindIDs(3), newBindIDs(3)
	seen := map[string]bool{}
	for range 100 {
		id := g1.next()
		if seen[id] || !g1.own(id) || g2.own(id) {
			t.Fatalf("id %q: seen %v, own %v, the other gateway's %v", id, seen[id], g1.own(id), g2.own(id))
		}
		seen[id] = true
	}
	if !strings.HasPrefix(g1.next(), "3.") {
		t.Fatalf("bind id %q does not start with the node_id", g1.next())
	}
}

// TestPushBatchGivesBackAnotherNodesReceipt: on a cluster, a receipt for a
// bind of another node is given back (foreignBindBackoff) for that node's
// pusher, until foreignBindWait after it was made; an older one is not
// (here no bind takes it: it is naked at once).
func TestPushBatchGivesBackAnotherNodesReceipt(t *testing.T) {
	a := inproc(t, nil)
	c := *a.gw.cfg.Load()
	c.Cluster = &ClusterConfig{} // only the pusher looks, to give back
	a.gw.cfg.Store(&c)
	q := a.gw.store.DeliveryQueue()
	other := "9.deadbeef.1" // not this gateway's
	for _, d := range []*store.Delivery{
		{Account: "nobody", Body: moBody(t, "fresh"), Bind: other, Created: time.Now()},
		{Account: "nobody", Body: moBody(t, "old"), Bind: other, Created: time.Now().Add(-foreignBindWait)},
	} {
		if err := q.Add(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := q.Claim(ctx, "nobody", nil, 10)
	if err != nil || len(cs) != 2 {
		t.Fatalf("Claim: %d, %v", len(cs), err)
	}
	pushed := time.Now()
	a.gw.pushBatch(newPusher("nobody"), cs, nil)
	back := map[string]time.Duration{}
	for len(back) < 2 {
		cs, err := q.Claim(ctx, "nobody", nil, 10)
		if err != nil {
			t.Fatalf("the deliveries did not come back: %v, %v", back, err)
		}
		for _, c := range cs {
			var dsm pdu.DeliverSM
			if err := dsm.UnmarshalBinary(c.Delivery().Body); err != nil {
				t.Fatal(err)
			}
			back[dsm.SourceAddr] = time.Since(pushed)
			if err := c.Ack(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if back["fresh"] < foreignBindBackoff {
		t.Errorf("the receipt for another node's bind came back after %v, want at least %v (given back for that node)", back["fresh"], foreignBindBackoff)
	}
	t.Logf("back after: %v", back)
}
