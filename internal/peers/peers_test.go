//go:build interop

package peers

import (
	"encoding/hex"
	"testing"
	"time"
)

// These tests run the third-party peers against each other, before any Go SMPP code is
// involved: they prove that the scripts exchange real PDUs and print what the Go tests
// of server/ and client/ rely on.

// checkScenario asserts the ESME side of a run of n submits with receipts and queries.
func checkScenario(t *testing.T, evs []Event, n int) []string {
	t.Helper()
	if len(Filter(evs, "bound")) != 1 {
		t.Fatalf("want one bound event, got %v", evs)
	}
	if got := Filter(evs, "enquire_link_resp"); len(got) != 1 || got[0].Int("status") != 0 {
		t.Errorf("enquire_link_resp = %v", got)
	}
	resps := Filter(evs, "submit_resp")
	if len(resps) != n {
		t.Fatalf("got %d submit_resp, want %d", len(resps), n)
	}
	ids := map[string]bool{}
	var order []string
	for _, r := range resps {
		if r.Int("status") != 0 || r.Str("message_id") == "" {
			t.Errorf("submit_resp not accepted: %v", r)
		}
		ids[r.Str("message_id")] = true
		order = append(order, r.Str("message_id"))
	}
	dlrs := Filter(evs, "deliver_sm")
	if len(dlrs) != n {
		t.Fatalf("got %d deliver_sm, want %d", len(dlrs), n)
	}
	for _, d := range dlrs {
		rc := d.Obj("receipt")
		if !d.Bool("is_receipt") || d.Int("esm_class") != 4 || rc == nil {
			t.Errorf("deliver_sm is not a receipt: %v", d)
			continue
		}
		if !ids[rc.Str("id")] || rc.Str("stat") != "DELIVRD" || rc.Str("err") != "000" {
			t.Errorf("receipt %v does not match the accepted ids %v", rc, ids)
		}
		if d.Str("receipted_message_id") != rc.Str("id") || d.Int("message_state") != 2 {
			t.Errorf("receipt TLVs %q/%d, want %q/2", d.Str("receipted_message_id"), d.Int("message_state"), rc.Str("id"))
		}
	}
	qs := Filter(evs, "query_resp")
	if len(qs) != n {
		t.Fatalf("got %d query_resp, want %d", len(qs), n)
	}
	for _, q := range qs {
		if q.Int("status") != 0 || q.Int("message_state") != 2 {
			t.Errorf("query_resp = %v, want status 0, message_state 2 (DELIVRD)", q)
		}
	}
	if u := Filter(evs, "unbound"); len(u) != 1 || u[0].Int("status") != 0 {
		t.Errorf("unbound = %v", u)
	}
	return order
}

// checkSMSCSide asserts what the SMSC saw of that run.
func checkSMSCSide(t *testing.T, smsc *Peer, n int, wantInterfaceVersion int64) {
	t.Helper()
	b := smsc.WaitEvent(t, "bound", nil)
	if b.Str("mode") != "trx" || b.Str("system_id") != "test" || b.Int("interface_version") != wantInterfaceVersion {
		t.Errorf("bound = %v, want trx/test/interface_version %#x", b, wantInterfaceVersion)
	}
	subs := smsc.WaitEvents(t, "submit_sm", n)
	for i, s := range subs {
		want := hex.EncodeToString([]byte("hello " + string(rune('1'+i))))
		if s.Str("short_message_hex") != want || s.Int("registered_delivery") != 1 || s.Str("destination_addr") != "2000" {
			t.Errorf("submit_sm %d = %v, want short_message_hex %s", i, s, want)
		}
	}
	smsc.WaitEvents(t, "dlr_sent", n)
	for _, r := range smsc.WaitEvents(t, "deliver_sm_resp", n) {
		if r.Int("status") != 0 {
			t.Errorf("deliver_sm_resp = %v", r)
		}
	}
	smsc.WaitEvent(t, "unbind", nil)
}

func TestNodeESMEAgainstPerlSMSC(t *testing.T) {
	t.Parallel()
	smsc := StartSMSC(t, Perl, "--dlr-delay", "50")
	evs, err := RunESME(t, Node, "--port", smsc.PortArg(), "--count", "2", "--window", "2",
		"--data-coding", "0", "--registered-delivery", "--wait-receipts", "2", "--query")
	if err != nil {
		t.Fatalf("esme.js: %v\n%v", err, evs)
	}
	checkScenario(t, evs, 2)
	if b := Filter(evs, "bound")[0]; b.Str("system_id") != "PERLSMSC" {
		t.Errorf("bound = %v", b)
	}
	// node-smpp binds with interface_version 0x50 unless told otherwise.
	checkSMSCSide(t, smsc, 2, 0x50)
}

func TestPerlESMEAgainstNodeSMSC(t *testing.T) {
	t.Parallel()
	smsc := StartSMSC(t, Node, "--dlr-delay", "50")
	evs, err := RunESME(t, Perl, "--port", smsc.PortArg(), "--count", "2", "--window", "2",
		"--registered-delivery", "--wait-receipts", "2", "--query")
	if err != nil {
		t.Fatalf("esme.pl: %v\n%v", err, evs)
	}
	checkScenario(t, evs, 2)
	if b := Filter(evs, "bound")[0]; b.Str("system_id") != "NODESMSC" || b.Int("sc_interface_version") != 0x34 {
		t.Errorf("bound = %v, want NODESMSC with sc_interface_version 0x34", b)
	}
	checkSMSCSide(t, smsc, 2, 0x34)
}

func TestNodeESMEOverTLS(t *testing.T) {
	t.Parallel()
	smsc := StartSMSC(t, Node, "--tls", "--dlr-delay", "0")
	if !smsc.WaitEvent(t, "listening", nil).Bool("tls") {
		t.Fatal("listening event does not say tls")
	}
	evs, err := RunESME(t, Node, "--port", smsc.PortArg(), "--tls", "--registered-delivery", "--wait-receipts", "1",
		"--message-hex", "0500030a0201414243", "--esm-class", "64", "--data-coding", "0")
	if err != nil {
		t.Fatalf("esme.js --tls: %v\n%v", err, evs)
	}
	if c := Filter(evs, "connected"); len(c) != 1 || !c[0].Bool("tls") {
		t.Errorf("connected = %v", c)
	}
	s := smsc.WaitEvent(t, "submit_sm", nil)
	if s.Str("short_message_hex") != "0500030a0201414243" || s.Int("esm_class") != 64 || s.Int("sm_length") != 9 {
		t.Errorf("submit_sm over TLS = %v", s)
	}
}

func TestBinaryMessageAndReceiptTLVs(t *testing.T) {
	t.Parallel()
	// Binary short_message bytes arrive as sent (no text), and receipts carry the
	// receipted_message_id and message_state TLVs in that order.
	smsc := StartSMSC(t, Perl, "--dlr-delay", "0")
	evs, err := RunESME(t, Node, "--port", smsc.PortArg(), "--registered-delivery", "--wait-receipts", "1",
		"--message-hex", "00ff", "--data-coding", "4")
	if err != nil {
		t.Fatalf("esme.js: %v", err)
	}
	s := smsc.WaitEvent(t, "submit_sm", nil)
	if s.Int("data_coding") != 4 || s.Str("short_message_hex") != "00ff" || len(s.List("tlvs")) != 0 || s.Has("text") {
		t.Errorf("submit_sm = %v", s)
	}
	d := Filter(evs, "deliver_sm")[0]
	tlvs := d.List("tlvs")
	if len(tlvs) != 2 || tlvs[0].Str("name") != "receipted_message_id" || tlvs[1].Str("name") != "message_state" || tlvs[1].Str("hex") != "02" {
		t.Errorf("receipt TLVs = %v", tlvs)
	}
}

func TestThrottleAndDrop(t *testing.T) {
	t.Parallel()
	for _, impl := range []string{Node, Perl} {
		smsc := StartSMSC(t, impl, "--throttle-every", "2")
		evs, err := RunESME(t, Node, "--port", smsc.PortArg(), "--count", "4")
		if err != nil {
			t.Fatalf("%s: %v", impl, err)
		}
		var statuses []int64
		for _, r := range Filter(evs, "submit_resp") {
			statuses = append(statuses, r.Int("status"))
		}
		if len(statuses) != 4 || statuses[0] != 0 || statuses[1] != 0x58 || statuses[2] != 0 || statuses[3] != 0x58 {
			t.Errorf("%s: statuses %v, want [0 88 0 88]", impl, statuses)
		}

		smsc = StartSMSC(t, impl, "--drop-after", "1")
		evs, err = RunESME(t, Perl, "--port", smsc.PortArg(), "--count", "2", "--timeout", "10")
		if ExitCode(err) != 1 {
			t.Errorf("%s: esme.pl after a drop: exit %d (%v), want 1", impl, ExitCode(err), err)
		}
		if len(Filter(evs, "submit_resp")) != 1 || len(Filter(evs, "error")) != 1 {
			t.Errorf("%s: events after a drop: %v", impl, evs)
		}
		smsc.WaitEvent(t, "drop", nil)
	}
}

func TestBindRefused(t *testing.T) {
	t.Parallel()
	smsc := StartSMSC(t, Node)
	for _, impl := range []string{Node, Perl} {
		evs, err := RunESME(t, impl, "--port", smsc.PortArg(), "--password", "wrong")
		if ExitCode(err) != 1 {
			t.Errorf("%s: exit %d (%v), want 1", impl, ExitCode(err), err)
		}
		if f := Filter(evs, "bind_failed"); len(f) != 1 || f[0].Int("status") != 0x0e {
			t.Errorf("%s: bind_failed = %v, want status ESME_RINVPASWD", impl, f)
		}
	}
}

func TestMalformedCases(t *testing.T) {
	t.Parallel()
	for _, impl := range []string{Node, Perl} {
		smsc := StartSMSC(t, impl)
		cases := "len8,len_huge,unknown_command,submit_before_bind"
		if impl == Perl {
			cases = "len8,unknown_command,submit_before_bind" // Net::SMPP waits for 2 GiB: no answer
		}
		evs, err := RunESME(t, Node, "--port", smsc.PortArg(), "--malformed", "--cases", cases, "--malformed-wait", "1500")
		if err != nil {
			t.Fatalf("%s: %v", impl, err)
		}
		got := map[string]Event{}
		for _, e := range Filter(evs, "malformed") {
			got[e.Str("case")] = e
		}
		reply := func(name string) Event {
			r := got[name].List("replies")
			if len(r) == 0 {
				t.Errorf("%s: %s: no reply: %v", impl, name, got[name])
				return Event{}
			}
			return r[0]
		}
		if r := reply("len8"); r.Str("command") != "generic_nack" || r.Int("command_status") != 2 || !got["len8"].Bool("closed") {
			t.Errorf("%s: len8: %v", impl, got["len8"])
		}
		if impl == Node {
			if r := reply("len_huge"); r.Str("command") != "generic_nack" || r.Int("command_status") != 2 {
				t.Errorf("%s: len_huge: %v", impl, got["len_huge"])
			}
		}
		if r := reply("unknown_command"); r.Str("command") != "generic_nack" || r.Int("command_status") != 3 || r.Int("sequence_number") != 3 || got["unknown_command"].Int("bind_status") != 0 {
			t.Errorf("%s: unknown_command: %v", impl, got["unknown_command"])
		}
		if r := reply("submit_before_bind"); r.Str("command") != "submit_sm_resp" || r.Int("command_status") != 4 {
			t.Errorf("%s: submit_before_bind: %v", impl, got["submit_before_bind"])
		}
	}
}

func TestNodeSMSCControl(t *testing.T) {
	t.Parallel()
	smsc := StartSMSC(t, Node, "--dlr-delay", "-1")
	esme := StartESME(t, Node, "--port", smsc.PortArg(), "--bind", "rx", "--wait-deliver", "1", "--wait-receipts", "0", "--timeout", "20")
	smsc.WaitEvent(t, "bound", func(e Event) bool { return e.Str("mode") == "rx" })
	smsc.Send(t, map[string]any{"cmd": "mo", "from": "4915550001", "to": "1000", "text": "ping"})
	if c := smsc.WaitEvent(t, "control", nil); !c.Bool("ok") {
		t.Fatalf("control = %v", c)
	}
	evs, err := esme.Wait(30 * time.Second)
	if err != nil {
		t.Fatalf("esme.js rx: %v", err)
	}
	d := Filter(evs, "deliver_sm")
	if len(d) != 1 || d[0].Bool("is_receipt") || d[0].Str("short_message_hex") != hex.EncodeToString([]byte("ping")) || d[0].Str("source_addr") != "4915550001" {
		t.Errorf("deliver_sm = %v", d)
	}
	if len(Filter(evs, "submit_resp")) != 0 {
		t.Errorf("an rx bind submitted: %v", evs)
	}
}
