package jslimits_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/limits"
	"github.com/esmsafrica/smpp/examples/gateway/limits/jslimits"
	"github.com/esmsafrica/smpp/examples/gateway/limits/limitstest"
)

// ttl is the heartbeats' lifetime in the cluster tests.
const ttl = time.Second

// waitFor polls cond until it holds, failing t after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// allowed counts the submissions of account allowed now, trying up to n.
func allowed(l limits.Limits, account string, n int) int {
	k := 0
	for range n {
		if l.Allow(account) {
			k++
		}
	}
	return k
}

// pair opens two nodes' Limits on a three-server cluster, A connected to
// the first server and B to the second, on R3 buckets, both live.
func pair(t *testing.T, clock func() time.Time) (a, b *jslimits.Limits, closeB func() error, nodes []*natstest.Node) {
	nodes = natstest.Cluster(t, 3)
	opts := jslimits.Options{Bucket: "pair", Replicas: 3, TTL: ttl, Now: clock}
	opts.Node = "A"
	a = open(t, natstest.Connect(t, nodes[0]), opts)
	opts.Node = "B"
	opts.Conn = natstest.Connect(t, nodes[1])
	b = openRetry(t, opts)
	waitFor(t, "both nodes live on both", func() bool { return a.Live() == 2 && b.Live() == 2 })
	return a, b, b.Close, nodes
}

// TestClusterBinds: MaxBinds counts the binds of both nodes, and a release
// on one lets the other bind.
func TestClusterBinds(t *testing.T) {
	a, b, closeB, _ := pair(t, nil)
	defer closeB()
	ctx := context.Background()
	for _, l := range []*jslimits.Limits{a, b} {
		l.Set("acct", limits.Limit{MaxBinds: 3})
	}
	ra1, err := a.Bind(ctx, "acct")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bind(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Bind(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]*jslimits.Limits{"A": a, "B": b} {
		if _, err := l.Bind(ctx, "acct"); !errors.Is(err, limits.ErrTooManyBinds) {
			t.Fatalf("a fourth bind on %s: %v, want ErrTooManyBinds", name, err)
		}
		if n := l.Binds("acct"); n != 3 {
			t.Fatalf("Binds on %s = %d, want 3", name, n)
		}
	}
	ra1()
	if _, err := b.Bind(ctx, "acct"); err != nil {
		t.Fatalf("a bind on B after a release on A: %v", err)
	}
	if n := a.Binds("acct"); n != 3 {
		t.Fatalf("Binds on A = %d, want 3", n)
	}
}

// TestClusterDeadNodeBinds: the binds of a node that stops heartbeating
// (its connection gone, as in a crash) stop counting once its heartbeat
// expires, and the survivor takes the whole rate.
func TestClusterDeadNodeBinds(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	opts := jslimits.Options{Bucket: "dead", Replicas: 3, TTL: ttl}
	opts.Node = "A"
	a := open(t, natstest.Connect(t, nodes[0]), opts)
	ncB := natstest.Connect(t, nodes[1])
	opts.Node, opts.Conn = "B", ncB
	b := openRetry(t, opts)
	waitFor(t, "both nodes live", func() bool { return a.Live() == 2 })
	ctx := context.Background()
	a.Set("acct", limits.Limit{MaxBinds: 3})
	b.Set("acct", limits.Limit{MaxBinds: 3})
	for range 2 {
		if _, err := b.Bind(ctx, "acct"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Bind(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bind(ctx, "acct"); !errors.Is(err, limits.ErrTooManyBinds) {
		t.Fatalf("a bind beyond MaxBinds: %v", err)
	}
	ncB.Close() // B can no longer write its heartbeat, nor release
	start := time.Now()
	waitFor(t, "B's binds to lapse", func() bool { return a.Binds("acct") == 1 })
	t.Logf("B's binds stopped counting %v after its connection closed (TTL %v)", time.Since(start), ttl)
	for range 2 {
		if _, err := a.Bind(ctx, "acct"); err != nil {
			t.Fatalf("a bind after B died: %v", err)
		}
	}
	waitFor(t, "A to count itself alone", func() bool { return a.Live() == 1 })
	if err := b.Close(); err == nil {
		t.Log("B's Close deleted its heartbeat without a connection?")
	}
}

// TestClusterRateShare: while both nodes live each enforces half of an
// account's rate and burst; once one leaves, the other the whole; once a
// third joins, half again.
func TestClusterRateShare(t *testing.T) {
	clock := &limitstest.Clock{}
	a, b, closeB, nodes := pair(t, clock.Now)
	for _, l := range []*jslimits.Limits{a, b} {
		l.Set("acct", limits.Limit{Rate: 100, Burst: 100})
	}
	for name, l := range map[string]*jslimits.Limits{"A": a, "B": b} {
		if n := allowed(l, "acct", 200); n != 50 {
			t.Fatalf("%s at once: %d allowed, want half the burst, 50", name, n)
		}
	}
	clock.Advance(time.Second)
	for name, l := range map[string]*jslimits.Limits{"A": a, "B": b} {
		if n := allowed(l, "acct", 200); n != 50 {
			t.Fatalf("%s over a second: %d allowed, want half the rate, 50", name, n)
		}
	}
	if err := closeB(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A to count itself alone", func() bool { return a.Live() == 1 })
	clock.Advance(time.Second)
	if n := allowed(a, "acct", 300); n != 100 {
		t.Fatalf("A alone over a second: %d allowed, want the whole rate, 100", n)
	}

	// A node joins: A's share is half again.
	c := open(t, natstest.Connect(t, nodes[2]), jslimits.Options{Bucket: "pair", Replicas: 3, TTL: ttl, Node: "C", Now: clock.Now})
	c.Set("acct", limits.Limit{Rate: 100, Burst: 100})
	waitFor(t, "A to count C", func() bool { return a.Live() == 2 })
	clock.Advance(time.Second)
	if n := allowed(a, "acct", 300); n != 50 {
		t.Fatalf("A over a second once C joined: %d allowed, want half the rate, 50", n)
	}
}

// openRetry is jslimits.Open tried again for a while (a cluster just
// started may not know all its servers for placement yet); the caller
// closes it.
func openRetry(t *testing.T, opts jslimits.Options) *jslimits.Limits {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		l, err := jslimits.Open(context.Background(), opts)
		if err == nil {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
}
