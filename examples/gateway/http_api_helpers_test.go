package main

// Helpers of the HTTP API's end-to-end tests: a gateway with http_api:
// on, requests to it, and a webhook receiver that verifies signatures with
// code of its own (not package webhook's) and can fail the first tries.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

var reHTTPAPI = regexp.MustCompile(`HTTP API:\s+https?://(\S+?)/v1/messages`)

// apiAddr returns the HTTP API's address from a gateway's banner.
func (g *gateway) apiAddr(t testing.TB) string {
	t.Helper()
	m := reHTTPAPI.FindStringSubmatch(g.stdout.String())
	if m == nil {
		t.Fatalf("no HTTP API in the banner:\n%s", g.stdout.String())
	}
	return m[1]
}

// apiResult is an HTTP API answer.
type apiResult struct {
	status int
	header http.Header
	body   []byte
}

func (r apiResult) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %s", r.status, err, r.body)
	}
	return m
}

// ids returns the message ids of a send's answer, in order.
func (r apiResult) ids(t testing.TB) []string {
	t.Helper()
	var resp struct {
		Messages []struct {
			IDs []string `json:"ids"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(r.body, &resp); err != nil || r.status != 201 {
		t.Fatalf("send answered %d: %s", r.status, r.body)
	}
	var out []string
	for _, m := range resp.Messages {
		out = append(out, m.IDs...)
	}
	return out
}

var apiClient = &http.Client{Timeout: 30 * time.Second}

// api sends a request with Basic credentials user/pw and headers in pairs.
func api(t testing.TB, method, url, user, pw, body string, hdr ...string) apiResult {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pw)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apiResult{resp.StatusCode, resp.Header, b}
}

// hookPost is one webhook request received.
type hookPost struct {
	id     string // X-Webhook-ID
	body   map[string]any
	status int // what the receiver answered
}

// hookReceiver is a webhook receiver: it checks every request's signature
// by the README's recipe and answers 503 to the first failFirst tries of
// each X-Webhook-ID.
type hookReceiver struct {
	*httptest.Server
	secret    string
	failFirst int

	mu      sync.Mutex
	tries   map[string]int
	posts   []hookPost
	badSigs int
	changed chan struct{}
}

func newHookReceiver(t testing.TB, secret string, failFirst int) *hookReceiver {
	h := &hookReceiver{secret: secret, failFirst: failFirst, tries: map[string]int{}, changed: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.Close)
	return h
}

// verify is the README's recipe, written here without package webhook:
// hex(HMAC-SHA256(secret, timestamp + "." + body)) after "v1=", and a
// timestamp within 5 minutes.
func verifySignature(secret, timestamp, signature string, body []byte) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "." + string(body)))
	want := "v1=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(signature))
}

func (h *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("X-Webhook-ID")
	h.mu.Lock()
	defer h.mu.Unlock()
	if !verifySignature(h.secret, r.Header.Get("X-Webhook-Timestamp"), r.Header.Get("X-Webhook-Signature"), body) {
		h.badSigs++
		w.WriteHeader(401)
		return
	}
	h.tries[id]++
	p := hookPost{id: id, status: 200}
	if h.tries[id] <= h.failFirst {
		p.status = 503
	}
	json.Unmarshal(body, &p.body)
	h.posts = append(h.posts, p)
	close(h.changed)
	h.changed = make(chan struct{})
	w.WriteHeader(p.status)
}

// wait waits until ok holds for the posts answered 2xx, or timeout.
func (h *hookReceiver) wait(t testing.TB, timeout time.Duration, what string, ok func(posts []hookPost) bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		h.mu.Lock()
		var good []hookPost
		for _, p := range h.posts {
			if p.status == 200 {
				good = append(good, p)
			}
		}
		ch := h.changed
		h.mu.Unlock()
		if ok(good) {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("webhook: %s not received within %v (%d posts)", what, timeout, len(good))
		}
	}
}
