//go:build interop

package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/internal/peers"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/smpptest"
)

// TestInterop drives the server with third-party ESMEs (node-smpp 0.5.1 and
// Perl Net::SMPP) through the project's peer scripts: binds in the three
// modes, submit_sm with receipts pushed back and acknowledged, query_sm,
// enquire_link, deliver_sm to a receiver, unbind.
func TestInterop(t *testing.T) {
	for _, impl := range []string{peers.Node, peers.Perl} {
		t.Run(impl, func(t *testing.T) {
			peers.Require(t, impl)
			ts := smpptest.NewServer(t, smpptest.Options{
				Credentials:  map[string]string{"test": "secret"},
				Receipts:     true,
				ReceiptDelay: 10 * time.Millisecond,
			})
			port := ts.Addr[len("127.0.0.1:"):]

			t.Run("trx submit receipts query", func(t *testing.T) {
				events, err := peers.RunESME(t, impl, "--port", port, "--bind", "trx", "--count", "5", "--window", "5",
					"--registered-delivery", "--wait-receipts", "5", "--enquire", "2", "--query")
				if err != nil {
					t.Fatalf("%v\n%v", err, events)
				}
				b := peers.Filter(events, "bound")
				if len(b) != 1 || b[0].Str("system_id") != "SMSC" {
					t.Fatalf("bound: %v", b)
				}
				if v := b[0].Int("sc_interface_version"); v != 0x34 {
					t.Errorf("sc_interface_version %d (node binds with 0x50, perl with 0x34)", v)
				}
				if n := len(peers.Filter(events, "enquire_link_resp")); n != 2 {
					t.Errorf("enquire_link_resp: %d", n)
				}
				ids := map[string]bool{}
				for _, e := range peers.Filter(events, "submit_resp") {
					if e.Int("status") != 0 || e.Str("message_id") == "" {
						t.Errorf("submit_resp %v", e)
					}
					ids[e.Str("message_id")] = true
				}
				if len(ids) != 5 {
					t.Fatalf("unique message ids: %v", ids)
				}
				receipts := 0
				for _, e := range peers.Filter(events, "deliver_sm") {
					if !e.Bool("is_receipt") {
						continue
					}
					receipts++
					id := e.Str("receipted_message_id")
					if r := e.Obj("receipt"); r != nil && id == "" {
						id = r.Str("id")
					}
					if !ids[id] {
						t.Errorf("receipt for unknown id %q: %v", id, e)
					}
				}
				if receipts != 5 {
					t.Errorf("receipts %d", receipts)
				}
				for _, q := range peers.Filter(events, "query_resp") {
					if q.Int("status") != 0 {
						t.Errorf("query_resp %v", q)
					}
				}
				if len(peers.Filter(events, "unbound")) != 1 {
					t.Errorf("no unbound event: %v", events)
				}
				rs, err := ts.WaitReceipts(5, 10*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rs {
					if r.Err != nil {
						t.Errorf("receipt %s not acknowledged: %v", r.MessageID, r.Err)
					}
				}
			})

			t.Run("tx", func(t *testing.T) {
				events, err := peers.RunESME(t, impl, "--port", port, "--bind", "tx", "--count", "3", "--window", "3")
				if err != nil {
					t.Fatalf("%v\n%v", err, events)
				}
				d := peers.Filter(events, "done")
				if len(d) != 1 || d[0].Int("accepted") != 3 {
					t.Fatalf("done: %v", d)
				}
			})

			t.Run("rx deliver", func(t *testing.T) {
				p := peers.StartESME(t, impl, "--port", port, "--bind", "rx", "--wait-deliver", "2")
				p.WaitEvent(t, "bound", nil)
				waitFor(t, "the receiver", func() bool { return len(ts.SMSC.Receivers("test")) == 1 })
				for i := range 2 {
					d := &pdu.DeliverSM{SourceAddr: "2000", DestinationAddr: "1000", ShortMessage: []byte(fmt.Sprint("mo ", i))}
					if _, err := ts.SMSC.Deliver(bg, "test", d); err != nil {
						t.Fatalf("deliver: %v", err)
					}
				}
				events, err := p.Wait(30 * time.Second)
				if err != nil {
					t.Fatalf("%v\n%v", err, events)
				}
				got := peers.Filter(events, "deliver_sm")
				if len(got) != 2 || got[0].Str("short_message_hex") != fmt.Sprintf("%x", "mo 0") {
					t.Fatalf("deliver_sm: %v", got)
				}
			})

			t.Run("bad password", func(t *testing.T) {
				events, err := peers.RunESME(t, impl, "--port", port, "--password", "wrong")
				if peers.ExitCode(err) != 1 {
					t.Fatalf("exit %v", err)
				}
				f := peers.Filter(events, "bind_failed")
				if len(f) != 1 || f[0].Int("status") != int64(pdu.ESME_RINVPASWD) {
					t.Fatalf("bind_failed: %v", events)
				}
			})

			if impl != peers.Node {
				return
			}
			t.Run("malformed", func(t *testing.T) {
				events, err := peers.RunESME(t, impl, "--port", port, "--malformed", "--malformed-wait", "3000")
				if err != nil {
					t.Fatalf("%v\n%v", err, events)
				}
				want := map[string]struct {
					id     pdu.CommandID
					status pdu.Status
					closed bool
				}{
					"len8":               {pdu.GenericNackID, pdu.ESME_RINVCMDLEN, true},
					"len_huge":           {pdu.GenericNackID, pdu.ESME_RINVCMDLEN, true},
					"unknown_command":    {pdu.GenericNackID, pdu.ESME_RINVCMDID, false},
					"submit_before_bind": {pdu.SubmitSMRespID, pdu.ESME_RINVBNDSTS, false},
				}
				m := peers.Filter(events, "malformed")
				if len(m) != len(want) {
					t.Fatalf("malformed events: %v", events)
				}
				for _, e := range m {
					w := want[e.Str("case")]
					r := e.List("replies")
					if len(r) != 1 || pdu.CommandID(r[0].Int("command_id")) != w.id || pdu.Status(r[0].Int("command_status")) != w.status || e.Bool("closed") != w.closed {
						t.Errorf("%s: %v", e.Str("case"), e)
					}
				}
				// Still serving.
				if _, err := peers.RunESME(t, impl, "--port", port, "--count", "1"); err != nil {
					t.Fatalf("after malformed input: %v", err)
				}
			})
		})
	}
}
