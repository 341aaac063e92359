//go:build interop

package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/internal/peers"
	"github.com/esmsafrica/smpp/pdu"
)

// The gateway's tests against third-party programs: node-smpp and Perl
// Net::SMPP ESMEs (through internal/peers) and headless Chromium here, Kannel
// in kannel_test.go. They are built with -tags interop only (make test sets
// it); scripts/install-test-deps.sh installs the programs, and a missing one
// fails the test with that hint.

// ---------------------------------------------------------------- third-party peers

// peerKind is one kind of message a peer ESME submits.
type peerKind struct {
	name string
	n    int      // submits
	args []string // esme.js / esme.pl options
}

func ucs2Hex(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return hex.EncodeToString(b)
}

func peerKinds() []peerKind {
	// A long GSM 7-bit message in three UDH-concatenated segments (8-bit reference).
	var segs []string
	for i := 1; i <= 3; i++ {
		udh := []byte{0x05, 0x00, 0x03, 0x42, 0x03, byte(i)}
		text := strings.Repeat(string(rune('A'+i-1)), 150)
		segs = append(segs, hex.EncodeToString(append(udh, text...)))
	}
	return []peerKind{
		{"gsm7", 2, []string{"--text", "hello {i} from a peer", "--data-coding", "0"}},
		{"ucs2", 1, []string{"--message-hex", ucs2Hex("Привет, мир ✓"), "--data-coding", "8"}},
		{"long-udh", 3, []string{"--message-hex", strings.Join(segs, ","), "--data-coding", "0", "--esm-class", "64"}},
		{"binary", 1, []string{"--message-hex", "0001027f80fffe", "--data-coding", "4"}},
	}
}

// submitIDs returns the message ids of a peer's submit_resp events, failing
// on any status but ESME_ROK.
func submitIDs(t *testing.T, label string, evs []peers.Event, n int) []string {
	t.Helper()
	var ids []string
	for _, e := range peers.Filter(evs, "submit_resp") {
		if e.Int("status") != 0 {
			t.Errorf("%s: submit_resp status %d, want ESME_ROK: %v", label, e.Int("status"), e)
			continue
		}
		if e.Str("message_id") == "" {
			t.Errorf("%s: submit_resp without message_id: %v", label, e)
			continue
		}
		ids = append(ids, e.Str("message_id"))
	}
	if len(ids) != n {
		t.Errorf("%s: %d accepted submits, want %d", label, len(ids), n)
	}
	return ids
}

// checkPeerReceipts checks that every id got exactly one DELIVRD receipt whose
// text id and receipted_message_id are the id.
func checkPeerReceipts(t *testing.T, label string, evs []peers.Event, ids []string) {
	t.Helper()
	got := map[string]int{}
	for _, e := range peers.Filter(evs, "deliver_sm") {
		if !e.Bool("is_receipt") {
			t.Errorf("%s: a deliver_sm that is not a receipt: %v", label, e)
			continue
		}
		r := e.Obj("receipt")
		if r == nil {
			t.Errorf("%s: receipt text not parsed by the peer: %v", label, e)
			continue
		}
		id := r.Str("id")
		got[id]++
		if r.Str("stat") != "DELIVRD" {
			t.Errorf("%s: receipt for %s has stat %q, want DELIVRD", label, id, r.Str("stat"))
		}
		if rid := e.Str("receipted_message_id"); rid != id {
			t.Errorf("%s: receipt text id %q but receipted_message_id %q", label, id, rid)
		}
		if ms := e.Int("message_state"); ms != int64(pdu.StateDelivered) {
			t.Errorf("%s: receipt for %s has message_state %d, want %d", label, id, ms, pdu.StateDelivered)
		}
	}
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("%s: %d receipts for message_id %s, want 1 (receipts by id: %v)", label, got[id], id, got)
		}
	}
	if len(got) != len(ids) {
		t.Errorf("%s: receipts for %d ids, want %d: %v", label, len(got), len(ids), got)
	}
}

// TestE2EPeers drives the gateway with third-party ESMEs: node-smpp over TLS
// and plaintext, Perl Net::SMPP over plaintext, and smppcli, binding as
// transceiver and as transmitter + receiver, submitting GSM 7-bit, UCS-2,
// UDH-concatenated and binary messages with receipts requested.
func TestE2EPeers(t *testing.T) {
	t.Parallel()
	peers.Require(t, peers.Node)
	peers.Require(t, peers.Perl)
	accounts := "" +
		"  - {system_id: nodetls, password: nodepw, rate: 1000}\n" +
		"  - {system_id: nodeplain, password: nodepw, rate: 1000}\n" +
		"  - {system_id: perl, password: perlpw, rate: 1000}\n" +
		"  - {system_id: cli, password: clipw, rate: 1000}\n"
	g := startGatewayConfig(t, gwConf{Accounts: accounts, MOAccount: "cli", DLRDelay: "100ms"}.yaml(t))
	_, tlsPort, _ := net.SplitHostPort(g.Addr)
	_, plainPort, _ := net.SplitHostPort(g.PlainAddr)

	type peer struct {
		name, impl, sys, pw string
		conn                []string
	}
	list := []peer{
		{"node-tls", peers.Node, "nodetls", "nodepw", []string{"--port", tlsPort, "--tls"}},
		{"node-plain", peers.Node, "nodeplain", "nodepw", []string{"--port", plainPort}},
		{"perl-plain", peers.Perl, "perl", "perlpw", []string{"--port", plainPort}},
	}
	for _, p := range list {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			base := append([]string{"--system-id", p.sys, "--password", p.pw, "--src", "1000", "--dst", "254700000002",
				"--timeout", "60"}, p.conn...)
			// Transceiver: submit, wait for the receipts, query_sm each id.
			for _, k := range peerKinds() {
				label := p.name + " trx " + k.name
				args := append(append([]string{}, base...), "--bind", "trx", "--count", strconv.Itoa(k.n), "--window", "5",
					"--registered-delivery", "--wait-receipts", strconv.Itoa(k.n), "--query")
				evs, err := peers.RunESME(t, p.impl, append(args, k.args...)...)
				if err != nil {
					t.Fatalf("%s: %v\nevents: %v", label, err, evs)
				}
				if b := peers.Filter(evs, "bound"); len(b) != 1 || b[0].Int("status") != 0 {
					t.Fatalf("%s: bind: %v", label, b)
				}
				ids := submitIDs(t, label, evs, k.n)
				checkPeerReceipts(t, label, evs, ids)
				qs := peers.Filter(evs, "query_resp")
				if len(qs) != len(ids) {
					t.Errorf("%s: %d query_resp, want %d", label, len(qs), len(ids))
				}
				for _, q := range qs {
					if q.Int("status") != 0 || q.Int("message_state") != int64(pdu.StateDelivered) {
						t.Errorf("%s: query_sm %s: status %d message_state %d, want 0 and DELIVERED (2)", label, q.Str("message_id"), q.Int("status"), q.Int("message_state"))
					}
				}
			}

			// Transmitter + receiver: the receipts of every kind reach the rx bind.
			total := 0
			for _, k := range peerKinds() {
				total += k.n
			}
			rx := peers.StartESME(t, p.impl, append(append([]string{}, base...), "--bind", "rx", "--count", "0",
				"--wait-receipts", strconv.Itoa(total))...)
			if e := rx.WaitEvent(t, "bound", nil); e.Int("status") != 0 {
				t.Fatalf("%s rx bind: %v", p.name, e)
			}
			var ids []string
			for _, k := range peerKinds() {
				label := p.name + " tx " + k.name
				args := append(append([]string{}, base...), "--bind", "tx", "--count", strconv.Itoa(k.n), "--window", "5", "--registered-delivery")
				evs, err := peers.RunESME(t, p.impl, append(args, k.args...)...)
				if err != nil {
					t.Fatalf("%s: %v\nevents: %v", label, err, evs)
				}
				ids = append(ids, submitIDs(t, label, evs, k.n)...)
			}
			evs, err := rx.Wait(60 * time.Second)
			if err != nil {
				t.Fatalf("%s rx: %v\nevents: %v", p.name, err, evs)
			}
			checkPeerReceipts(t, p.name+" tx+rx", evs, ids)

			// query_sm after the receipts, on a transmitter bind of the same account.
			addr := g.PlainAddr
			e := newESME(t, esmeOpts{addr: addr, systemID: p.sys, password: p.pw, mode: client.Transmitter})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for _, id := range ids {
				r, err := e.c.QuerySM(ctx, &pdu.QuerySM{MessageID: id, SourceAddr: "1000"})
				if err != nil {
					t.Errorf("%s: query_sm %s: %v", p.name, id, err)
					continue
				}
				if r.MessageState != pdu.StateDelivered {
					t.Errorf("%s: query_sm %s: state %v, want DELIVERED", p.name, id, r.MessageState)
				}
			}
		})
	}

	t.Run("smppcli", func(t *testing.T) {
		t.Parallel()
		common := []string{"-system-id", "cli", "-password", "clipw", "-from", "1000", "-to", "254700000003", "-wait-dlr", "-dlr-timeout", "30s", "-json"}
		cases := []struct {
			name     string
			args     []string
			segments int
		}{
			{"tls gsm7", []string{"-addr", g.Addr, "-tls", "-insecure-skip-verify", "-text", "Hello from smppcli"}, 1},
			{"tls long", []string{"-addr", g.Addr, "-tls", "-insecure-skip-verify", "-text", strings.Repeat("0123456789", 35)}, 3},
			{"plain ucs2", []string{"-addr", g.PlainAddr, "-encoding", "ucs2", "-text", "Привет, мир"}, 1},
			{"plain binary", []string{"-addr", g.PlainAddr, "-hex", "00010203fffe", "-dc", "4"}, 1},
		}
		for _, c := range cases {
			lines := smppcliJSON(t, append(append([]string{"send"}, c.args...), common...)...)
			checkCLISend(t, "smppcli "+c.name, lines, c.segments)
			var last string
			for _, l := range lines {
				if l["type"] == "submit_sm_resp" {
					last = l["message_id"].(string)
				}
			}
			q := smppcliJSON(t, "query", "-addr", g.PlainAddr, "-system-id", "cli", "-password", "clipw", "-bind", "tx", "-id", last, "-from", "1000", "-json")
			if len(q) != 1 || !strings.Contains(fmt.Sprint(q[0]), "DELIVERED") {
				t.Errorf("smppcli query %s: %v, want DELIVERED", last, q)
			}
		}
	})
}

// ---------------------------------------------------------------- status page

// TestStatusPageChromium loads the status page in headless Chromium with a
// transceiver bound and checks the rendered DOM shows the account and the bind.
func TestStatusPageChromium(t *testing.T) {
	t.Parallel()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed: run scripts/install-test-deps.sh (%v)", err)
	}
	g := startGatewayConfig(t, gwConf{}.yaml(t))
	newESME(t, esmeOpts{addr: g.PlainAddr, systemID: "test", password: "secret", mode: client.Transceiver})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--dump-dom", "http://"+g.HTTPAddr+"/")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\nstderr:\n%s", err, tail(stderr.String(), 3000))
	}
	s := string(dom)
	if !strings.Contains(s, `<td class="system-id">test</td>`) {
		t.Errorf("the DOM has no system-id cell for account test:\n%s", s)
	}
	if !strings.Contains(s, `<div class="session">BOUND_TRX from 127.0.0.1:`) {
		t.Errorf("the DOM shows no BOUND_TRX session from 127.0.0.1:\n%s", s)
	}
	if !strings.Contains(s, "<h1>SMPP gateway</h1>") {
		t.Errorf("not the status page:\n%s", s)
	}
}
