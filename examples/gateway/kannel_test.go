//go:build interop

package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestKannelESME drives the gateway with Kannel (Debian's bearerbox and
// smsbox, installed by scripts/install-test-deps.sh) as an unmodified ESME:
// Kannel binds as a transceiver, submits what its sendsms interface is given,
// and matches the receipts the gateway passes back (with the id rewritten) to
// its own submissions, which it reports on its dlr-url.
func TestKannelESME(t *testing.T) {
	bearerbox, err := exec.LookPath("bearerbox")
	if err != nil {
		bearerbox = "/usr/sbin/bearerbox"
	}
	smsbox := filepath.Join(filepath.Dir(bearerbox), "smsbox")
	for _, b := range []string{bearerbox, smsbox} {
		if _, err := os.Stat(b); err != nil {
			t.Fatalf("Kannel is not installed (%v): run scripts/install-test-deps.sh", err)
		}
	}
	g := startGatewayConfig(t, gwConf{Accounts: "  - {system_id: kannel, password: kannel12}\n", MOAccount: "kannel"}.yaml(t))
	_, smppPort, _ := net.SplitHostPort(g.PlainAddr)

	// The dlr-url receiver.
	type dlr struct{ status, id, reply string }
	var mu sync.Mutex
	var dlrs []dlr
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		dlrs = append(dlrs, dlr{q.Get("status"), q.Get("id"), q.Get("reply")})
		mu.Unlock()
	})}
	go hs.Serve(hl)
	defer hs.Close()

	port := func() string { _, p, _ := net.SplitHostPort(freePort(t)); return p }
	admin, box, sendsms := port(), port(), port()
	dir := t.TempDir()
	conf := fmt.Sprintf(`group = core
admin-port = %s
admin-password = secret
smsbox-port = %s
log-level = 1
log-file = "%s/bearerbox.log"
box-allow-ip = "127.0.0.1"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = gw
host = 127.0.0.1
port = %s
transceiver-mode = true
smsc-username = kannel
smsc-password = kannel12
system-type = ""
interface-version = 34
msg-id-type = 0x03
source-addr-ton = 2
source-addr-npi = 1
dest-addr-ton = 1
dest-addr-npi = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %s
sendsms-port = %s
log-file = "%s/smsbox.log"
log-level = 1

group = sendsms-user
username = tester
password = foobar

group = sms-service
keyword = default
text = "ok"
`, admin, box, dir, smppPort, box, sendsms, dir)
	cf := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	bb := startProc(t, "bearerbox", bearerbox, cf)
	defer bb.stop(3 * time.Second)
	waitPort(t, "127.0.0.1:"+box)
	sb := startProc(t, "smsbox", smsbox, cf)
	defer sb.stop(3 * time.Second)
	waitPort(t, "127.0.0.1:"+sendsms)

	texts := []string{"Hello from Kannel", "Habari yako? Ünïcödé from Kannel"}
	for i, text := range texts {
		q := url.Values{
			"username": {"tester"}, "password": {"foobar"}, "from": {"1000"}, "to": {fmt.Sprintf("25470000%04d", i)},
			"text": {text}, "dlr-mask": {"31"}, "charset": {"UTF-8"},
			"dlr-url": {fmt.Sprintf("http://%s/dlr?status=%%d&id=%%F&reply=%%A&n=%d", hl.Addr(), i)},
		}
		if i == 1 {
			q.Set("coding", "2") // UCS-2
		}
		// smsbox answers 202/503 until bearerbox has bound to the gateway.
		deadline := time.Now().Add(30 * time.Second)
		for {
			// A request smsbox holds (it waits for bearerbox) is given up
			// and made again, within the deadline.
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://127.0.0.1:" + sendsms + "/cgi-bin/sendsms?" + q.Encode())
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("sendsms refused: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Kannel reports the SMSC's acceptance (status 8) and then the receipt
	// (status 1 = delivered) for each message, having matched the receipt's
	// id to the submit_sm_resp id the gateway gave it.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		delivered := 0
		for _, d := range dlrs {
			if d.status == "1" && strings.Contains(d.reply, "stat:DELIVRD") {
				delivered++
			}
		}
		got := append([]dlr(nil), dlrs...)
		mu.Unlock()
		if delivered == len(texts) {
			for _, d := range got {
				if d.status == "1" {
					// The receipt text's id is the gateway's (hex) id; Kannel's
					// own id for it is the same number in decimal.
					var hexID string
					fmt.Sscanf(d.reply, "id:%s", &hexID)
					var n uint64
					if _, err := fmt.Sscanf(hexID, "%x", &n); err != nil || fmt.Sprint(n) != d.id {
						t.Errorf("receipt id %q does not match Kannel's message id %s", hexID, d.id)
					}
				}
			}
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "bearerbox.log"))
			t.Fatalf("Kannel reported %d delivered of %d; dlrs %+v\nbearerbox.log tail:\n%s", delivered, len(texts), got, tail(string(b), 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitPort waits until something accepts connections on addr.
func waitPort(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKannelShaping measures what Kannel, which does not pace itself (no
// throughput set), delivers with a window of 200 (max-pending-submits) to an
// account of 200 msg/s: 400 messages are queued in Kannel before the gateway
// starts, then Kannel binds and sends them as fast as its window lets it;
// the rate is that of the gateway's acceptances as Kannel reports them
// (SMSC success, dlr-mask 8), from the first to the last. With shaping (the
// default) nothing is refused and the rate (the README gives it) is logged; KANNEL_BASELINE=1 also runs the
// account with shaping: false for 60 s (about 9 msg/s or less: Kannel backs
// off on each ESME_RTHROTTLED).
func TestKannelShaping(t *testing.T) {
	t.Run("shaping", func(t *testing.T) {
		got, perSec, thr := kannelRate(t, "", 60*time.Second)
		// The rate is a figure for the README (at least 180 msg/s on a
		// quiet machine), not a check: a timed test would fail on a
		// loaded one. What shaping promises is that nothing is refused.
		t.Logf("Kannel: %d of 400 at %.1f msg/s to an account of 200 msg/s with shaping, %s throttled", got, perSec, thr)
		if got < 400 {
			t.Errorf("Kannel delivered %d of 400 to an account of 200 msg/s with shaping (%s throttled): want all", got, thr)
		}
	})
	if os.Getenv("KANNEL_BASELINE") != "" {
		// A measurement for the README, not a check: 60 s of policing.
		t.Run("policing", func(t *testing.T) {
			got, perSec, thr := kannelRate(t, ", shaping: false", 60*time.Second)
			t.Logf("shaping off: %d of 400 at %.1f msg/s, %s throttled", got, perSec, thr)
		})
	}
}

// kannelRate queues 400 messages in Kannel, then starts a gateway whose
// account kannel has rate 200 and the extra YAML keys, and returns how many
// Kannel reported accepted within limit of the first, at what rate, and the
// gateway's throttled count for the account.
func kannelRate(t *testing.T, extra string, limit time.Duration) (int, float64, string) {
	const n, window, rate = 400, 200, 200
	bearerbox, err := exec.LookPath("bearerbox")
	if err != nil {
		bearerbox = "/usr/sbin/bearerbox"
	}
	smsbox := filepath.Join(filepath.Dir(bearerbox), "smsbox")
	for _, b := range []string{bearerbox, smsbox} {
		if _, err := os.Stat(b); err != nil {
			t.Fatalf("Kannel is not installed (%v): run scripts/install-test-deps.sh", err)
		}
	}
	plain := freePort(t) // the gateway's, started once Kannel has the messages
	_, smppPort, _ := net.SplitHostPort(plain)

	var mu sync.Mutex
	var acks []time.Time
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("status") == "8" {
			mu.Lock()
			acks = append(acks, time.Now())
			mu.Unlock()
		}
	})}
	go hs.Serve(hl)
	defer hs.Close()

	port := func() string { _, p, _ := net.SplitHostPort(freePort(t)); return p }
	admin, box, sendsms := port(), port(), port()
	dir := t.TempDir()
	conf := fmt.Sprintf(`group = core
admin-port = %s
admin-password = secret
smsbox-port = %s
log-level = 1
log-file = "%s/bearerbox.log"
box-allow-ip = "127.0.0.1"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = gw
host = 127.0.0.1
port = %s
transceiver-mode = true
smsc-username = kannel
smsc-password = kannel12
system-type = ""
interface-version = 34
msg-id-type = 0x03
max-pending-submits = %d
reconnect-delay = 1
source-addr-ton = 2
source-addr-npi = 1
dest-addr-ton = 1
dest-addr-npi = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %s
sendsms-port = %s
log-file = "%s/smsbox.log"
log-level = 1

group = sendsms-user
username = tester
password = foobar

group = sms-service
keyword = default
text = "ok"
`, admin, box, dir, smppPort, window, box, sendsms, dir)
	cf := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	bb := startProc(t, "bearerbox", bearerbox, cf)
	defer bb.stop(3 * time.Second)
	waitPort(t, "127.0.0.1:"+box)
	sb := startProc(t, "smsbox", smsbox, cf)
	defer sb.stop(3 * time.Second)
	waitPort(t, "127.0.0.1:"+sendsms)

	send := func(i int) error {
		q := url.Values{
			"username": {"tester"}, "password": {"foobar"}, "from": {"1000"}, "to": {fmt.Sprintf("2547%08d", i)},
			"text": {fmt.Sprintf("shaping %d", i)}, "dlr-mask": {"8"},
			"dlr-url": {fmt.Sprintf("http://%s/dlr?status=%%d&n=%d", hl.Addr(), i)},
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://127.0.0.1:" + sendsms + "/cgi-bin/sendsms?" + q.Encode())
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
			return fmt.Errorf("sendsms %d: %s", i, resp.Status)
		}
		return nil
	}
	var wg sync.WaitGroup
	var next sync.Mutex
	k := 0
	for range 16 {
		wg.Go(func() {
			for {
				next.Lock()
				i := k
				k++
				next.Unlock()
				if i >= n {
					return
				}
				if err := send(i); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	g := startGatewayConfig(t, gwConf{Plain: plain, Accounts: fmt.Sprintf("  - {system_id: kannel, password: kannel12, rate: %d%s}\n", rate, extra), MOAccount: "kannel"}.yaml(t))
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		got := len(acks)
		mu.Unlock()
		if got > 0 {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "bearerbox.log"))
			t.Fatalf("Kannel sent nothing to the gateway in 30 s\nbearerbox.log tail:\n%s", tail(string(b), 3000))
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	first := acks[0]
	mu.Unlock()
	for {
		mu.Lock()
		got := len(acks)
		last := acks[got-1]
		mu.Unlock()
		if got >= n || time.Since(first) > limit {
			took := last.Sub(first)
			if got < n {
				took = time.Since(first) // not all there within limit
			}
			perSec := float64(got-1) / took.Seconds()
			thr := gatewayThrottled(t, g, "kannel")
			t.Logf("Kannel, window %d, account %d msg/s%s: %d of %d messages accepted in %v from the first: %.1f msg/s; the gateway throttled %s",
				window, rate, extra, got, n, took.Round(time.Millisecond), perSec, thr)
			return got, perSec, thr
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reThrottled finds the account's throttled count in the gateway's metrics,
// in a counter of its own or as a status of the submissions' counter.
var reThrottled = regexp.MustCompile(`(?m)^smpp_gateway_(?:throttled_total\{[^}]*system_id="([^"]+)"[^}]*\}|submits_total\{[^}]*(?:status|result)="(?:ESME_RTHROTTLED|throttled)"[^}]*\}) (\S+)$`)

// gatewayThrottled is the gateway's throttled count for the account, as its
// metrics say ("?" when they cannot be read).
func gatewayThrottled(t *testing.T, g *gateway, systemID string) string {
	t.Helper()
	resp, err := http.Get("http://" + g.HTTPAddr + "/metrics")
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, m := range reThrottled.FindAllStringSubmatch(string(b), -1) {
		if m[1] == systemID || (m[1] == "" && strings.Contains(m[0], `"`+systemID+`"`)) {
			return m[2]
		}
	}
	return "0"
}
