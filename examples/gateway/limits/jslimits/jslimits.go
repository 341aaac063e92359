package jslimits

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/limits"
)

// Options configure Open. Conn is required; every other zero value is a
// documented default.
type Options struct {
	// Conn is the connection to the NATS servers. Limits does not close
	// it.
	Conn *nats.Conn
	// Bucket names the two KV buckets: Bucket+"_nodes" (heartbeats) and
	// Bucket+"_binds". Every node of a cluster uses the same. Empty means
	// "gateway_limits".
	Bucket string
	// Replicas is the buckets' number of replicas. Zero means 1.
	Replicas int
	// Node names this node in its heartbeat (for an operator listing the
	// bucket). Empty means "node".
	Node string
	// TTL is how long a heartbeat lives: a node that stops writing it
	// counts as gone after TTL. It is written, and the nodes listed, every
	// TTL/3. Zero means 10 seconds.
	TTL time.Duration
	// Timeout bounds each round trip of Binds and of a release. Zero
	// means 5 seconds.
	Timeout time.Duration
	// Now is the clock of the rates. Nil means time.Now.
	Now func() time.Time
}

// Limits is limits.Limits over the nodes of a cluster (see the package
// documentation). Close it to leave the cluster.
type Limits struct {
	opts     Options
	local    *limits.Local
	nodes    jetstream.KeyValue
	binds    jetstream.KeyValue
	instance string

	mu      sync.Mutex
	set     map[string]limits.Limit // the accounts' limits as Set, whole
	live    map[string]bool         // instances in the last list, this one included
	accts   map[string]*account     // bind state per account
	pending map[string]string       // releases not written yet: bind id -> account
	closed  bool

	done chan struct{}
	wg   sync.WaitGroup
}

var _ limits.Limits = (*Limits)(nil)

// Open creates the buckets if they do not exist, writes this node's
// heartbeat, lists the live nodes, and starts the heartbeat.
func Open(ctx context.Context, opts Options) (*Limits, error) {
	if opts.Conn == nil {
		return nil, errors.New("gateway jslimits: Options.Conn is nil; connect to NATS first")
	}
	if opts.Bucket == "" {
		opts.Bucket = "gateway_limits"
	}
	if opts.Replicas <= 0 {
		opts.Replicas = 1
	}
	if opts.Node == "" {
		opts.Node = "node"
	}
	if opts.TTL <= 0 {
		opts.TTL = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	js, err := jetstream.New(opts.Conn)
	if err != nil {
		return nil, fmt.Errorf("gateway jslimits: %w", err)
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("gateway jslimits: instance id: %w", err)
	}
	l := &Limits{
		opts:     opts,
		local:    limits.NewLocal(limits.LocalOptions{Now: opts.Now}),
		instance: hex.EncodeToString(id[:]),
		set:      make(map[string]limits.Limit),
		live:     make(map[string]bool),
		accts:    make(map[string]*account),
		pending:  make(map[string]string),
		done:     make(chan struct{}),
	}
	l.nodes, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: opts.Bucket + "_nodes", TTL: opts.TTL, Replicas: opts.Replicas, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("gateway jslimits: bucket %s_nodes: %w (is JetStream enabled, with enough servers for %d replicas?)", opts.Bucket, err, opts.Replicas)
	}
	l.binds, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: opts.Bucket + "_binds", Replicas: opts.Replicas, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("gateway jslimits: bucket %s_binds: %w", opts.Bucket, err)
	}
	if err := l.beat(ctx); err != nil {
		return nil, err
	}
	l.wg.Add(1)
	go l.heartbeat()
	return l, nil
}

// Close stops the heartbeat and deletes this node's key, so that the
// others take its share of the rates at their next listing and stop
// counting its binds at once. Releases not written yet are tried once
// more.
func (l *Limits) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errors.New("gateway jslimits: closed already")
	}
	l.closed = true
	close(l.done)
	l.mu.Unlock()
	l.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.Timeout)
	defer cancel()
	rerr := l.retryReleases(ctx)
	if err := l.nodes.Delete(ctx, l.instance); err != nil {
		return errors.Join(rerr, fmt.Errorf("gateway jslimits: deleting the heartbeat of %s (it expires within %v): %w", l.opts.Node, l.opts.TTL, err))
	}
	return rerr
}

// Set sets an account's limits: this node enforces its share of the rate.
func (l *Limits) Set(account string, lim limits.Limit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.set[account] = lim
	l.local.Set(account, share(lim, len(l.live)))
}

// share is this node's part of lim with n nodes live: the rate and the
// burst divided (the burst at least 1), no bind limit (binds are counted
// over the nodes, not by the local limits).
func share(lim limits.Limit, n int) limits.Limit {
	n = max(n, 1)
	if lim.Rate <= 0 {
		return limits.Limit{}
	}
	burst := lim.Burst
	if burst <= 0 {
		burst = max(1, int(lim.Rate))
	}
	return limits.Limit{Rate: lim.Rate / float64(n), Burst: max(1, burst/n)}
}

// Allow takes one submission of the account from this node's share.
func (l *Limits) Allow(account string) bool { return l.local.Allow(account) }

// Reserve takes one submission of the account from this node's share, now
// or within maxWait.
func (l *Limits) Reserve(account string, maxWait time.Duration) (time.Duration, bool) {
	return l.local.Reserve(account, maxWait)
}

// Live returns how many nodes this node counts as live, itself included,
// as of its last listing: the divisor of the rates.
func (l *Limits) Live() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.live)
}
