package jskeeper_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
	"github.com/esmsafrica/smpp/examples/gateway/httpapi/jskeeper"
	"github.com/esmsafrica/smpp/examples/gateway/httpapi/keepertest"
	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
)

// open opens the Keeper on nc, again while a cluster just started (or a
// server just stopped) has no leader for the bucket yet, for 30 s. Its calls
// may take 45 s, retries included: a bucket's new leader after a restart
// can take longer than the default 10 s to answer on a loaded machine (the
// tests run with -race beside other packages), and these tests are about
// what is kept, not how fast it comes back.
func open(t *testing.T, nc *nats.Conn, replicas int) *jskeeper.Keeper {
	t.Helper()
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var k *jskeeper.Keeper
		k, err = jskeeper.Open(ctx, jskeeper.Options{Conn: nc, Bucket: "test_http", Replicas: replicas, Timeout: 45 * time.Second})
		cancel()
		if err == nil {
			return k
		}
		if time.Now().After(deadline) {
			t.Fatalf("opening the keeper: %v", err)
		}
	}
}

// TestConformance runs the suite on one server.
func TestConformance(t *testing.T) {
	srv := natstest.Server(t)
	k := open(t, natstest.Connect(t, srv), 1)
	keepertest.Run(t, func(*testing.T) keepertest.Backend { return k })
	keepertest.RunReserver(t, func(*testing.T) keepertest.ReserverBackend { return k })
}

// TestClusterSharedAndDurable: on three servers (R3), an answer and a
// reference put through one server's connection are read through
// another's, and are still there after the server that took them, then
// the one read from, stopped and started again, and after all three were
// stopped and started again.
func TestClusterSharedAndDurable(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	a := open(t, natstest.Connect(t, nodes[0]), 3)
	b := open(t, natstest.Connect(t, nodes[1], nodes[2]), 3)
	keepertest.Run(t, func(*testing.T) keepertest.Backend { return b })
	keepertest.RunReserver(t, func(*testing.T) keepertest.ReserverBackend { return b })

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	want := &httpapi.Answer{BodyHash: sha256.Sum256([]byte("req")), Status: 201, Body: []byte(`{"messages":[]}`), Expires: time.Now().Add(time.Hour)}
	if err := a.Put(ctx, "acct", "key-a", want); err != nil {
		t.Fatal(err)
	}
	if err := a.PutReference(ctx, []string{"00000000000000a1"}, "order 7", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		got, err := b.Get(ctx, "acct", "key-a")
		if err != nil || got == nil || got.Status != want.Status || string(got.Body) != string(want.Body) || got.BodyHash != want.BodyHash {
			t.Fatalf("%s: Get on the other node = %+v, %v; want %+v", when, got, err, want)
		}
		if ref, err := b.Reference(ctx, "00000000000000a1"); err != nil || ref != "order 7" {
			t.Fatalf("%s: Reference on the other node = %q, %v", when, ref, err)
		}
	}
	check("written through server 1, read through 2 or 3")
	for i := range 2 {
		nodes[i].Shutdown()
		nodes[i].Restart()
		natstest.WaitJetStream(t, nodes...)
		check("after a restart of a server")
	}
	for _, n := range nodes {
		n.Shutdown()
	}
	for _, n := range nodes {
		n.Restart()
	}
	natstest.WaitJetStream(t, nodes...)
	check("after a restart of the three servers")
}

// TestTTLRemoves: the servers remove an answer and a reference when their
// Expires has passed (the entries' TTL), with no Purge.
func TestTTLRemoves(t *testing.T) {
	srv := natstest.Server(t)
	nc := natstest.Connect(t, srv)
	k := open(t, nc, 1)
	ctx := context.Background()
	soon := time.Now().Add(time.Second)
	if err := k.Put(ctx, "acct", "short", &httpapi.Answer{Status: 201, Body: []byte("{}"), Expires: soon}); err != nil {
		t.Fatal(err)
	}
	if err := k.PutReference(ctx, []string{"short-lived"}, "ref", soon); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		str, err := js.Stream(ctx, "KV_test_http")
		if err != nil {
			t.Fatal(err)
		}
		n := str.CachedInfo().State.Msgs
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries still in the bucket 30 s after their Expires", n)
		}
	}
	if ref, err := k.Reference(ctx, "short-lived"); err != nil || ref != "" {
		t.Fatalf("Reference after its TTL = %q, %v", ref, err)
	}
}
