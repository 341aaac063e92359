package jsstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/internal/jskv"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// Options configure Open. Conn is required; every other zero value is a
// documented default.
type Options struct {
	// Conn is the connection to the NATS servers. The store does not
	// close it.
	Conn *nats.Conn
	// Bucket names the two KV buckets: Bucket+"_records" and
	// Bucket+"_upstream". Every node of a cluster uses the same. Empty
	// means "gateway".
	Bucket string
	// Replicas is the buckets' number of replicas: 3 on a cluster of
	// three servers, so that an accepted message survives the loss of
	// one. Zero means 1.
	Replicas int
	// Node is this node's node_id (the low bits of its message ids):
	// LastID answers for this node. Zero is node 0.
	Node int
	// Retention is how long a final message stays (query_sm answers for
	// it), counted from its final write: its KV entry's TTL. Zero means
	// 72 hours, the gateway's default retention.
	Retention time.Duration
	// Validity is the lifetime of a message whose Expires is zero (the
	// gateway's default validity): a message not final lives until its
	// Expires, or until now + Validity, plus Retention. Zero means 48
	// hours.
	Validity time.Duration
	// Timeout bounds each round trip to the servers. Zero means 10
	// seconds.
	Timeout time.Duration
	// Queue is the queue of tickets that Accept fills (Queue); the store
	// closes it with itself. Nil means a queue.Memory, for tests: on a
	// cluster give it the JetStream queue.
	Queue queue.Queue
	// Deliveries is the deliveries part (DeliveryQueue); the store closes
	// it with itself. Nil means a deliveries.Memory, for tests.
	Deliveries deliveries.Queue
	// Sweep is how often this node looks for receipts written with a
	// final state and not added to the deliveries (a crash between the
	// two writes of UpdateWithDelivery) and adds them. Zero means 30
	// seconds.
	Sweep time.Duration
	// OutboxAge is how old such a receipt must be before the sweep adds
	// it: longer than an UpdateWithDelivery takes. Zero means 30 seconds.
	OutboxAge time.Duration
	// Cache is how many records of messages on their way (not final) the
	// store keeps to write them without reading them first (about 500
	// bytes each). Zero means 16,384; negative means none.
	Cache int
}

// Store is store.Store on NATS JetStream key-value buckets (see the
// package documentation).
type Store struct {
	opts     Options
	js       jetstream.JetStream
	recs     jetstream.KeyValue
	recsSubj string // subject prefix of the records' bucket
	recsStr  jetstream.Stream
	index    jetstream.KeyValue
	indexStr jetstream.Stream
	queue    queue.Queue
	dels     deliveries.Queue
	cache    *cache

	mu      sync.Mutex
	closed  bool
	ops     sync.WaitGroup // calls in progress, waited for by Close
	done    chan struct{}  // closed by Close: waiters and the flusher return
	lastID  string         // greatest id accepted here
	flushed string         // lastID as last written to its key
	waiters map[string]int // WaitUpstream calls waiting, by index key
	flusher sync.WaitGroup // the last id's flusher and the sweeper

	crashAfterRecord func() error // tests: ends MapUpstream and UpdateWithDelivery between their writes
	afterRead        func()       // tests: called by a compare-and-set between its read of the record and its write
	loseAnswer       func() bool  // tests: a record write or Purge's delete stored but its answer lost (the try times out) when it returns true
}

var _ store.Store = (*Store)(nil)

// Open creates the buckets if they do not exist (every node may call it at
// start) and returns the store.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Conn == nil {
		return nil, errors.New("gateway jsstore: Options.Conn is nil; connect to NATS first")
	}
	if opts.Bucket == "" {
		opts.Bucket = "gateway"
	}
	if opts.Replicas <= 0 {
		opts.Replicas = 1
	}
	if opts.Retention <= 0 {
		opts.Retention = 72 * time.Hour
	}
	if opts.Validity <= 0 {
		opts.Validity = 48 * time.Hour
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Sweep <= 0 {
		opts.Sweep = 30 * time.Second
	}
	if opts.OutboxAge <= 0 {
		opts.OutboxAge = 30 * time.Second
	}
	if opts.Cache == 0 {
		opts.Cache = 16384
	}
	js, err := jetstream.New(opts.Conn)
	if err != nil {
		return nil, fmt.Errorf("gateway jsstore: %w", err)
	}
	s := &Store{opts: opts, js: js, queue: opts.Queue, dels: opts.Deliveries, done: make(chan struct{}), cache: newCache(opts.Cache)}
	if s.queue == nil {
		s.queue = queue.NewMemory(queue.Options{})
	}
	if s.dels == nil {
		s.dels = deliveries.NewMemory(deliveries.Options{})
	}
	// The buckets are made by jskv.Bucket: its package documentation says
	// which settings and why.
	if s.recs, s.recsStr, err = jskv.Bucket(ctx, js, opts.Bucket+"_records", opts.Replicas, 0); err != nil {
		return nil, fmt.Errorf("gateway jsstore: %w", err)
	}
	if s.index, s.indexStr, err = jskv.Bucket(ctx, js, opts.Bucket+"_upstream", opts.Replicas, 0); err != nil {
		return nil, fmt.Errorf("gateway jsstore: %w", err)
	}
	s.recsSubj = jskv.Subject(opts.Bucket + "_records")
	if s.lastID, err = s.readLastID(ctx); err != nil {
		return nil, err
	}
	s.flushed = s.lastID
	s.flusher.Add(2)
	go s.flushLastID()
	go s.sweeper()
	return s, nil
}

// begin registers a call, or returns store.ErrClosed; end it with s.ops.Done.
func (s *Store) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	s.ops.Add(1)
	return nil
}

// ctx returns a context bounded by the store's timeout.
func (s *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.opts.Timeout)
}

// Queue returns the queue of tickets.
func (s *Store) Queue() queue.Queue { return s.queue }

// DeliveryQueue returns the deliveries part.
func (s *Store) DeliveryQueue() deliveries.Queue { return s.dels }

// Close waits for the calls in progress, wakes the WaitUpstream calls,
// writes this node's last id, and closes the queue and the deliveries. The
// connection stays open. A second Close returns store.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.ops.Wait()
	s.flusher.Wait()
	ferr := s.writeLastID()
	derr := s.dels.Close()
	qerr := s.queue.Close()
	return errors.Join(qerr, derr, ferr)
}

// ttl is the lifetime of a record written now in m's state: Retention from
// now for a final message, else until its validity ends, plus Retention.
func (s *Store) ttl(m *store.Message) time.Duration {
	if m.State.Final() {
		return s.opts.Retention
	}
	live := s.opts.Validity
	if !m.Expires.IsZero() {
		live = max(time.Until(m.Expires), 0)
	}
	return (live + s.opts.Retention).Truncate(time.Second) + time.Second
}

// isWrongLastSeq reports whether err is JetStream's refusal of a
// compare-and-set: the key's last revision is not the one expected.
func isWrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
