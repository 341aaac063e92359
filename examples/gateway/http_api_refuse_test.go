package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHTTPRefusedWhole: a request with one destination that cannot be
// routed, or a text over max_segments, or a body over max_body, is refused
// with a JSON error naming the field and nothing of it reaches the
// upstream; the same request without the bad part is sent.
func TestHTTPRefusedWhole(t *testing.T) {
	t.Parallel()
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	sim := startSim(t, "127.0.0.1:0", journal)
	conf := gwConf{Upstream: sim.Addr, Accounts: "  - {system_id: test, password: secret, rate: 5000}\n"}.yaml(t)
	conf = strings.Replace(conf, `{prefix: "", upstreams: [op]}`, `{prefix: "254", upstreams: [op]}`, 1)
	conf += "http_api: {listen: \"127.0.0.1:0\", max_segments: 2, max_body: 2KiB}\n"
	g := startGatewayConfig(t, conf)
	base := "http://" + g.apiAddr(t)
	long, _ := json.Marshal(map[string]any{"from": "1000", "to": "254700000001", "text": strings.Repeat("ä", 100) + strings.Repeat("✓", 100)})
	cases := []struct {
		name, body        string
		status            int
		code, field, smpp string
	}{
		{"one destination not routable", `{"from":"1000","to":["254700000001","999000111"],"text":"to both or none"}`, 422, "no_route", "to[1]", "ESME_RINVDSTADR"},
		{"text over max_segments", string(long), 422, "text_too_long", "text", "ESME_RINVMSGLEN"},
		// One byte over: the gateway reads it all, so that its close after
		// the 413 cannot reset the connection before the client reads the
		// answer (a larger body is refused the same way, but the unread rest
		// may make the kernel answer the client with a reset).
		{"body over max_body", `{"from":"1000","to":"254700000001","text":"` + strings.Repeat("a", 2049-len(`{"from":"1000","to":"254700000001","text":""}`)) + `"}`, 413, "body_too_large", "", ""},
		{"unknown field", `{"from":"1000","to":"254700000001","text":"a","priority":1}`, 400, "unknown_field", "priority", ""},
	}
	for _, c := range cases {
		r := api(t, "POST", base+"/v1/messages", "test", "secret", c.body)
		var body map[string]map[string]any
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("%s: answer %d is not JSON: %s", c.name, r.status, r.body)
		}
		code, _ := body["error"]["code"].(string)
		field, _ := body["error"]["field"].(string)
		smpp, _ := body["error"]["smpp_status"].(string)
		if r.status != c.status || code != c.code || field != c.field || smpp != c.smpp {
			t.Errorf("%s: %d %s; want %d %s field %q smpp_status %q", c.name, r.status, r.body, c.status, c.code, c.field, c.smpp)
		}
	}
	ok := api(t, "POST", base+"/v1/messages", "test", "secret", `{"from":"1000","to":["254700000001","254700000002"],"text":"to both"}`)
	ids := ok.ids(t)
	for _, id := range ids {
		waitState(t, base, id, "DELIVERED")
	}
	time.Sleep(300 * time.Millisecond) // time for anything else to show upstream
	var texts []string
	for _, j := range readJournal(t, journal) {
		if j.Ev == "submit" {
			texts = append(texts, j.Text)
		}
	}
	if len(texts) != 2 || texts[0] != "to both" || texts[1] != "to both" {
		t.Errorf("upstream got %q, want only the two messages of the request that was accepted", texts)
	}
}
