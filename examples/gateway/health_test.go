package main

// Tests on the wire of the HTTP side (health.go, http.go, metrics.go): an
// in-process gateway serving HTTP on a loopback port, read with an HTTP
// client as a probe, Prometheus or an operator would.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
	"github.com/esmsafrica/smpp/pdu"
)

// inprocHTTP is inproc with the HTTP listener open.
func inprocHTTP(t *testing.T, extra func(*Config)) (*app, string) {
	t.Helper()
	a := inproc(t, func(c *Config) {
		c.HTTPListen = "127.0.0.1:0"
		if extra != nil {
			extra(c)
		}
	})
	if a.HTTPAddr == "" {
		t.Fatal("no HTTP listener")
	}
	return a, "http://" + a.HTTPAddr
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// eventually polls f until it returns "" or the timeout passes, and fails
// the test with f's last complaint.
func eventually(t *testing.T, timeout time.Duration, f func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metricValue finds the sample of name whose labels include every
// name="value" pair given, in the text exposition format.
func metricValue(body, name string, labels ...string) (float64, bool) {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		head := line[:sp]
		ok := true
		for i := 0; i+1 < len(labels); i += 2 {
			if !strings.Contains(head, labels[i]+`="`+labels[i+1]+`"`) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		return v, true
	}
	return 0, false
}

func TestLivezAndReadyz(t *testing.T) {
	t.Run("ready", func(t *testing.T) {
		// The only route goes to the simulator, which binds.
		_, base := inprocHTTP(t, func(c *Config) { c.Routes = []RouteConfig{{Prefix: "", Upstreams: []string{"sim"}}} })
		for _, path := range []string{"/livez", "/healthz"} {
			if code, body := httpGet(t, base+path); code != 200 || body != "ok\n" {
				t.Fatalf("%s: %d %q", path, code, body)
			}
		}
		eventually(t, 15*time.Second, func() string {
			if code, body := httpGet(t, base+"/readyz"); code != 200 || body != "ready\n" {
				return "/readyz with the simulator bound: " + strconv.Itoa(code) + " " + body
			}
			return ""
		})
	})
	t.Run("dead upstream", func(t *testing.T) {
		// inproc's route 999 has only the "dead" upstream: nothing listens there.
		_, base := inprocHTTP(t, nil)
		if code, _ := httpGet(t, base+"/livez"); code != 200 {
			t.Fatalf("/livez: %d", code)
		}
		var code int
		var body string
		eventually(t, 15*time.Second, func() string {
			// Once the simulator is bound, the dead route is the only reason.
			code, body = httpGet(t, base+"/readyz")
			if strings.Contains(body, "route *") {
				return "the simulator's route not up yet: " + body
			}
			return ""
		})
		if code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz with a route whose only upstream is dead: %d %q", code, body)
		}
		if !regexp.MustCompile(`(?m)^route 999: no upstream bound \(dead: 0 of [1-9][0-9]* binds up\)$`).MatchString(body) {
			t.Fatalf("/readyz body %q", body)
		}
	})
}

func TestBuildInfoMetric(t *testing.T) {
	_, base := inprocHTTP(t, nil)
	_, body := httpGet(t, base+"/metrics")
	v, ok := metricValue(body, "smpp_gateway_build_info", "goversion", runtime.Version())
	if !ok || v != 1 {
		t.Fatalf("smpp_gateway_build_info: %v %v in\n%s", v, ok, grepLines(body, "build_info"))
	}
	if !regexp.MustCompile(`smpp_gateway_build_info\{[^}]*version="[^"]+"`).MatchString(body) {
		t.Fatalf("no version label: %s", grepLines(body, "build_info"))
	}
}

func grepLines(body, s string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// submitBurst sends n submit_sm at once from c and counts the answers.
func submitBurst(t *testing.T, c *client.Client, n int) (accepted, throttled int) {
	t.Helper()
	var wg sync.WaitGroup
	var acc, thr atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("burst")})
			switch {
			case err == nil:
				acc.Add(1)
			case errors.Is(err, pdu.ESME_RTHROTTLED):
				thr.Add(1)
			default:
				t.Errorf("submit: %v", err)
			}
		}()
	}
	wg.Wait()
	return int(acc.Load()), int(thr.Load())
}

// TestThrottledInSubmitsAndStatusPage: a burst over a policed account's
// rate is counted in smpp_gateway_submits_total{status="ESME_RTHROTTLED"}
// (and still in smpp_gateway_throttled_total), and the status page shows
// the account's totals, an unlimited account as "unlimited", the
// upstreams' binds and the server's counters with labels.
func TestThrottledInSubmitsAndStatusPage(t *testing.T) {
	off := false
	a, base := inprocHTTP(t, func(c *Config) {
		c.Accounts = []AccountConfig{
			{SystemID: "demo", Password: "demo1234", Rate: 50, Burst: 10, Shaping: &off},
			{SystemID: "loadtest", Password: "load1234", Unlimited: true},
		}
		c.Routes = []RouteConfig{{Prefix: "", Upstreams: []string{"sim"}}}
	})
	c := dialDemo(t, a, nil)
	accepted, throttled := submitBurst(t, c, 200)
	if throttled == 0 {
		t.Fatalf("no submission throttled (%d accepted)", accepted)
	}
	// One refused for another reason: no destination.
	if _, err := c.Submit(context.Background(), &pdu.SubmitSM{SourceAddr: "1000", ShortMessage: []byte("x")}); err == nil || errors.Is(err, pdu.ESME_RTHROTTLED) {
		// Throttled again: the bucket is empty; wait for a token and retry.
		time.Sleep(200 * time.Millisecond)
		if _, err := c.Submit(context.Background(), &pdu.SubmitSM{SourceAddr: "1000", ShortMessage: []byte("x")}); err == nil || errors.Is(err, pdu.ESME_RTHROTTLED) {
			t.Fatalf("a submission without a destination: %v", err)
		}
	}
	_, body := httpGet(t, base+"/metrics")
	if v, _ := metricValue(body, "smpp_gateway_submits_total", "system_id", "demo", "command", "submit_sm", "status", "ESME_RTHROTTLED"); int(v) < throttled {
		t.Fatalf("submits_total{status=ESME_RTHROTTLED} = %v, the client saw %d throttled:\n%s", v, throttled, grepLines(body, "smpp_gateway_submits_total"))
	}
	if v, _ := metricValue(body, "smpp_gateway_throttled_total", "system_id", "demo"); int(v) < throttled {
		t.Fatalf("throttled_total = %v, want >= %d", v, throttled)
	}
	if v, _ := metricValue(body, "smpp_gateway_submits_total", "system_id", "demo", "command", "submit_sm", "status", "ESME_ROK"); int(v) != accepted {
		t.Fatalf("submits_total{status=ESME_ROK} = %v, want %d", v, accepted)
	}
	thrAll, _ := metricValue(body, "smpp_gateway_submits_total", "system_id", "demo", "command", "submit_sm", "status", "ESME_RTHROTTLED")

	// The status page.
	eventually(t, 15*time.Second, func() string {
		if code, b := httpGet(t, base+"/readyz"); code != 200 {
			return "not ready: " + b
		}
		return ""
	})
	code, page := httpGet(t, base+"/")
	if code != 200 {
		t.Fatalf("status page: %d", code)
	}
	for _, want := range []string{
		`<td class="system-id">demo</td><td class="rate">50</td>`,
		`<td class="system-id">loadtest</td><td class="rate">unlimited</td>`,
		`<td class="accepted">accepted ` + strconv.Itoa(accepted) + `</td>`,
		`<td class="throttled">throttled ` + strconv.Itoa(int(thrAll)) + `</td>`,
		`<td class="rejected">rejected 1</td>`,
		`<th>connections accepted</th>`,
		`<th>sessions bound</th><td>1</td>`,
		`<span class="ok">ready</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if !regexp.MustCompile(`<td class="name">sim</td><td class="ok">[1-9][0-9]* of [1-9][0-9]* binds up</td>`).MatchString(page) {
		t.Errorf("status page: no binds up for sim")
	}
	if strings.Contains(page, "{Accepted:") || strings.Contains(page, `class="rate">0<`) {
		t.Errorf("status page shows a raw struct or rate 0")
	}
	if t.Failed() {
		t.Log(page)
	}
}

// TestDeliveryExpiryAndMOMetrics: a delivery the ESME refuses, a message
// that expires and MO routed and unrouted, each read back from /metrics.
func TestDeliveryExpiryAndMOMetrics(t *testing.T) {
	a, base := inprocHTTP(t, func(c *Config) { c.MORoutes = []MORouteConfig{{Prefix: "1000", Account: "demo"}} })
	var calls atomic.Int64
	got := make(chan *client.Delivery, 10)
	h := client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
		if calls.Add(1) == 1 {
			return errors.New("not now") // answered ESME_RX_T_APPN: delivered again later
		}
		got <- d
		return nil
	})
	c := dialDemo(t, a, h)
	if _, err := a.sim.SendMO(sim.MO{SystemID: "gateway", From: "254711111111", To: "1000", Text: "routed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.sim.SendMO(sim.MO{SystemID: "gateway", From: "254711111111", To: "2000", Text: "nobody's"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(context.Background(), &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "9990001", ShortMessage: []byte("never routed"),
		RegisteredDelivery: 1, ValidityPeriod: pdu.FormatRelative(2 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	// The MO (refused once, then accepted) and the EXPIRED receipt.
	for i := 0; i < 2; i++ {
		select {
		case <-got:
		case <-time.After(20 * time.Second):
			t.Fatalf("%d deliveries accepted, want 2 (handler called %d times)", i, calls.Load())
		}
	}
	eventually(t, 10*time.Second, func() string {
		_, body := httpGet(t, base+"/metrics")
		for _, w := range []struct {
			name   string
			labels []string
			want   float64
		}{
			{"smpp_gateway_deliveries_failed_total", []string{"system_id", "demo", "reason", "ESME_RX_T_APPN"}, 1},
			{"smpp_gateway_deliveries_acked_total", []string{"system_id", "demo"}, 2},
			{"smpp_gateway_final_by_gateway_total", []string{"system_id", "demo", "stat", "EXPIRED"}, 1},
			{"smpp_gateway_mo_total", []string{"system_id", "demo", "outcome", "routed"}, 1},
			{"smpp_gateway_mo_total", []string{"system_id", "", "outcome", "unrouted"}, 1},
		} {
			if v, _ := metricValue(body, w.name, w.labels...); v != w.want {
				return w.name + " " + strings.Join(w.labels, ",") + " = " + strconv.FormatFloat(v, 'f', -1, 64) + ", want " +
					strconv.FormatFloat(w.want, 'f', -1, 64) + "\n" + grepLines(body, "smpp_gateway_")
			}
		}
		return ""
	})
}
