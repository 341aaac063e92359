package main

// A receipt goes to the bind that submitted its message (issue 17): an ESME
// that submits on a transceiver and waits for its receipts gets them all,
// though a receiver of the same account is bound too; once that transceiver
// is gone, its receipts go to the receiver.

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esmsafrica/smpp/client"
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

// submitReceipted submits n messages asking for a receipt and returns
// their ids.
func submitReceipted(t *testing.T, c *client.Client, n int, tag string) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids := map[string]bool{}
	for i := range n {
		r, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001",
			ShortMessage: fmt.Appendf(nil, "%s %d", tag, i), RegisteredDelivery: 1})
		if err != nil {
			t.Fatalf("submit %s %d: %v", tag, i, err)
		}
		ids[r.MessageID] = true
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
	trx := dialDemoAs(t, a, client.Transceiver, onTRX.handler())
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
// listen is bound to the same account (before issue 17 about every other
// receipt went to the listener, and the send timed out).
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
