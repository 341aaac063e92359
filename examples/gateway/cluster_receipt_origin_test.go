package main

// On a cluster, a receipt goes to the bind that submitted its message
// whichever node the operator sends it to: a transceiver bound
// to node a gets all its receipts though a receiver of the same account is
// bound to node b, which takes about half of the operator's receipts (the
// upstream binds are shared between the nodes).

import (
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
)

func TestClusterReceiptToSubmittingBind(t *testing.T) {
	t.Parallel()
	tc := startTestCluster(t, clusterOpts{})
	a, b := tc.node("a"), tc.node("b")
	trx := newESME(t, esmeOpts{addr: a.PlainAddr, systemID: "load", password: "loadpw", mode: client.Transceiver})
	rx := newESME(t, esmeOpts{addr: b.PlainAddr, systemID: "load", password: "loadpw", mode: client.Receiver})

	n := trx.load(t, 100, time.Second, nil)
	acked, st, _ := trx.snapshot()
	if len(acked) != n {
		t.Fatalf("%d of %d submits acknowledged by node a: %v", len(acked), n, st)
	}
	if missing := trx.waitReceipts(60 * time.Second); len(missing) > 0 {
		rx.mu.Lock()
		stray := len(rx.receipts)
		rx.mu.Unlock()
		t.Fatalf("%d of %d receipts never reached the transceiver on node a (the receiver on node b has %d), e.g. %v",
			len(missing), n, stray, missing[:min(5, len(missing))])
	}
	trx.checkOneReceipt(t, acked)
	rx.mu.Lock()
	defer rx.mu.Unlock()
	if len(rx.receipts) != 0 {
		t.Fatalf("the receiver on node b got %d receipts of the transceiver's messages, want none", len(rx.receipts))
	}
}
