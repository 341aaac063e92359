package jsdeliveries_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/deliveries/deliveriestest"
	"github.com/esmsafrica/smpp/examples/gateway/deliveries/jsdeliveries"
	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
)

// streams numbers the streams of a test process, one per queue opened.
var streams atomic.Int64

// open returns a queue on a connection to nodes, with opts.
func open(t testing.TB, opts jsdeliveries.Options, nodes ...*natstest.Node) *jsdeliveries.Queue {
	t.Helper()
	js, err := jetstream.New(natstest.Connect(t, nodes...))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := jsdeliveries.New(ctx, js, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Closed before its connection (whose cleanup ran first when registered
	// after the suite's).
	t.Cleanup(func() {
		if err := q.Close(); err != nil && !errors.Is(err, deliveries.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return q
}

// jetstreamOf returns a JetStream context on a connection to nodes.
func jetstreamOf(t testing.TB, nodes ...*natstest.Node) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(natstest.Connect(t, nodes...))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// harness opens each queue on a stream of its own with replicas on nodes.
func harness(replicas int, nodes ...*natstest.Node) deliveriestest.Harness {
	return deliveriestest.Harness{
		Open: func(t *testing.T, cfg deliveriestest.Config) (deliveries.Queue, func() deliveries.Queue) {
			opts := jsdeliveries.Options{
				Stream:   fmt.Sprint("D", streams.Add(1)),
				Replicas: replicas,
				Lease:    cfg.Lease,
			}
			q := open(t, opts, nodes...)
			restart := func() deliveries.Queue {
				if err := q.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				q = open(t, opts, nodes...)
				return q
			}
			return q, restart
		},
	}
}

func TestSuiteOneServer(t *testing.T) {
	deliveriestest.Run(t, harness(1, natstest.Server(t)))
}

func TestSuiteCluster(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	deliveriestest.Run(t, harness(3, nodes...))
}
