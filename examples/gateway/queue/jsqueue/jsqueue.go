package jsqueue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/internal/jsretry"
	"github.com/esmsafrica/smpp/examples/gateway/internal/jswork"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// Options configures a Queue. The zero value is a single-replica queue
// named GATEWAY_QUEUE with a 30 s lease.
type Options struct {
	// Stream is the name of the work-queue stream. Empty means
	// "GATEWAY_QUEUE".
	Stream string
	// Subject is the subject the tickets are published on; it must belong
	// to no other stream. Empty means "gateway.queue." followed by Stream.
	Subject string
	// Consumer is the name of the durable pull consumer the nodes share.
	// Empty means "dispatch".
	Consumer string
	// Replicas is the number of servers that store the stream and the
	// consumer: 3 on a cluster of three, so that an enqueued ticket survives
	// the loss of one. Zero means 1.
	Replicas int
	// Lease is how long a claim holds its ticket (the consumer's AckWait).
	// Zero means 30 s.
	Lease time.Duration
	// MaxLen is the most tickets the stream holds (MaxMsgs, DiscardNew):
	// Enqueue fails with queue.ErrFull beyond. Zero means no limit.
	MaxLen int
	// MaxHeld bounds the tickets handed out and not acked, leased or naked
	// with a delay, or due in the future and seen once (the consumer's
	// MaxAckPending): beyond it the queue hands out nothing new until some
	// are acked. Zero means 1,048,576.
	MaxHeld int
	// Duplicates is the window within which a ticket published again with
	// the same id and revision is stored once. Zero means 2 minutes.
	Duplicates time.Duration
	// RequestTimeout bounds each request to the servers that a method
	// makes without a context (acks, naks, extensions, Len, Close). Zero
	// means 5 s.
	RequestTimeout time.Duration
}

func (o *Options) setDefaults() {
	if o.Stream == "" {
		o.Stream = "GATEWAY_QUEUE"
	}
	if o.Subject == "" {
		o.Subject = "gateway.queue." + o.Stream
	}
	if o.Consumer == "" {
		o.Consumer = "dispatch"
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.Lease == 0 {
		o.Lease = 30 * time.Second
	}
	if o.MaxHeld == 0 {
		o.MaxHeld = 1 << 20
	}
	if o.Duplicates == 0 {
		o.Duplicates = 2 * time.Minute
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 5 * time.Second
	}
}

// Queue is a queue.Queue on a JetStream work-queue stream with one durable
// pull consumer shared by every node. See the package documentation for
// what it promises and where it differs from the single-node queue.
type Queue struct {
	js     jetstream.JetStream
	opts   Options
	stream jetstream.Stream
	ccfg   jetstream.ConsumerConfig

	// h holds the claims handed out by this Queue, not acked or naked,
	// and whether it is closed.
	h       *jswork.Holder
	lastPub atomic.Uint64 // the highest stream sequence Enqueue stored

	mu   sync.Mutex
	cons jetstream.Consumer // replaced by recreate
}

var _ queue.Queue = (*Queue)(nil)

// New creates or updates the stream and its consumer as opts say, and
// returns the queue on them. Two processes may call it at once with the
// same options: both succeed, and share the stream and the consumer.
func New(ctx context.Context, js jetstream.JetStream, opts Options) (*Queue, error) {
	opts.setDefaults()
	scfg := jetstream.StreamConfig{
		Name:        opts.Stream,
		Subjects:    []string{opts.Subject},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    opts.Replicas,
		Discard:     jetstream.DiscardNew,
		MaxMsgs:     -1,
		Duplicates:  opts.Duplicates,
		Description: "gateway tickets: messages accepted, waiting for an upstream",
	}
	if opts.MaxLen > 0 {
		scfg.MaxMsgs = int64(opts.MaxLen)
	}
	stream, err := createStream(ctx, js, scfg)
	if err != nil {
		return nil, err
	}
	ccfg := jetstream.ConsumerConfig{
		Durable:       opts.Consumer,
		Description:   "gateway dispatchers, shared by the nodes",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       opts.Lease,
		MaxDeliver:    -1,
		MaxAckPending: opts.MaxHeld,
		FilterSubject: opts.Subject,
		Replicas:      opts.Replicas,
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, ccfg)
	if err != nil {
		return nil, fmt.Errorf("gateway jsqueue: consumer %s on stream %s: %w (a consumer of that name with another filter or policy must be deleted first)", opts.Consumer, opts.Stream, err)
	}
	return &Queue{
		js:     js,
		opts:   opts,
		ccfg:   ccfg,
		cons:   cons,
		stream: stream,
		h: jswork.NewHolder(js.Conn(), jswork.Config{
			Name: "gateway jsqueue", Item: "ticket",
			ErrClosed: queue.ErrClosed, ErrLeaseLost: queue.ErrLeaseLost,
			RequestTimeout: opts.RequestTimeout,
		}),
	}, nil
}

// consumer returns the consumer's handle.
func (q *Queue) consumer() jetstream.Consumer {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.cons
}

// recreate creates the consumer again, or finds it: Claim calls it when
// the consumer is gone (deleted by an operator) or has not answered for a
// while.
func (q *Queue) recreate(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, q.opts.RequestTimeout)
	defer cancel()
	cons, err := q.stream.CreateOrUpdateConsumer(ctx, q.ccfg)
	if err != nil {
		return err
	}
	q.mu.Lock()
	q.cons = cons
	q.mu.Unlock()
	return nil
}

// createStream creates the stream, or finds it as cfg says, or updates it
// to cfg (jswork.CreateStream).
func createStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := jswork.CreateStream(ctx, js, cfg)
	if err != nil {
		return nil, fmt.Errorf("gateway jsqueue: stream %s: %w (check that no other stream takes subject %s, and that the servers have JetStream and %d of them are up)",
			cfg.Name, err, cfg.Subjects[0], cfg.Replicas)
	}
	return s, nil
}

// Enqueue publishes the ticket and waits for the stream to store it (on a
// majority of its replicas). A ticket published again with the same id and
// revision within the duplicate window is stored once.
func (q *Queue) Enqueue(ctx context.Context, t queue.Ticket) error {
	if t.ID == "" {
		return errors.New("gateway jsqueue: a ticket needs an id")
	}
	if err := q.checkOpen(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	body := appendTicket(nil, t)
	for try := 0; ; try++ {
		// Each publish has a short timeout of its own: the first request
		// after a server stopped is at times never answered, and the
		// message id makes sending it again safe (jsretry).
		pctx, cancel := context.WithTimeout(ctx, jsretry.TryTimeout)
		ack, err := q.js.Publish(pctx, q.opts.Subject, body, jetstream.WithMsgID(msgID(t)))
		cancel()
		switch {
		case err == nil:
			for last := q.lastPub.Load(); ack.Sequence > last && !q.lastPub.CompareAndSwap(last, ack.Sequence); {
				last = q.lastPub.Load()
			}
			return nil
		case isFull(err):
			// On a cluster the stream removes an acked ticket a moment
			// after the consumer confirmed the ack: full only if the
			// consumer says so too, or still after a few tries.
			if n, lerr := q.Len(); lerr != nil || n >= q.opts.MaxLen || try >= fullTries {
				return queue.ErrFull
			}
		case (jswork.Transient(err) || jsretry.TimedOut(ctx, err)) && try < fullTries:
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			return fmt.Errorf("gateway jsqueue: enqueue %s: %w (the ticket may or may not be stored: enqueue it again, it is stored once)", t.ID, err)
		}
		if err := q.pause(ctx, retryPause); err != nil {
			return err
		}
	}
}

// fullTries bounds the publishes of one Enqueue that the stream refuses as
// full while the consumer counts fewer tickets, or that meet no leader.
const fullTries = 20

// isFull reports whether a publish failed because the stream holds MaxMsgs.
func isFull(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && strings.Contains(apiErr.Description, "maximum messages")
}

// Len returns the tickets handed out and not acked (leased, naked, or due
// later: the consumer's ack-pending count) plus those stored after the
// last one handed out. It asks the consumer's leader, then the stream's:
// on a cluster each is current for what it decides (an ack, a publish),
// where the consumer's own count of the stream lags the publishes and the
// stream's count lags the acks. Under load it is a moment's estimate.
func (q *Queue) Len() (int, error) {
	if err := q.checkOpen(); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), q.opts.RequestTimeout)
	defer cancel()
	ci, err := q.consumer().Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("gateway jsqueue: consumer info: %w", err)
	}
	si, err := q.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("gateway jsqueue: stream info: %w", err)
	}
	n := ci.NumAckPending
	if last := si.State.LastSeq; last > ci.Delivered.Stream {
		n += int(last - ci.Delivered.Stream)
	}
	return n, nil
}

// Close stops the queue. The claims it handed out and that are not acked
// are naked, so that the next claimer (this process opened again, or
// another node) need not wait for their leases to end. It does not close
// the connection.
func (q *Queue) Close() error { return q.h.Close() }

func (q *Queue) checkOpen() error { return q.h.CheckOpen() }
