//go:build interop

package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
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
