package jsdeliveries

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/internal/jswork"
)

// Options configures a Queue. The zero value is a single-replica queue
// named GATEWAY_DELIVERIES with deliveries.DefaultLease.
type Options struct {
	// Stream is the name of the work-queue stream. Empty means
	// "GATEWAY_DELIVERIES".
	Stream string
	// Prefix is the subject prefix: an account's deliveries are published
	// on Prefix.<account token>, and Prefix.* must belong to no other
	// stream. Empty means "gateway.dlv." followed by Stream.
	Prefix string
	// Replicas is the number of servers that store the stream and the
	// consumers: 3 on a cluster of three. Zero means 1.
	Replicas int
	// Lease is how long a claim holds its delivery (the consumers'
	// AckWait). Zero means deliveries.DefaultLease.
	Lease time.Duration
	// MaxHeld bounds an account's deliveries handed out and not acked,
	// leased or naked with a delay (its consumer's MaxAckPending). Zero
	// means 65,536.
	MaxHeld int
	// Idle is how long an account's consumer lives without a claim before
	// the servers delete it (InactiveThreshold): an account that went away
	// leaves no consumer behind. Its deliveries stay in the stream, and a
	// Claim for it creates the consumer again, which hands out every one
	// not acked. Zero means 24 hours.
	Idle time.Duration
	// RequestTimeout bounds each request to the servers that a method
	// makes without a context. Zero means 5 s.
	RequestTimeout time.Duration
}

func (o *Options) setDefaults() {
	if o.Stream == "" {
		o.Stream = "GATEWAY_DELIVERIES"
	}
	if o.Prefix == "" {
		o.Prefix = "gateway.dlv." + o.Stream
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.Lease == 0 {
		o.Lease = deliveries.DefaultLease
	}
	if o.MaxHeld == 0 {
		o.MaxHeld = 1 << 16
	}
	if o.Idle == 0 {
		o.Idle = 24 * time.Hour
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 5 * time.Second
	}
}

// Queue is a deliveries.Queue on a JetStream work-queue stream with a
// subject and a durable pull consumer per account. See the package
// documentation.
type Queue struct {
	js     jetstream.JetStream
	opts   Options
	stream jetstream.Stream
	// h holds the claims handed out by this Queue, not acked or naked,
	// and whether it is closed.
	h *jswork.Holder

	mu        sync.Mutex
	consumers map[string]jetstream.Consumer // by account
}

var _ deliveries.Queue = (*Queue)(nil)

// New creates or updates the stream as opts say, and returns the queue on
// it; the consumers are created by the first Claim of each account. Two
// processes may call it at once with the same options: both succeed.
func New(ctx context.Context, js jetstream.JetStream, opts Options) (*Queue, error) {
	opts.setDefaults()
	cfg := jetstream.StreamConfig{
		Name:        opts.Stream,
		Subjects:    []string{opts.Prefix + ".*"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    opts.Replicas,
		Description: "gateway deliveries: receipts and MO waiting for an ESME, a subject per account",
	}
	// Create first: a create of a stream that exists with the same
	// configuration succeeds, also when two processes create it at once,
	// where an update racing a create was seen to hang (nats-server 2.15.3,
	// R3).
	// Servers starting, or one down: it waits for them while ctx lasts.
	s, err := jswork.CreateStream(ctx, js, cfg)
	if err != nil {
		return nil, fmt.Errorf("gateway jsdeliveries: stream %s: %w (check that no other stream takes subjects %s.*, and that the servers have JetStream and %d of them are up)",
			opts.Stream, err, opts.Prefix, opts.Replicas)
	}
	return &Queue{
		js:     js,
		opts:   opts,
		stream: s,
		h: jswork.NewHolder(js.Conn(), jswork.Config{
			Name: "gateway jsdeliveries", Item: "delivery",
			ErrClosed: deliveries.ErrClosed, ErrLeaseLost: deliveries.ErrLeaseLost,
			RequestTimeout: opts.RequestTimeout,
		}),
		consumers: map[string]jetstream.Consumer{},
	}, nil
}

func (q *Queue) subject(account string) string { return q.opts.Prefix + "." + token(account) }

// Add publishes the delivery on its account's subject and waits for the
// stream to store it (on a majority of its replicas); d.Seq is its stream
// sequence. A publish that fails may still have been stored: added again,
// it is stored twice (at least once).
func (q *Queue) Add(ctx context.Context, d *deliveries.Delivery) error {
	if d.Account == "" {
		return errors.New("gateway jsdeliveries: a delivery needs an account")
	}
	if err := q.checkOpen(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	msg := appendDelivery(nil, d.Created, d.Bind, d.Body)
	for {
		ack, err := q.js.Publish(ctx, q.subject(d.Account), msg)
		switch {
		case err == nil:
			d.Seq = ack.Sequence
			return nil
		case errors.Is(err, jetstream.ErrNoStreamResponse):
			// No stream leader took it (one being elected): not stored,
			// safe to send again.
			if err := q.pause(ctx, retryPause); err != nil {
				return err
			}
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			return fmt.Errorf("gateway jsdeliveries: add for %s: %w (it may or may not be stored)", d.Account, err)
		}
	}
}

// settle bounds how long Pending asks again while the consumer's count
// and the stream's differ (Accounts: for all the accounts it checks).
const settle = 200 * time.Millisecond

// Pending returns the account's deliveries not acked. Without a consumer
// it is the stream's count of the account's subject. With one, it asks
// the consumer (ack pending plus not yet handed out) and the stream: on a
// cluster the consumer's count lags an add for a moment and the stream's
// lags an ack, so it asks again until they agree (a few milliseconds when
// nothing moves), and returns the stream's if they still differ after
// 200 ms (under load: a moment's estimate).
func (q *Queue) Pending(account string) (int, error) {
	if err := q.checkOpen(); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), q.opts.RequestTimeout)
	defer cancel()
	return q.pending(ctx, account, time.Now().Add(settle))
}

// pending is Pending, asking again until until.
func (q *Queue) pending(ctx context.Context, account string, until time.Time) (int, error) {
	for {
		ci, err := q.stream.Consumer(ctx, consumerName(account))
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			ci, err = nil, nil
		}
		if err != nil {
			return 0, fmt.Errorf("gateway jsdeliveries: consumer of %s: %w", account, err)
		}
		inStream, err := q.count(ctx, q.subject(account))
		if err != nil {
			return 0, err
		}
		if ci == nil || time.Now().After(until) {
			return inStream, nil
		}
		info := ci.CachedInfo() // the lookup's own answer
		if int(info.NumPending)+info.NumAckPending == inStream {
			return inStream, nil
		}
		if err := q.pause(ctx, 10*time.Millisecond); err != nil {
			return 0, err
		}
	}
}

// count returns how many messages the stream holds on subject.
func (q *Queue) count(ctx context.Context, subject string) (int, error) {
	si, err := q.stream.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return 0, fmt.Errorf("gateway jsdeliveries: stream info: %w", err)
	}
	return int(si.State.Subjects[subject]), nil
}

// Accounts returns, sorted, the accounts whose subjects hold messages. On
// a cluster the stream's count lags an ack for a moment, so each account
// listed is checked as Pending does (two requests or more an account),
// asking again for 200 ms in all.
func (q *Queue) Accounts() ([]string, error) {
	if err := q.checkOpen(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), q.opts.RequestTimeout)
	defer cancel()
	until := time.Now().Add(settle)
	si, err := q.stream.Info(ctx, jetstream.WithSubjectFilter(q.opts.Prefix+".*"))
	if err != nil {
		return nil, fmt.Errorf("gateway jsdeliveries: stream info: %w", err)
	}
	accs := make([]string, 0, len(si.State.Subjects))
	for subj, n := range si.State.Subjects {
		if n == 0 {
			continue
		}
		a, ok := account(strings.TrimPrefix(subj, q.opts.Prefix+"."))
		if !ok {
			continue
		}
		if q.opts.Replicas > 1 {
			if n, err := q.pending(ctx, a, until); err != nil {
				return nil, err
			} else if n == 0 {
				continue
			}
		}
		accs = append(accs, a)
	}
	slices.Sort(accs)
	return accs, nil
}

// Lease returns the consumers' AckWait.
func (q *Queue) Lease() time.Duration { return q.opts.Lease }

// Close stops the queue and naks the claims it handed out and that are
// not acked, so that another node need not wait for their leases. It does
// not close the connection, and leaves the consumers to the servers.
func (q *Queue) Close() error { return q.h.Close() }

func (q *Queue) checkOpen() error { return q.h.CheckOpen() }
