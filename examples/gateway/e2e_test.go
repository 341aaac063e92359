package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/internal/peers"
	"github.com/esmsafrica/smpp/pdu"
)

// smppcliJSON runs smppcli with args and returns its JSON output lines.
func smppcliJSON(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin(t, "smppcli"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("smppcli %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, stderr.String())
	}
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("smppcli output line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	return lines
}

// checkCLISend checks smppcli send -dlr -json output: every submitted
// segment got one DELIVRD receipt carrying its message id.
func checkCLISend(t *testing.T, label string, lines []map[string]any, wantSegments int) {
	t.Helper()
	var ids []string
	receipts := map[string][]map[string]any{}
	for _, l := range lines {
		switch l["type"] {
		case "submit_sm_resp":
			ids = append(ids, l["message_id"].(string))
		case "receipt":
			id, _ := l["id"].(string)
			receipts[id] = append(receipts[id], l)
		}
	}
	if len(ids) != wantSegments {
		t.Fatalf("%s: %d submit_sm_resp, want %d: %v", label, len(ids), wantSegments, lines)
	}
	for _, id := range ids {
		if id == "" {
			t.Errorf("%s: empty message_id", label)
		}
		rs := receipts[id]
		if len(rs) != 1 {
			t.Errorf("%s: %d receipts for message_id %s, want 1 (output %v)", label, len(rs), id, lines)
			continue
		}
		if rs[0]["stat"] != "DELIVRD" {
			t.Errorf("%s: receipt of %s has stat %v, want DELIVRD", label, id, rs[0]["stat"])
		}
	}
}

// TestE2ETLSDefaults runs the gateway on its embedded defaults (only the
// listen addresses and the data folder given as flags): smppcli over TLS gets
// a receipt for its message under the gateway's id; plaintext SMPP and TLS 1.2
// are refused on the TLS port.
func TestE2ETLSDefaults(t *testing.T) {
	t.Parallel()
	g := startGateway(t, "-listen", "127.0.0.1:0", "-http", "127.0.0.1:0", "-data", t.TempDir())
	if g.PlainAddr != "" {
		t.Fatalf("the defaults opened a plaintext listener on %s", g.PlainAddr)
	}
	if g.SimAddr == "" || g.HTTPAddr == "" {
		t.Fatalf("banner lacks the simulator or status page address:\n%s", g.stdout.String())
	}

	t.Run("smppcli TLS send with receipt", func(t *testing.T) {
		lines := smppcliJSON(t, "send", "-addr", g.Addr, "-tls", "-insecure-skip-verify", "-system-id", "demo", "-password", "demo1234",
			"-from", "12345", "-to", "254700000001", "-text", "Hello", "-dlr", "-dlr-timeout", "20s", "-json")
		checkCLISend(t, "smppcli send", lines, 1)
	})

	t.Run("plaintext on the TLS port", func(t *testing.T) {
		c, err := net.DialTimeout("tcp", g.Addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		b, err := pdu.AppendPDU(nil, 1, 0, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "demo", Password: "demo1234", InterfaceVersion: 0x34})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the connection stayed open 10 s after a plaintext bind (read %x)", got)
		}
		// Nothing, or a TLS alert record (0x15): never an SMPP PDU.
		if len(got) > 0 && got[0] != 0x15 {
			t.Fatalf("the TLS port answered a plaintext bind with %x", got)
		}
		if len(got) >= 16 {
			if id := pdu.CommandID(uint32(got[4])<<24 | uint32(got[5])<<16 | uint32(got[6])<<8 | uint32(got[7])); id.IsResponse() {
				t.Fatalf("the TLS port answered with an SMPP %v: %x", id, got)
			}
		}
		t.Logf("plaintext bind: connection closed after %d bytes (%x)", len(got), got)
	})

	t.Run("TLS 1.2 refused", func(t *testing.T) {
		d := &net.Dialer{Timeout: 5 * time.Second}
		c, err := tls.DialWithDialer(d, "tcp", g.Addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
		if err == nil {
			v := c.ConnectionState().Version
			c.Close()
			t.Fatalf("a TLS 1.2-only client completed the handshake (version %#x)", v)
		}
		t.Logf("TLS 1.2 client: %v", err)
		// TLS 1.3 is accepted on the same port.
		c, err = tls.DialWithDialer(d, "tcp", g.Addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatalf("TLS 1.3 handshake: %v", err)
		}
		if v := c.ConnectionState().Version; v != tls.VersionTLS13 {
			t.Errorf("negotiated %#x, want TLS 1.3", v)
		}
		c.Close()
	})
}

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
		common := []string{"-system-id", "cli", "-password", "clipw", "-from", "1000", "-to", "254700000003", "-dlr", "-dlr-timeout", "30s", "-json"}
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

// ---------------------------------------------------------------- throttling

// TestE2EThrottle fires 200 submits at once at an account limited to 50 msg/s
// with a burst of 10: some are refused with ESME_RTHROTTLED and the accepted
// count is what the rate allows over the time the run took.
func TestE2EThrottle(t *testing.T) {
	t.Parallel()
	g := startGatewayConfig(t, gwConf{Accounts: "  - {system_id: slow, password: slowpw, rate: 50, burst: 10}\n", MOAccount: "slow"}.yaml(t))
	e := newESME(t, esmeOpts{addr: g.PlainAddr, systemID: "slow", password: "slowpw", window: 200})
	const n = 200
	var wg sync.WaitGroup
	wg.Add(n)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	for i := 0; i < n; i++ {
		e.submit(ctx, fmt.Sprintf("throttle %d", i), wg.Done)
	}
	wg.Wait()
	elapsed := time.Since(start)
	e.mu.Lock()
	ok, thr := e.statuses["ESME_ROK"], e.statuses[pdu.ESME_RTHROTTLED.String()]
	st := fmt.Sprint(e.statuses)
	e.mu.Unlock()
	t.Logf("%d submits in %v: %s", n, elapsed.Round(time.Millisecond), st)
	if ok+thr != n {
		t.Errorf("answers other than ESME_ROK and ESME_RTHROTTLED: %s", st)
	}
	if thr == 0 {
		t.Fatalf("no ESME_RTHROTTLED for %d submits at once at 50 msg/s burst 10: %s", n, st)
	}
	// Tokens available over the run: the burst plus 50 per second (loose).
	maxOK := 10 + int(50*elapsed.Seconds()*1.5) + 5
	if ok > maxOK {
		t.Errorf("%d accepted in %v: more than the rate allows (at most ~%d)", ok, elapsed, maxOK)
	}
	if ok < 5 {
		t.Errorf("only %d accepted: the burst of 10 should pass", ok)
	}
	// The accepted messages go through.
	if missing := e.waitReceipts(30 * time.Second); len(missing) > 0 {
		t.Errorf("%d accepted messages without a receipt: %v", len(missing), missing)
	}
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
