package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries/jsdeliveries"
	"github.com/esmsafrica/smpp/examples/gateway/httpapi/jskeeper"
	"github.com/esmsafrica/smpp/examples/gateway/limits/jslimits"
	"github.com/esmsafrica/smpp/examples/gateway/queue/jsqueue"
	"github.com/esmsafrica/smpp/examples/gateway/slots"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/examples/gateway/store/jsstore"
)

// clusterOpenTimeout bounds how long a node waits for JetStream to take
// its streams and buckets at start: a cluster whose servers are starting
// together elects its leaders first.
const clusterOpenTimeout = 60 * time.Second

// openAttemptTimeout bounds one attempt to create or open a part's streams
// and buckets.
const openAttemptTimeout = 2 * time.Second

// clusterNode is what a node of a cluster runs besides the gateway: its
// NATS server (none with nats_urls), its connection, and the JetStream
// parts that are not the store's (the rate and binds, the upstream binds'
// slots, the HTTP API's Idempotency-Key answers and client references).
type clusterNode struct {
	srv    *server.Server
	nc     *nats.Conn
	limits *jslimits.Limits
	slots  *slots.JetStream
	http   *jskeeper.Keeper // the HTTP API's answers and references, shared by the nodes
	quorum *quorum          // whether the node is with the majority (cluster_quorum.go)
}

// openCluster starts the node's NATS server when it embeds one, connects,
// and opens the parts on JetStream: the state with its queue and
// deliveries, the limits, the slots and the HTTP API's keeper. Every node
// opens the same streams and buckets (created by the first, joined by the
// others). The HTTP API's bucket is opened on every node, with http_api:
// or not: a node without the API sends webhooks that carry the references
// of messages sent through the API of another.
func openCluster(cfg *Config, log *slog.Logger) (*clusterNode, store.Store, error) {
	cl := cfg.Cluster
	n := &clusterNode{}
	fail := func(err error) (*clusterNode, store.Store, error) {
		n.close(log)
		return nil, nil, err
	}
	if len(cl.URLs) == 0 {
		srv, err := startEmbeddedNATS(cl, log)
		if err != nil {
			return fail(err)
		}
		n.srv = srv
	}
	nc, err := connectNATS(cl, log)
	if err != nil {
		return fail(err)
	}
	n.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		return fail(fmt.Errorf("cluster: JetStream: %w", err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterOpenTimeout)
	defer cancel()
	// The parts are opened at once: when the nodes start together, each
	// stream or bucket that two of them create at the same moment may cost
	// an attempt (retryOpen), and those waits overlap.
	var (
		wg               sync.WaitGroup
		q                *jsqueue.Queue
		d                *jsdeliveries.Queue
		qErr, dErr       error
		limErr, slotsErr error
		httpErr          error
	)
	wg.Add(5)
	go func() {
		defer wg.Done()
		q, qErr = retryOpen(ctx, log, "queue", func(ctx context.Context) (*jsqueue.Queue, error) {
			return jsqueue.New(ctx, js, jsqueue.Options{Replicas: cl.Replicas, Lease: clusterClaimLease, MaxLen: maxQueued})
		})
	}()
	go func() {
		defer wg.Done()
		d, dErr = retryOpen(ctx, log, "deliveries", func(ctx context.Context) (*jsdeliveries.Queue, error) {
			return jsdeliveries.New(ctx, js, jsdeliveries.Options{Replicas: cl.Replicas, Lease: clusterDeliveryLease})
		})
	}()
	go func() {
		defer wg.Done()
		n.limits, limErr = retryOpen(ctx, log, "limits", func(ctx context.Context) (*jslimits.Limits, error) {
			return jslimits.Open(ctx, jslimits.Options{Conn: nc, Replicas: cl.Replicas, Node: cl.Node})
		})
	}()
	go func() {
		defer wg.Done()
		n.slots, slotsErr = retryOpen(ctx, log, "upstream bind slots", func(ctx context.Context) (*slots.JetStream, error) {
			return slots.NewJetStream(ctx, js, slots.JetStreamOptions{Node: cl.Node, Replicas: cl.Replicas, Logger: log})
		})
	}()
	go func() {
		defer wg.Done()
		n.http, httpErr = retryOpen(ctx, log, "HTTP API's idempotency keys and references", func(ctx context.Context) (*jskeeper.Keeper, error) {
			return jskeeper.Open(ctx, jskeeper.Options{Conn: nc, Replicas: cl.Replicas})
		})
	}()
	wg.Wait()
	if err := errors.Join(qErr, dErr, limErr, slotsErr, httpErr); err != nil {
		closeParts(log, q, d)
		return fail(err)
	}
	st, err := retryOpen(ctx, log, "state", func(ctx context.Context) (*jsstore.Store, error) {
		return jsstore.Open(ctx, jsstore.Options{
			Conn: nc, Replicas: cl.Replicas, Node: cfg.NodeID,
			Retention: cfg.Retention.D(), Validity: cfg.DefaultValidity.D(),
			Queue: q, Deliveries: d,
		})
	})
	if err != nil {
		closeParts(log, q, d)
		return fail(err)
	}
	n.quorum = newQuorum(n.srv, js, len(cl.Embedded.Routes), log)
	log.Info("cluster node ready", "node", cl.Node, "node_id", cfg.NodeID, "replicas", cl.Replicas, "nats", nc.ConnectedUrlRedacted())
	return n, st, nil
}

// closeParts closes the queue and deliveries opened before a part that
// failed.
func closeParts(log *slog.Logger, q *jsqueue.Queue, d *jsdeliveries.Queue) {
	if q != nil {
		if err := q.Close(); err != nil {
			log.Warn("cluster: closing the queue", "err", err)
		}
	}
	if d != nil {
		if err := d.Close(); err != nil {
			log.Warn("cluster: closing the deliveries", "err", err)
		}
	}
}

// retryOpen opens one part, again while JetStream is not ready (no leader
// yet, not enough servers for the replicas), until ctx ends.
//
// Each attempt is short: when two nodes create the same stream or bucket at
// once (the nodes of a cluster started together), the server creates it
// but may answer neither request (nats-server issues 3677, nats.go 949);
// the next attempt finds it.
func retryOpen[T any](ctx context.Context, log *slog.Logger, what string, open func(context.Context) (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		octx, cancel := context.WithTimeout(ctx, openAttemptTimeout)
		v, err := open(octx)
		cancel()
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			var zero T
			return zero, fmt.Errorf("cluster: opening the %s on JetStream: %w (are enough NATS servers up for cluster.replicas?)", what, err)
		}
		log.Warn("cluster: JetStream not ready; trying again", "part", what, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// stopQuorum stops the quorum watch, first at shutdown: it unbinds ESMEs
// when it fences the node.
func (n *clusterNode) stopQuorum() {
	if n != nil {
		n.quorum.close()
	}
}

// close stops the limits' heartbeat, the connection and the embedded
// server, in that order. The store is closed by the app before.
func (n *clusterNode) close(log *slog.Logger) {
	if n == nil {
		return
	}
	n.quorum.close()
	if n.limits != nil {
		if err := n.limits.Close(); err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("cluster: closing the limits", "err", err)
		}
	}
	if n.nc != nil {
		n.nc.Close()
	}
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
}
