package jsstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries/jsdeliveries"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/examples/gateway/store/jsstore"
	"github.com/esmsafrica/smpp/examples/gateway/store/storetest"
)

// buckets numbers the buckets of a test process, so that every store of
// the suite starts empty on a server the tests share.
var buckets atomic.Int64

// opener returns the suite's open: a store on new buckets of nc's
// servers, with replicas replicas.
func opener(nc *nats.Conn, replicas int) func(t testing.TB) store.Store {
	return func(t testing.TB) store.Store {
		opts := jsstore.Options{Conn: nc, Bucket: fmt.Sprintf("t%d", buckets.Add(1)), Replicas: replicas}
		// Just after a cluster starts, its servers may not all be known
		// for placement yet: tried again for a while.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			s, err := jsstore.Open(context.Background(), opts)
			if err == nil {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
		}
	}
}

// TestConformance runs the store's conformance suite on one JetStream
// server, buckets of one replica, with the JetStream deliveries (package
// jsdeliveries) for DeliveryQueue. (The queue is queue.Memory: the suite
// checks that tickets come in due order, which a stream's queue, jsqueue,
// does not keep; the cluster tests use jsqueue.)
func TestConformance(t *testing.T) {
	nc := natstest.Connect(t, natstest.Server(t))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t testing.TB) store.Store {
		n := buckets.Add(1)
		d, err := jsdeliveries.New(context.Background(), js, jsdeliveries.Options{Stream: fmt.Sprintf("D%d", n), Prefix: fmt.Sprintf("d%d", n)})
		if err != nil {
			t.Fatal(err)
		}
		s, err := jsstore.Open(context.Background(), jsstore.Options{Conn: nc, Bucket: fmt.Sprintf("t%d", n), Deliveries: d})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, storetest.Waiters(jsstore.Waiters))
}

// TestConformanceR3 runs the suite on a cluster of three servers, buckets
// of three replicas, connected to one of them.
func TestConformanceR3(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	nc := natstest.Connect(t, nodes[1])
	storetest.Run(t, opener(nc, 3), storetest.Waiters(jsstore.Waiters))
}
