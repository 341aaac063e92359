package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestHTTPIdempotencyAcrossKill9: the same Idempotency-Key twice sends
// once, also when the gateway is killed with SIGKILL between the two
// requests: the restarted gateway answers the first answer again, and the
// upstream (a separate smsc-sim with a journal) got the message once.
func TestHTTPIdempotencyAcrossKill9(t *testing.T) {
	t.Parallel()
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	sim := startSim(t, "127.0.0.1:0", journal)
	api0 := freePort(t)
	conf := gwConf{DataDir: t.TempDir(), Listen: freePort(t), Plain: freePort(t), HTTP: freePort(t), Upstream: sim.Addr,
		Accounts: "  - {system_id: test, password: secret, rate: 5000}\n"}.yaml(t) + "http_api: {listen: \"" + api0 + "\"}\n"
	cf := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, "-config", cf, "-log-level", "warn")
	base := "http://" + g.apiAddr(t)
	body := `{"from":"1000","to":"254700000001","text":"exactly once, please"}`
	first := api(t, "POST", base+"/v1/messages", "test", "secret", body, "Idempotency-Key", "order-7")
	ids := first.ids(t)
	again := api(t, "POST", base+"/v1/messages", "test", "secret", body, "Idempotency-Key", "order-7")
	if again.status != 201 || string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry before the kill: %d %s %v, want the first answer %s", again.status, again.body, again.header, first.body)
	}
	g.kill9()
	g2 := startGateway(t, "-config", cf, "-log-level", "warn")
	after := api(t, "POST", "http://"+g2.apiAddr(t)+"/v1/messages", "test", "secret", body, "Idempotency-Key", "order-7")
	if after.status != 201 || string(after.body) != string(first.body) || after.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry after kill -9: %d %s, want the first answer %s", after.status, after.body, first.body)
	}
	other := api(t, "POST", "http://"+g2.apiAddr(t)+"/v1/messages", "test", "secret", `{"from":"1000","to":"254700000001","text":"another"}`, "Idempotency-Key", "order-7")
	if other.status != 422 {
		t.Errorf("the key with another body: %d %s, want 422", other.status, other.body)
	}
	// The one message reaches the upstream once (a resend after the
	// restart would carry the same dedupe key and show as dup).
	deadline := time.Now().Add(30 * time.Second)
	for {
		submits, dups := 0, 0
		for _, j := range readJournal(t, journal) {
			if j.Ev == "submit" {
				submits++
				if j.Dup {
					dups++
				}
			}
		}
		if submits >= 1 {
			time.Sleep(time.Second) // time for a second send to show
			n := 0
			for _, j := range readJournal(t, journal) {
				if j.Ev == "submit" && !j.Dup {
					n++
				}
			}
			t.Logf("upstream: %d new submissions (%d answered from the dedupe key) for ids %v", n, dups, ids)
			if n != 1 {
				t.Errorf("upstream got %d new submissions, want 1", n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the message never reached the upstream")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
