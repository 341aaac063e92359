package main

// The HTTP API on a cluster: what a node keeps for an Idempotency-Key and
// the client reference of a message sent over HTTP are shared by the
// nodes (httpapi/jskeeper), so a client may send its retry to any node.

import (
	"sync"
	"testing"
	"time"
)

// TestClusterHTTPIdempotencyAcrossNodes: a POST with an Idempotency-Key
// and a client reference to node a, then the same POST to node b (a
// client's retry after a timeout, through another node): node b answers
// a's answer (the same ids), one message reaches the operator, and GET of
// its id on node b shows the reference. Then eight requests with one new
// key at once, four to each node: those not refused 409 (the key held by
// one being served) answer the same ids, and one message reaches the
// operator.
func TestClusterHTTPIdempotencyAcrossNodes(t *testing.T) {
	t.Parallel()
	tc := startTestCluster(t, clusterOpts{httpAPI: true})
	a, b := tc.node("a"), tc.node("b")
	baseA, baseB := "http://"+a.apiAddr(t), "http://"+b.apiAddr(t)
	body := `{"from":"1000","to":"+254700000001","text":"once, whichever node","reference":"order-77"}`
	const key = "retry-me.*>/550e8400-e29b-41d4-a716-446655440000"

	first := api(t, "POST", baseA+"/v1/messages", "load", "loadpw", body, "Idempotency-Key", key)
	ids := first.ids(t)
	if len(ids) != 1 {
		t.Fatalf("node a answered %d ids, want 1: %s", len(ids), first.body)
	}
	again := api(t, "POST", baseB+"/v1/messages", "load", "loadpw", body, "Idempotency-Key", key)
	if again.status != first.status || string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retry on node b answered %d (replayed %q) %s; want node a's %d %s",
			again.status, again.header.Get("Idempotent-Replayed"), again.body, first.status, first.body)
	}

	// The message reaches the operator once. (No other message was
	// accepted: node b's answer names node a's id, so a second one would
	// be a message sent behind the client's back.)
	var submits []journalEntry
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		submits = submits[:0]
		seen := false
		for _, e := range readJournal(t, tc.journal) {
			if e.Ev == "submit" && !e.Dup {
				submits = append(submits, e)
				seen = seen || e.Key == ids[0]
			}
		}
		if seen || time.Now().After(deadline) {
			break
		}
	}
	if len(submits) != 1 || submits[0].Key != ids[0] {
		t.Fatalf("the operator got %d submissions %+v; want one, of %s", len(submits), submits, ids[0])
	}

	got := api(t, "GET", baseB+"/v1/messages/"+ids[0], "load", "loadpw", "")
	if m := got.json(t); got.status != 200 || m["reference"] != "order-77" {
		t.Fatalf("GET /v1/messages/%s on node b answered %d %s; want 200 with reference order-77", ids[0], got.status, got.body)
	}

	// Eight first requests with one key at once, on both nodes.
	race := `{"from":"1000","to":"+254700000002","text":"raced, once"}`
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers = map[string]int{} // 201 bodies
		refused int
	)
	for i := range 8 {
		base := baseA
		if i%2 == 1 {
			base = baseB
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := api(t, "POST", base+"/v1/messages", "load", "loadpw", race, "Idempotency-Key", "raced-key")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case r.status == 201:
				answers[string(r.body)]++
			case r.status == 409 && r.header.Get("Retry-After") != "":
				refused++
			default:
				t.Errorf("a raced request answered %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	if len(answers) != 1 {
		t.Fatalf("the raced requests got %d different answers (and %d were refused 409): %v; want one", len(answers), refused, answers)
	}
	t.Logf("raced requests: %d answered, %d refused 409", 8-refused, refused)
	var racedIDs []string
	for body := range answers {
		racedIDs = apiResult{status: 201, body: []byte(body)}.ids(t)
	}
	var sent []string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		sent = sent[:0]
		for _, e := range readJournal(t, tc.journal) {
			if e.Ev == "submit" && !e.Dup && e.Text == "raced, once" {
				sent = append(sent, e.Key)
			}
		}
		if len(sent) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(sent) != 1 || len(racedIDs) != 1 || sent[0] != racedIDs[0] {
		t.Fatalf("the operator got the raced message %d times %v; want once, as %v", len(sent), sent, racedIDs)
	}
}
