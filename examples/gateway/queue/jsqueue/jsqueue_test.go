package jsqueue_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/queue/jsqueue"
	"github.com/esmsafrica/smpp/examples/gateway/queue/queuetest"
)

// streams numbers the streams of a test process, one per queue opened.
var streams atomic.Int64

// open returns a queue on a connection to nodes, with opts.
func open(t testing.TB, opts jsqueue.Options, nodes ...*natstest.Node) *jsqueue.Queue {
	t.Helper()
	js, err := jetstream.New(natstest.Connect(t, nodes...))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := jsqueue.New(ctx, js, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Closed before its connection (whose cleanup ran first when registered
	// after the suite's).
	t.Cleanup(func() {
		if err := q.Close(); err != nil && !errors.Is(err, queue.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return q
}

// harness opens each queue on a stream of its own with replicas on nodes.
func harness(replicas int, nodes ...*natstest.Node) queuetest.Harness {
	return queuetest.Harness{
		StreamOrder: true,
		Open: func(t *testing.T, cfg queuetest.Config) (queue.Queue, func() queue.Queue) {
			opts := jsqueue.Options{
				Stream:   fmt.Sprint("Q", streams.Add(1)),
				Replicas: replicas,
				Lease:    cfg.Lease,
				MaxLen:   cfg.MaxLen,
			}
			q := open(t, opts, nodes...)
			restart := func() queue.Queue {
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
	queuetest.Run(t, harness(1, natstest.Server(t)))
}

func TestSuiteCluster(t *testing.T) {
	nodes := natstest.Cluster(t, 3)
	queuetest.Run(t, harness(3, nodes...))
}
