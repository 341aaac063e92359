package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

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
// listen addresses and the data folder given as flags), the demo with the
// embedded simulator, which its banner says: smppcli over TLS gets
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
	if out := g.stdout.String(); !strings.Contains(out, "DEMO") || !strings.Contains(out, "simulated operator") {
		t.Errorf("the banner of the embedded defaults does not say it is a demo:\n%s", out)
	}

	t.Run("smppcli TLS send with receipt", func(t *testing.T) {
		lines := smppcliJSON(t, "send", "-addr", g.Addr, "-tls", "-insecure-skip-verify", "-system-id", "demo", "-password", "demo1234",
			"-from", "12345", "-to", "254700000001", "-text", "Hello", "-wait-dlr", "-dlr-timeout", "20s", "-json")
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
