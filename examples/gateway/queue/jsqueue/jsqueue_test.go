package jsqueue_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit/jskit"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/queue/jsqueue"
	"github.com/esmsafrica/smpp/examples/gateway/queue/queuetest"
)

// streams numbers the streams of a test process, one per queue opened.
var streams atomic.Int64

// open returns a queue on a connection to nodes, with opts.
func open(t testing.TB, opts jsqueue.Options, nodes ...*natstest.Node) *jsqueue.Queue {
	t.Helper()
	return jskit.Open(t, queue.ErrClosed, func(ctx context.Context, js jetstream.JetStream) (*jsqueue.Queue, error) {
		return jsqueue.New(ctx, js, opts)
	}, nodes...)
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
			return q, suitekit.Restarter[queue.Queue](t, q, func() queue.Queue { return open(t, opts, nodes...) })
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
