package status

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, h http.Handler, url string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil))
	return w
}

// pageSource is a source with an account of each kind and an upstream,
// not ready.
func pageSource() *fakeSource {
	src := newFakeSource()
	src.set(func(f *fakeSource) {
		f.notReady = []string{"route 999: no upstream bound"}
		f.accounts = []Account{
			{SystemID: "demo", Rate: 2.5, Sessions: []Session{{"127.0.0.1:5000", "BOUND_TRX"}}, Receivers: 1},
			{SystemID: "free", MaxBinds: 2},
			{SystemID: "lost"}, // the deliveries not read
		}
		f.pending = map[string]int{"demo": 0, "free": 12}
		f.upstreams = []Upstream{{Name: "sim", BindsUp: 1, Binds: []Bind{{"127.0.0.1:2775", "bind_transceiver", true, 4}, {"127.0.0.1:2775", "bind_transceiver", false, 0}}}}
		f.totals.Accounts["demo"] = AccountTotal{Accepted: 7, Throttled: 1, Rejected: 2, Delivered: 6, DeliveryFailed: 1}
		f.queue, f.waiting = 5, 2
		f.server = []Count{{"connections accepted", 3}}
	})
	return src
}

// sampled returns a page on src (History 4) that took n samples a second
// apart, and the time they count from.
func sampled(src Source, n int) (*Page, time.Time) {
	p := New(src, Config{History: 4})
	t0 := p.prevT
	for i := 1; i <= n; i++ {
		p.Sample(t0.Add(time.Duration(i) * time.Second))
	}
	return p, t0
}

// TestServeJSON: /status.json carries the gateway's state with the
// field names the page's script and the gateway's tests read; ?since
// answers only newer samples, and a bad one is refused.
func TestServeJSON(t *testing.T) {
	src := pageSource()
	p, t0 := sampled(src, 6)
	w := get(t, p, "/status.json")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	var d map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"now", "uptime_s", "interval_s", "history_len", "ready", "not_ready", "accounts", "upstreams", "server", "latest", "history"} {
		if _, ok := d[k]; !ok {
			t.Errorf("no %q in %s", k, w.Body)
		}
	}
	if d["ready"] != false || d["history_len"] != 4.0 || d["interval_s"] != 1.0 || d["uptime_s"].(float64) < 89 {
		t.Errorf("ready %v, history_len %v, interval_s %v, uptime_s %v", d["ready"], d["history_len"], d["interval_s"], d["uptime_s"])
	}
	if h := d["history"].([]any); len(h) != 4 {
		t.Errorf("%d samples in the history, want the 4 kept", len(h))
	}
	body := w.Body.String()
	for _, want := range []string{
		`"accounts":[{"system_id":"demo","rate":"2.5","max_binds":0,"sessions":[{"remote":"127.0.0.1:5000","state":"BOUND_TRX"}],"receivers":1,"deliveries_pending":0,"accepted":7,"throttled":1,"rejected":2,"delivered":6,"delivery_failed":1},` +
			`{"system_id":"free","rate":"unlimited","max_binds":2,"sessions":[],"receivers":0,"deliveries_pending":12,"accepted":0,"throttled":0,"rejected":0,"delivered":0,"delivery_failed":0},` +
			`{"system_id":"lost","rate":"unlimited","max_binds":0,"sessions":[],"receivers":0,"deliveries_pending":-1,"accepted":0,"throttled":0,"rejected":0,"delivered":0,"delivery_failed":0}]`,
		`"upstreams":[{"name":"sim","binds_up":1,"binds_all":2,"binds":["127.0.0.1:2775 bind_transceiver up","127.0.0.1:2775 bind_transceiver down"],"in_flight":4}]`,
		`"server":[{"name":"connections accepted","value":3}]`,
		`"not_ready":["route 999: no upstream bound"]`,
		`"queue":5,"receipts_waiting":2,`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s in\n%s", want, body)
		}
	}

	since := t0.Add(4 * time.Second).UnixMilli()
	var part struct {
		History []*Sample `json:"history"`
	}
	w = get(t, p, fmt.Sprintf("/status.json?since=%d", since))
	if err := json.Unmarshal(w.Body.Bytes(), &part); err != nil {
		t.Fatal(err)
	}
	if len(part.History) != 2 || part.History[0].T <= since {
		t.Errorf("since %d: %d samples", since, len(part.History))
	}
	if w := get(t, p, "/status.json?since=x"); w.Code != http.StatusBadRequest {
		t.Errorf("since=x: %d, want 400", w.Code)
	}

	// Ready: not_ready is an empty list.
	src.set(func(f *fakeSource) { f.notReady = nil })
	if body := get(t, p, "/status.json").Body.String(); !strings.Contains(body, `"ready":true,"not_ready":[]`) {
		t.Errorf("ready: %s", body)
	}
}

// TestServePage: the page has today's figures rendered in, before its
// script runs; other paths are not found.
func TestServePage(t *testing.T) {
	p := New(pageSource(), Config{})
	w := get(t, p, "/")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	page := w.Body.String()
	for _, want := range []string{
		`<h1>SMPP gateway</h1>`, `<span class="down">not ready</span><br><span class="why">route 999: no upstream bound</span>`,
		`<div class="value r-accepted" id="v-accepted">0</div>`, `<div class="value" id="v-queue">5</div>`, `<div class="value" id="v-parked">2</div>`,
		`<td class="system-id">demo</td><td class="rate">2.5</td>`, `<div class="session">BOUND_TRX from 127.0.0.1:5000</div>`,
		`<td class="system-id">free</td><td class="rate">unlimited</td>`, `max 2 &middot; 0 receiving`,
		`<div class="deliveries-pending">0 deliveries pending</div>`, `<div class="deliveries-pending warn">12 deliveries pending</div>`,
		`<div class="deliveries-pending warn">deliveries pending: unknown</div>`,
		`<td class="accepted">accepted 7</td>`, `<td class="ok">1 of 2 binds up</td>`, `<div class="muted">127.0.0.1:2775 bind_transceiver down</div>`,
		`<tr><th>connections accepted</th><td>3</td></tr>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("no %s on the page", want)
		}
	}
	if w := get(t, p, "/nothing"); w.Code != http.StatusNotFound {
		t.Errorf("/nothing: %d, want 404", w.Code)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v          float64
		rate, msec string
	}{{0, "0", "–"}, {4.54, "4.5", "4.54"}, {42.25, "42", "42.2"}, {230, "230", "230"}, {12400, "12,400", "12400"}, {1234567, "1,234,567", "1234567"}} {
		if got := formatRate(c.v); got != c.rate {
			t.Errorf("formatRate(%v) = %q, want %q", c.v, got, c.rate)
		}
		if got := formatMs(c.v); got != c.msec {
			t.Errorf("formatMs(%v) = %q, want %q", c.v, got, c.msec)
		}
	}
}
