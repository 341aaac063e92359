package conform_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/smppconform/conform"
	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
	"github.com/esmsafrica/smpp/smpptest"
)

// simKnown are the cases our implementations fail today, reported to the
// lead as bugs (none now: the field values of smsc.fields.1, 2, 3, 5 and 12
// are refused by pdu's CheckValues, which smsc-sim calls). A case listed
// here that passes fails the test, so that the list is trimmed when a bug is
// fixed.
var simKnown = map[string]string{}

// smpptestKnown adds the field checks smpptest's built-in handler does not
// make: it is a recorder that accepts every submission by design.
var smpptestKnown = map[string]string{
	"smsc.fields.1":  "smpptest accepts priority_flag 4 (no validation by design)",
	"smsc.fields.2":  "smpptest accepts registered_delivery 0xE0 (no validation by design)",
	"smsc.fields.3":  "smpptest accepts replace_if_present_flag 2 (no validation by design)",
	"smsc.fields.5":  "smpptest accepts short_message and message_payload together (no validation by design)",
	"smsc.fields.8":  "smpptest accepts an empty destination_addr (no validation by design)",
	"smsc.fields.12": "smpptest accepts a time string with 'X' as 16th character (no validation by design)",
	"smsc.fields.17": "smpptest accepts an empty destination_addr (no validation by design)",
}

// runSMSC runs every SMSC case against addr and fails the test on a FAIL
// not listed in known.
func runSMSC(t *testing.T, cfg *conform.Config, known ...map[string]string) []conform.Result {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	cfg.CaseTimeout = 30 * time.Second
	cfg.ReceiptTimeout = 5 * time.Second
	if cfg.SystemID == "" {
		cfg.SystemID, cfg.Password = "conform", "secret"
	}
	cfg.SourceAddr, cfg.DestAddr = "254700000001", "254711000002"
	rs := conform.Run(context.Background(), cfg, conform.Cases(conform.SMSC))
	for _, r := range rs {
		switch r.Status {
		case conform.Fail:
			if why := knownWhy(r.Case.ID, known); why != "" {
				t.Logf("known FAIL %s: %s (%s)", r.Case.ID, why, r.Reason)
				continue
			}
			t.Errorf("FAIL %s (%s) %s: %s %v", r.Case.ID, r.Case.Section, r.Case.Title, r.Reason, r.Log)
		case conform.Skip:
			if r.Reason == "" {
				t.Errorf("SKIP %s without a reason", r.Case.ID)
			}
			t.Logf("SKIP %s: %s", r.Case.ID, r.Reason)
		case conform.Pass:
			if why := knownWhy(r.Case.ID, known); why != "" {
				t.Errorf("%s passes now: remove it from the known failures (%s)", r.Case.ID, why)
			}
		}
	}
	return rs
}

func knownWhy(id string, known []map[string]string) string {
	for _, k := range known {
		if w := k[id]; w != "" {
			return w
		}
	}
	return ""
}

func TestSMSCAgainstSmpptest(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{Credentials: map[string]string{"conform": "secret"}, Receipts: true, ReceiptDelay: 10 * time.Millisecond})
	runSMSC(t, &conform.Config{Addr: ts.Addr, Profile: conform.Profile{"transceiver": true, "receipts": true, "data_sm": true,
		"submit_multi": true, "query_sm": true, "message_payload": true}}, simKnown, smpptestKnown)
}

func TestSMSCAgainstSim(t *testing.T) {
	s := sim.New(sim.Config{Accounts: []sim.Account{{SystemID: "conform", Password: "secret"}}, ReceiptDelay: 10 * time.Millisecond})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	defer s.Shutdown(context.Background())
	runSMSC(t, &conform.Config{Addr: l.Addr().String(), Profile: conform.Profile{"transceiver": true, "receipts": true, "data_sm": true,
		"submit_multi": true, "query_sm": true, "cancel_sm": true, "replace_sm": true, "message_payload": true, "scheduled": true}}, simKnown)
}
