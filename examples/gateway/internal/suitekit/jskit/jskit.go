// Package jskit holds what the tests of the gateway's JetStream work
// queues (jsqueue, jsdeliveries) share: opening a queue on a connection to
// test servers, and checking that Close leaves no goroutine behind. It is
// apart from suitekit so that the single-node queues' tests do not link
// the NATS server.
package jskit

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit"
)

// JetStream returns a JetStream context on a connection to nodes, closed
// when the test ends.
func JetStream(t testing.TB, nodes ...*natstest.Node) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(natstest.Connect(t, nodes...))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// Open returns the queue that newQueue makes (within 30 s) on a connection
// to nodes. The queue is closed when the test ends, before its connection;
// an error other than errClosed (closed by the test) fails the test.
func Open[Q suitekit.Closer](t testing.TB, errClosed error, newQueue func(ctx context.Context, js jetstream.JetStream) (Q, error), nodes ...*natstest.Node) Q {
	t.Helper()
	js := JetStream(t, nodes...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := newQueue(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the connection's cleanup, so run before it.
	t.Cleanup(func() {
		if err := q.Close(); err != nil && !errors.Is(err, errClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return q
}

// GoroutinesBackTo fails the test unless the process is back to at most
// before goroutines within 5 s (a bound against a hang: the connection's
// and the fetches' goroutines end a moment after Close returns).
func GoroutinesBackTo(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Topology is a set of test servers that a benchmark runs on.
type Topology struct {
	// Name names the sub-benchmark: "R1", "R3".
	Name string
	// Replicas is the replicas of the streams on these servers.
	Replicas int
	// Nodes starts the servers, stopped when the benchmark ends.
	Nodes func(tb testing.TB) []*natstest.Node
}

// Topologies are one server (R1) and a three-server cluster (R3), all in
// the test's process on loopback.
var Topologies = []Topology{
	{"R1", 1, func(tb testing.TB) []*natstest.Node { return []*natstest.Node{natstest.Server(tb)} }},
	{"R3", 3, func(tb testing.TB) []*natstest.Node { return natstest.Cluster(tb, 3) }},
}
