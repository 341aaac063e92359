//go:build interop

package sim_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
	"github.com/esmsafrica/smpp/internal/peers"
)

func portOf(t *testing.T, s *sim.Simulator) string {
	addr, _ := addrs.Load(s)
	_, port, _ := strings.Cut(addr.(string), "127.0.0.1:")
	return port
}

// TestThirdPartyESMEs drives the simulator with node-smpp and Perl Net::SMPP:
// bind, submit with receipts requested, receive them, query them.
func TestThirdPartyESMEs(t *testing.T) {
	for _, impl := range []string{peers.Node, peers.Perl} {
		t.Run(impl, func(t *testing.T) {
			s := start(t, sim.Config{ReceiptDelay: 20 * time.Millisecond, IDFormat: sim.IDDecimal})
			const n = 5
			events, err := peers.RunESME(t, impl, "--port", portOf(t, s), "--count", strconv.Itoa(n), "--window", "5",
				"--registered-delivery", "--wait-receipts", strconv.Itoa(n), "--query", "--timeout", "20")
			if err != nil {
				t.Fatalf("%s ESME failed: %v\n%v", impl, err, events)
			}
			ids := map[string]bool{}
			for _, e := range peers.Filter(events, "submit_resp") {
				if e.Int("status") != 0 {
					t.Errorf("submit_resp %v", e)
				}
				ids[e.Str("message_id")] = true
			}
			if len(ids) != n {
				t.Fatalf("got %d distinct message ids, want %d: %v", len(ids), n, events)
			}
			receipts := 0
			for _, e := range peers.Filter(events, "deliver_sm") {
				if !e.Bool("is_receipt") {
					continue
				}
				receipts++
				r := e.Obj("receipt")
				if r == nil || r.Str("stat") != "DELIVRD" || !ids[r.Str("id")] {
					t.Errorf("receipt %v", e)
				}
				if e.Str("receipted_message_id") != r.Str("id") || e.Int("message_state") != 2 {
					t.Errorf("receipt TLVs %v", e)
				}
			}
			if receipts != n {
				t.Errorf("got %d receipts, want %d", receipts, n)
			}
			queries := peers.Filter(events, "query_resp")
			if len(queries) != n {
				t.Errorf("got %d query_resp, want %d", len(queries), n)
			}
			for _, e := range queries {
				if e.Int("status") != 0 || e.Int("message_state") != 2 {
					t.Errorf("query_resp %v", e)
				}
			}
		})
	}
}

// TestMalformedPDUs sends node-smpp's malformed cases and checks the
// simulator answers each as it should and keeps serving.
func TestMalformedPDUs(t *testing.T) {
	s := start(t, sim.Config{})
	port := portOf(t, s)
	events, err := peers.RunESME(t, peers.Node, "--port", port, "--malformed", "--malformed-wait", "1000")
	if err != nil {
		t.Fatalf("malformed run: %v\n%v", err, events)
	}
	cases := peers.Filter(events, "malformed")
	if len(cases) != 4 {
		t.Fatalf("got %d malformed results, want 4: %v", len(cases), events)
	}
	for _, e := range cases {
		replies := e.List("replies")
		switch e.Str("case") {
		case "len8", "len_huge":
			if !e.Bool("closed") {
				t.Errorf("%s: connection not closed: %v", e.Str("case"), e)
			}
		case "unknown_command":
			if len(replies) == 0 || replies[0].Int("command_status") != 3 { // ESME_RINVCMDID
				t.Errorf("unknown_command: %v", e)
			}
		case "submit_before_bind":
			if len(replies) == 0 || replies[0].Int("command_status") != 4 { // ESME_RINVBNDSTS
				t.Errorf("submit_before_bind: %v", e)
			}
		}
	}
	// Still serving.
	events, err = peers.RunESME(t, peers.Node, "--port", port, "--count", "3", "--window", "3", "--timeout", "20")
	if err != nil {
		t.Fatalf("ESME after the malformed PDUs: %v\n%v", err, events)
	}
	if got := len(peers.Filter(events, "submit_resp")); got != 3 {
		t.Errorf("got %d submit_resp after the malformed PDUs, want 3", got)
	}
}
