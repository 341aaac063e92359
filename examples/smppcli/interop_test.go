//go:build interop

package main

import (
	"testing"

	"github.com/esmsafrica/smpp/internal/peers"
)

// The bench against a third-party SMSC is built with -tags interop only (make
// test sets it); scripts/install-test-deps.sh installs node-smpp, and a
// missing one fails the test with that hint.

// TestE2EBenchNodeSMSC benches the node-smpp SMSC. node-smpp manages a few
// thousand messages per second, so the run is 2,000 messages.
func TestE2EBenchNodeSMSC(t *testing.T) {
	smsc := peers.StartSMSC(t, peers.Node, "--any-credentials", "--dlr-delay", "0")
	const n = 2000
	res := benchProc(t, "-addr", smsc.Addr(), "-n", "2000", "-window", "100", "-dlr", "-dlr-timeout", "60s")
	if res.Sent != n || res.Answered != n || res.OK != n || res.ReceiptsGot != n || !res.Complete {
		t.Errorf("bench against node-smpp: %+v", res)
	}
	t.Logf("node-smpp: %.0f msg/s, %.0f receipts/s", res.Throughput, res.ReceiptsRate)
}
