package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
	"github.com/esmsafrica/smpp/pdu"
)

const hookSecret = "0123456789abcdef-test-secret"

// httpConf is a test configuration with the HTTP API on and account test
// (password secret) sending receipts to both its binds and hookURL.
func httpConf(t testing.TB, c gwConf, hookURL string, extra string) string {
	if c.Accounts == "" {
		c.Accounts = fmt.Sprintf("  - {system_id: test, password: secret, rate: 5000, deliver_to: both, "+
			"webhook: {url: %q, secret: %q, min_backoff: 100ms, max_backoff: 1s}}\n", hookURL, hookSecret)
	}
	return c.yaml(t) + "http_api: {listen: \"127.0.0.1:0\"}\n" + extra
}

// TestHTTPSendReceiptWebhookQuery: a message sent over HTTP reaches the
// upstream (a separate smsc-sim), its receipt reaches the webhook receiver
// (which fails the first three tries: the fourth gets it, once, signed by
// the README's recipe, with the client reference) and the SMPP bind of the
// same account (deliver_to: both), and its state is DELIVERED over GET and
// over query_sm from that bind; a long Unicode text arrives upstream as the
// right segments.
func TestHTTPSendReceiptWebhookQuery(t *testing.T) {
	t.Parallel()
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	sim := startSim(t, "127.0.0.1:0", journal)
	hook := newHookReceiver(t, hookSecret, 3)
	g := startGatewayConfig(t, httpConf(t, gwConf{Upstream: sim.Addr}, hook.URL, ""))
	base := "http://" + g.apiAddr(t)
	e := newESME(t, esmeOpts{addr: g.PlainAddr, systemID: "test", password: "secret", binds: 1})

	r := api(t, "POST", base+"/v1/messages", "test", "secret", `{"from":"1000","to":"+254700000001","text":"Hello over HTTP","reference":"order-42"}`)
	ids := r.ids(t)
	if len(ids) != 1 {
		t.Fatalf("ids %v", ids)
	}
	id := ids[0]
	hook.wait(t, 30*time.Second, "the receipt", func(ps []hookPost) bool {
		for _, p := range ps {
			if p.body["type"] == "receipt" && p.body["id"] == id {
				return true
			}
		}
		return false
	})
	time.Sleep(500 * time.Millisecond) // time for a duplicate to show
	hook.mu.Lock()
	var tries, ok int
	var receipt map[string]any
	for _, p := range hook.posts {
		if p.body["id"] != id {
			continue
		}
		tries++
		if p.status == 200 {
			ok++
			receipt = p.body
		}
	}
	bad := hook.badSigs
	hook.mu.Unlock()
	t.Logf("webhook: %d tries for the receipt, %d answered 2xx: %v", tries, ok, receipt)
	if tries != 4 || ok != 1 || bad != 0 {
		t.Errorf("receipt webhook: %d tries, %d 2xx, %d bad signatures; want 4, 1, 0", tries, ok, bad)
	}
	if receipt["state"] != "DELIVERED" || receipt["stat"] != "DELIVRD" || receipt["reference"] != "order-42" || receipt["account"] != "test" {
		t.Errorf("receipt webhook body %v", receipt)
	}

	m := api(t, "GET", base+"/v1/messages/"+id, "test", "secret", "").json(t)
	if m["state"] != "DELIVERED" || m["done"] == nil || m["reference"] != "order-42" || m["to"] != "254700000001" {
		t.Errorf("GET: %v", m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := e.c.QuerySM(ctx, &pdu.QuerySM{MessageID: id, SourceAddr: "1000"})
	if err != nil || q.MessageState != pdu.StateDelivered {
		t.Errorf("query_sm from a bind of the account: %+v %v", q, err)
	}
	if missing := func() []string {
		e.mu.Lock()
		e.acked = append(e.acked, id)
		e.mu.Unlock()
		return e.waitReceipts(20 * time.Second)
	}(); len(missing) > 0 {
		t.Errorf("the SMPP bind got no receipt for %s (deliver_to: both)", id)
	}
	if doc := api(t, "GET", base+"/v1/openapi.json", "", "", ""); doc.status != 200 || strings.TrimSpace(string(doc.body)) != strings.TrimSpace(string(httpapi.OpenAPI)) {
		t.Errorf("GET /v1/openapi.json: %d, not the document in the repository", doc.status)
	}
	if st := api(t, "GET", base+"/v1/messages/"+id, "other", "x", ""); st.status != 401 {
		t.Errorf("GET with wrong credentials: %d", st.status)
	}
	if st := api(t, "DELETE", base+"/v1/messages/"+id, "test", "secret", ""); st.status != 409 {
		t.Errorf("DELETE of a delivered message: %d %s", st.status, st.body)
	}

	// A long Unicode text: UCS-2, 67 characters per segment with an 8-bit
	// concatenation UDH.
	text := strings.Repeat("Habari ya leo — Привет ✓ ", 9) // 225 UTF-16 units: 4 segments
	body, _ := json.Marshal(map[string]any{"from": "1000", "to": "254700000002", "text": text})
	long := api(t, "POST", base+"/v1/messages", "test", "secret", string(body))
	segIDs := long.ids(t)
	if lm := long.json(t); lm["encoding"] != "ucs2" || len(segIDs) != 4 {
		t.Fatalf("long text: %s", long.body)
	}
	want := map[string]int{}
	for i, s := range segIDs {
		want[s] = i + 1
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		upstream := map[int]bool{}
		refs := map[byte]bool{}
		for _, j := range readJournal(t, journal) {
			if j.Ev != "submit" || len(j.Text) < 6 || j.Text[0] != 5 || j.Text[1] != 0 || j.Text[2] != 3 {
				continue
			}
			if j.Text[4] == 4 {
				upstream[int(j.Text[5])] = true
				refs[j.Text[3]] = true
			}
		}
		if len(upstream) == 4 && len(refs) == 1 {
			t.Logf("long text: 4 segments upstream with one reference, ids %v", segIDs)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("upstream has segments %v with references %v; want 1..4 of one message", upstream, refs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, s := range segIDs {
		waitState(t, base, s, "DELIVERED")
	}
}

// waitState waits until GET /v1/messages/id says state.
func waitState(t *testing.T, base, id, state string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m := api(t, "GET", base+"/v1/messages/"+id, "test", "secret", "").json(t)
		if m["state"] == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s: %v, want state %s", id, m, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHTTPMOWebhook: with deliver_to: webhook and no SMPP bind, MO
// messages from the upstream reach the account's webhook as JSON with
// their text, signed.
func TestHTTPMOWebhook(t *testing.T) {
	t.Parallel()
	sim := startSim(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "journal.jsonl"), "-mo-rate", "5", "-mo-to", "1000", "-mo-text", "MO message {n}")
	hook := newHookReceiver(t, hookSecret, 0)
	acct := fmt.Sprintf("  - {system_id: test, password: secret, rate: 5000, deliver_to: webhook, webhook: {url: %q, secret: %q, min_backoff: 100ms}}\n", hook.URL, hookSecret)
	startGatewayConfig(t, httpConf(t, gwConf{Upstream: sim.Addr, Accounts: acct}, hook.URL, ""))
	var mo map[string]any
	hook.wait(t, 30*time.Second, "an MO message", func(ps []hookPost) bool {
		for _, p := range ps {
			if p.body["type"] == "mo" {
				mo = p.body
				return true
			}
		}
		return false
	})
	t.Logf("MO webhook: %v", mo)
	if text, _ := mo["text"].(string); !strings.HasPrefix(text, "MO message ") || mo["to"] != "1000" || mo["account"] != "test" {
		t.Errorf("MO webhook body %v", mo)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	if hook.badSigs != 0 {
		t.Errorf("%d posts with a bad signature", hook.badSigs)
	}
}
