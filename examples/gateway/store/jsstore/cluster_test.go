package jsstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries/jsdeliveries"
	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/queue/jsqueue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/examples/gateway/store/jsstore"
)

// node opens the store of one gateway node on nc: R3 buckets "pair", and
// the JetStream queue and deliveries the nodes share.
func node(t *testing.T, nc *nats.Conn, id int) *jsstore.Store {
	t.Helper()
	ctx := context.Background()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// Just after a cluster starts, its servers may not all be known for
	// placement yet: the creations are tried again for a while.
	var q *jsqueue.Queue
	eventually(t, "the queue", func() (err error) {
		q, err = jsqueue.New(ctx, js, jsqueue.Options{Stream: "PAIR_QUEUE", Replicas: 3})
		return err
	})
	var d *jsdeliveries.Queue
	eventually(t, "the deliveries", func() (err error) {
		d, err = jsdeliveries.New(ctx, js, jsdeliveries.Options{Stream: "PAIR_DELIVERIES", Replicas: 3})
		return err
	})
	var s *jsstore.Store
	eventually(t, "the store", func() (err error) {
		s, err = jsstore.Open(ctx, jsstore.Options{Conn: nc, Bucket: "pair", Replicas: 3, Node: id, Queue: q, Deliveries: d})
		return err
	})
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Logf("close of node %d: %v", id, err)
		}
	})
	return s
}

// eventually retries fn until it succeeds (a server just stopped: the
// streams elect new leaders), failing t after 30 s.
func eventually(t *testing.T, what string, fn func() error) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err = fn(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
	}
}

// TestClusterTwoNodes: on three servers, a message accepted by node A
// (connected to the first) is claimed from the shared queue, read and
// compare-and-set by node B (connected to the second); A sees B's write
// and its own stale write is refused; a WaitUpstream on B is released by
// A's MapUpstream; the receipt B records is claimed through A; another
// WaitUpstream is woken by B's Close; each node's LastID is its own.
func TestClusterTwoNodes(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	a := node(t, natstest.Connect(t, nodes[0]), 1)
	b := node(t, natstest.Connect(t, nodes[1]), 2)

	m := &store.Message{ID: "0000000000000a01", Account: "acct", Body: []byte("hello"), State: store.Queued, Created: time.Now()}
	if err := a.Accept(m); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := b.Queue().Claim(ctx, nil, 1)
	if err != nil || len(cs) != 1 || cs[0].Ticket().ID != m.ID || cs[0].Ticket().Rev != 1 {
		t.Fatalf("B's claim: %v, %d claims", err, len(cs))
	}
	got, err := b.Get(m.ID)
	if err != nil || got.Rev != 1 || string(got.Body) != "hello" {
		t.Fatalf("B's Get of A's message: %+v, %v", got, err)
	}
	got.State, got.Route, got.Attempts = store.Inflight, "r", 1
	if err := b.Update(got); err != nil || got.Rev != 2 {
		t.Fatalf("B's compare-and-set: %v, Rev %d", err, got.Rev)
	}
	if err := cs[0].Ack(); err != nil {
		t.Fatal(err)
	}
	if seen, err := a.Get(m.ID); err != nil || seen.Rev != 2 || seen.State != store.Inflight {
		t.Fatalf("A's Get after B's write: %+v, %v", seen, err)
	}
	m.State = store.Deleted // a cancel_sm on A with the revision A had
	if err := a.Update(m); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("A's stale write: %v, want ErrConflict", err)
	}

	// A receipt on B before the submit_sm_resp is recorded on A.
	waited := make(chan error, 1)
	go func() {
		id, err := b.WaitUpstream(ctx, "r", "up-1")
		if err == nil && id != m.ID {
			err = errors.New("WaitUpstream on B found " + id)
		}
		waited <- err
	}()
	for calls, _ := jsstore.Waiters(b); calls != 1; calls, _ = jsstore.Waiters(b) {
		time.Sleep(time.Millisecond)
	}
	cur, err := a.Get(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur.State, cur.UpstreamID = store.Enroute, "UP-1"
	if err := a.MapUpstream(cur, "up-1"); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("WaitUpstream on B: %v", err)
	}

	// The receipt recorded on B goes to the ESME through A (bound there).
	fin, err := b.Get(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	fin.State = store.Delivered
	if err := b.UpdateWithDelivery(fin, &store.Delivery{Account: "acct", Body: []byte("receipt")}); err != nil {
		t.Fatal(err)
	}
	ds, err := a.DeliveryQueue().Claim(ctx, "acct", nil, 10)
	if err != nil || len(ds) != 1 || string(ds[0].Delivery().Body) != "receipt" {
		t.Fatalf("A's claim of the receipt recorded on B: %d, %v", len(ds), err)
	}
	if err := ds[0].Ack(); err != nil {
		t.Fatal(err)
	}

	// Each node resumes its own ids.
	if err := b.Accept(&store.Message{ID: "0000000000000902", State: store.Queued}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		s    *jsstore.Store
		want string
	}{"A": {a, m.ID}, "B": {b, "0000000000000902"}} {
		if last, err := c.s.LastID(); err != nil || last != c.want {
			t.Fatalf("LastID of %s = %q, %v; want %q", name, last, err, c.want)
		}
	}

	// Close wakes a WaitUpstream.
	go func() {
		_, err := b.WaitUpstream(ctx, "r", "never")
		waited <- err
	}()
	for calls, _ := jsstore.Waiters(b); calls != 1; calls, _ = jsstore.Waiters(b) {
		time.Sleep(time.Millisecond)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; !errors.Is(err, store.ErrClosed) {
		t.Fatalf("WaitUpstream at Close: %v, want ErrClosed", err)
	}
}

// TestClusterSurvivesServerLoss: a message accepted through the first
// server is read through the second after the first is shut down, and
// updated there; the first, restarted, catches up.
func TestClusterSurvivesServerLoss(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	a := node(t, natstest.Connect(t, nodes[0]), 1)
	b := node(t, natstest.Connect(t, nodes[1]), 2)
	m := &store.Message{ID: "0000000000000b01", Account: "acct", Body: []byte("kept"), State: store.Queued}
	if err := a.Accept(m); err != nil {
		t.Fatal(err)
	}
	nodes[0].Shutdown()
	var got *store.Message
	eventually(t, "B's Get with the first server down", func() (err error) {
		got, err = b.Get(m.ID)
		return err
	})
	if string(got.Body) != "kept" || got.Rev != 1 {
		t.Fatalf("after the loss of a server: %+v", got)
	}
	got.State = store.Deleted
	eventually(t, "B's Update with the first server down", func() error {
		err := b.Update(got)
		if errors.Is(err, store.ErrConflict) {
			t.Fatal("B's Update refused: the record changed")
		}
		return err
	})
	nodes[0].Restart()
	eventually(t, "A's Get after its server restarted", func() error {
		seen, err := a.Get(m.ID)
		if err == nil && (seen.State != store.Deleted || seen.Rev != 2) {
			return errors.New("A reads an old revision")
		}
		return err
	})
}
