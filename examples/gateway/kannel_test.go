//go:build interop

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/internal/kannel"
)

// TestKannelESME drives the gateway with Kannel (Debian's bearerbox and
// smsbox, installed by scripts/install-test-deps.sh) as an unmodified ESME:
// Kannel binds as a transceiver, submits what its sendsms interface is given,
// and matches the receipts the gateway passes back (with the id rewritten) to
// its own submissions, which it reports on its dlr-url.
func TestKannelESME(t *testing.T) {
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

	k := kannel.Start(t, kannelConfig(smppPort))

	texts := []string{"Hello from Kannel", "Habari yako? Ünïcödé from Kannel"}
	for i, text := range texts {
		q := url.Values{
			"from": {"1000"}, "to": {fmt.Sprintf("25470000%04d", i)}, "text": {text}, "dlr-mask": {"31"}, "charset": {"UTF-8"},
			"dlr-url": {fmt.Sprintf("http://%s/dlr?status=%%d&id=%%F&reply=%%A&n=%d", hl.Addr(), i)},
		}
		if i == 1 {
			q.Set("coding", "2") // UCS-2
		}
		// smsbox answers 202/503, or holds the request, until bearerbox
		// has bound to the gateway.
		if err := k.SendWithin(context.Background(), 30*time.Second, q); err != nil {
			t.Fatalf("sendsms refused: %v", err)
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
			t.Fatalf("Kannel reported %d delivered of %d; dlrs %+v", delivered, len(texts), got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kannelConfig is Kannel bound to the gateway at port as the account
// kannel, submitting with Kannel's usual address types and reading the
// receipts' ids as hex (msg-id-type 0x03, as the gateway gives them); it
// answers an MO message with "ok".
func kannelConfig(port string) kannel.Config {
	return kannel.Config{
		Port: port, SystemID: "kannel", Password: "kannel12",
		SMSC:    []string{"msg-id-type = 0x03", "source-addr-ton = 2", "source-addr-npi = 1", "dest-addr-ton = 1", "dest-addr-npi = 1"},
		Service: []string{`text = "ok"`},
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

	kc := kannelConfig(smppPort)
	kc.SMSC = append(kc.SMSC, fmt.Sprintf("max-pending-submits = %d", window), "reconnect-delay = 1")
	k := kannel.Start(t, kc)

	send := func(i int) error {
		return k.Send(context.Background(), url.Values{
			"from": {"1000"}, "to": {fmt.Sprintf("2547%08d", i)}, "text": {fmt.Sprintf("shaping %d", i)}, "dlr-mask": {"8"},
			"dlr-url": {fmt.Sprintf("http://%s/dlr?status=%%d&n=%d", hl.Addr(), i)},
		})
	}
	var wg sync.WaitGroup
	var next sync.Mutex
	todo := 0
	for range 16 {
		wg.Go(func() {
			for {
				next.Lock()
				i := todo
				todo++
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
			t.Fatalf("Kannel sent nothing to the gateway in 30 s")
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
