package main

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
)

// A node's quorum on three NATS servers in the test process: one server
// lost leaves it with the quorum (two of three); the second lost fences it
// at once (its server reaches only itself); both back, it is let in again
// once JetStream answers.
func TestQuorumFence(t *testing.T) {
	t.Parallel()
	nodes := natstest.Cluster(t, 3)
	nc := natstest.Connect(t, nodes[0])
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	q := newQuorum(nodes[0].Server(), js, 2, quietLogger())
	fenced, rejoined := 0, 0
	q.onFence = func(string) { fenced++ }
	q.onRejoin = func() { rejoined++ }
	check := func() string {
		q.check()
		return q.lost()
	}
	if r := check(); r != "" {
		t.Fatalf("all three servers up: fenced: %s", r)
	}

	nodes[2].Shutdown()
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if r := check(); r != "" {
			t.Fatalf("one server of three lost: fenced: %s", r)
		}
	}

	nodes[1].Shutdown()
	var reason string
	for end := time.Now().Add(10 * time.Second); reason == "" && time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		reason = check()
	}
	if !strings.Contains(reason, "reaches 1 of its 3 servers") {
		t.Fatalf("two servers of three lost: reason %q, want the servers reached", reason)
	}
	if fenced != 1 {
		t.Errorf("fenced %d times, want once", fenced)
	}

	nodes[1].Restart()
	nodes[2].Restart()
	for end := time.Now().Add(60 * time.Second); check() != ""; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the servers back for 60 s: still fenced: %s", q.lost())
		}
	}
	if rejoined != 1 {
		t.Errorf("let in %d times, want once", rejoined)
	}
}
