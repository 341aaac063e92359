//go:build race

package session_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// TestRecycledMemoryPoisoned: with RecycleRequests, in a build with the race
// detector (the one tests run), a handler that keeps a string of its request
// past its return sees it poisoned at once, rather than changed silently by
// a later request now and then. The second request's handler reads what the
// first kept (on the same goroutine, the read loop, so the race detector has
// nothing to report here; another goroutine reading it would be reported).
func TestRecycledMemoryPoisoned(t *testing.T) {
	a, b := net.Pipe()
	var keptDest string
	var keptMsg, keptBody []byte
	got := make(chan string, 1)
	srv := session.New(a, session.Config{Role: session.SMSC, InlineHandler: true, RecycleRequests: true,
		Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
			sm := r.PDU.(*pdu.SubmitSM)
			if keptDest == "" {
				keptDest, keptMsg, keptBody = sm.DestinationAddr, sm.ShortMessage, r.Body // the bug: kept without a copy
			} else {
				got <- keptDest + "|" + string(keptMsg) + "|" + string(keptBody)
			}
			w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
		})})
	cli := session.New(b, session.Config{Role: session.ESME})
	t.Cleanup(func() { cli.Close(); srv.Close(); srv.Wait() })
	ctx := context.Background()
	if _, err := cli.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "u"}); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{"254700000001", "254700000002"} {
		if _, err := cli.Send(ctx, &pdu.SubmitSM{DestinationAddr: dest, ShortMessage: []byte("hello")}); err != nil {
			t.Fatal(err)
		}
	}
	parts := strings.SplitN(<-got, "|", 3)
	dest, msg, body := parts[0], parts[1], parts[2]
	if len(dest) != len("254700000001") || !strings.HasPrefix(session.Poison, dest) && !strings.Contains(session.Poison+session.Poison, dest) {
		t.Errorf("the kept destination_addr reads %q, want it poisoned (%q...)", dest, session.Poison[:12])
	}
	if len(msg) != len("hello") || !strings.Contains(session.Poison+session.Poison, msg) {
		t.Errorf("the kept short_message reads %q, want it poisoned", msg)
	}
	if want, _ := (&pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte("hello")}).AppendBinary(nil); len(body) != len(want) || !strings.HasPrefix(session.Poison+session.Poison, body) {
		t.Errorf("the kept Body reads %q, want it poisoned", body)
	}
}
