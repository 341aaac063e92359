package jsdeliveries_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/deliveries/deliveriestest"
	"github.com/esmsafrica/smpp/examples/gateway/deliveries/jsdeliveries"
	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit/jskit"
)

// streams numbers the streams of a test process, one per queue opened.
var streams atomic.Int64

// open returns a queue on a connection to nodes, with opts.
func open(t testing.TB, opts jsdeliveries.Options, nodes ...*natstest.Node) *jsdeliveries.Queue {
	t.Helper()
	return jskit.Open(t, deliveries.ErrClosed, func(ctx context.Context, js jetstream.JetStream) (*jsdeliveries.Queue, error) {
		return jsdeliveries.New(ctx, js, opts)
	}, nodes...)
}

// jetstreamOf returns a JetStream context on a connection to nodes.
func jetstreamOf(t testing.TB, nodes ...*natstest.Node) jetstream.JetStream {
	t.Helper()
	return jskit.JetStream(t, nodes...)
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
			return q, suitekit.Restarter[deliveries.Queue](t, q, func() deliveries.Queue { return open(t, opts, nodes...) })
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
