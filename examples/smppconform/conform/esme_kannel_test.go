//go:build interop

package conform

import (
	"context"
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

// kannelProfile is what Kannel 1.4.5's bearerbox, as configured by
// kannelConf, declares.
var kannelProfile = peerProfile{
	// smsc_smpp.c answers data_sm from the SMSC.
	Capabilities: []string{"data_sm"},
	// max-pending-submits in kannelConf.
	Window: 5,
	// A bind refused with ESME_RINVPASWD (or RINVSYSID) makes bearerbox
	// stop that SMSC connection for good ("SMSC rejected login", killed
	// as wrong password): a deliberate policy, not a protocol error, but
	// the cases after it need a fresh bearerbox.
	Alone: []string{"esme.bind.6"},
}

// kannelConf is a bearerbox bound as a transceiver to the tool at
// smscPort, with smsbox's sendsms interface on sendsms. MO messages get no
// reply (max-messages 0), so that only driven submits reach the tool.
const kannelConf = `group = core
admin-port = %[1]s
admin-password = secret
smsbox-port = %[2]s
log-level = 1
log-file = "%[5]s/bearerbox.log"
box-allow-ip = "127.0.0.1"
dlr-storage = internal
sms-resend-freq = 1

group = smsc
smsc = smpp
smsc-id = conform
host = 127.0.0.1
port = %[3]s
transceiver-mode = true
smsc-username = conform
smsc-password = secret
system-type = ""
interface-version = 34
reconnect-delay = 1
enquire-link-interval = 300
max-pending-submits = 5

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %[2]s
sendsms-port = %[4]s
log-file = "%[5]s/smsbox.log"
log-level = 1

group = sendsms-user
username = tester
password = foobar
max-messages = 10
concatenation = true

group = sms-service
keyword = default
max-messages = 0
text = ""
`

// kannelFailures are Kannel 1.4.5's deviations as an ESME (gw/smsc/smsc_smpp.c).
var kannelFailures = map[string]string{
	// pdus §3 (notes), fields §10, §11: an unknown (or reserved) command_id
	// gets generic_nack ESME_RINVCMDID carrying the request's
	// sequence_number. bearerbox cannot unpack the PDU and nacks every
	// PDU it cannot unpack alike: generic_nack ESME_RINVCMDLEN with
	// sequence_number 0 (io_thread: send_gnack(..., SMPP_ESME_RINVCMDLEN,
	// 0)); the session goes on.
	"esme.nack.1": "an unknown command_id gets generic_nack ESME_RINVCMDLEN with sequence_number 0 (pdus §3 notes, fields §10)",
	"esme.nack.2": "a reserved command_id gets generic_nack ESME_RINVCMDLEN with sequence_number 0 (pdus §3 notes, fields §10)",
}

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) string {
	l := listen(t)
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}

// waitListening waits until something accepts connections on addr.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startKannel starts bearerbox and smsbox bound to addr; its driver
// submits through sendsms.
func startKannel(t *testing.T, addr, bearerbox, smsbox string) *peerInstance {
	_, smscPort, _ := net.SplitHostPort(addr)
	admin, box, sendsms := freePort(t), freePort(t), freePort(t)
	dir := t.TempDir()
	cf := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(cf, []byte(fmt.Sprintf(kannelConf, admin, box, smscPort, sendsms, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	stopBB := startProc(t, exec.Command(bearerbox, cf))
	waitListening(t, "127.0.0.1:"+box)
	stopSB := startProc(t, exec.Command(smsbox, cf))
	waitListening(t, "127.0.0.1:"+sendsms)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 5 * time.Second}
	// send asks smsbox to send text; smsbox queues it in bearerbox, which
	// submits it once bound. A refusal (smsbox not yet connected to
	// bearerbox) is retried for 10 s.
	send := func(text, coding string) {
		q := url.Values{"username": {"tester"}, "password": {"foobar"}, "from": {"1000"}, "to": {"254700000001"},
			"text": {text}, "charset": {"UTF-8"}, "coding": {coding}}
		u := "http://127.0.0.1:" + sendsms + "/cgi-bin/sendsms?" + q.Encode()
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				resp, err := hc.Do(req)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode/100 == 2 {
						return
					}
				}
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		}()
	}
	return &peerInstance{
		drive: func(kind string) error {
			switch kind {
			case DriveSubmit:
				send("Hello from Kannel", "0")
			case DriveUnicode:
				send("Привет, мир", "2")
			case DriveLong:
				send(strings.Repeat("A long text that no single message can hold. ", 9), "0")
			case DriveBurst:
				for range 20 {
					send("burst message", "0")
				}
			default:
				return fmt.Errorf("unknown kind %q", kind)
			}
			return nil
		},
		stop: func() {
			cancel()
			wg.Wait()
			stopSB()
			stopBB()
			if t.Failed() {
				b, _ := os.ReadFile(filepath.Join(dir, "bearerbox.log"))
				t.Logf("bearerbox.log tail:\n%s", b[max(0, len(b)-3000):])
			}
		},
	}
}

// TestESMEKannel plays the ESME cases against Kannel's bearerbox bound as a
// transceiver, with smsbox's sendsms interface as the driver.
func TestESMEKannel(t *testing.T) {
	t.Parallel()
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
	runESMEPeer(t, esmePeer{
		name:     "Kannel 1.4.5 bearerbox",
		profile:  kannelProfile,
		expected: kannelFailures,
		start: func(t *testing.T, addr string) *peerInstance {
			return startKannel(t, addr, bearerbox, smsbox)
		},
	})
}
