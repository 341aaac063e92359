package jsdeliveries

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
)

// fetchWait is how long one pull request waits for a delivery: a waiting
// Claim sends one after another, so that a request the server still holds
// when Claim returns expires soon.
const fetchWait = 250 * time.Millisecond

// retryPause is how long Claim waits before trying again after an error
// that passes (no consumer leader for a moment, a consumer deleted as
// idle).
const retryPause = 50 * time.Millisecond

var (
	ackBody      = []byte("+ACK")
	progressBody = []byte("+WPI")
	termBody     = []byte("+TERM")
)

// nakBody is a nak, with a redelivery delay when d > 0.
func nakBody(d time.Duration) []byte {
	if d <= 0 {
		return []byte("-NAK")
	}
	return []byte(`-NAK {"delay":` + strconv.FormatInt(int64(d), 10) + `}`)
}

// consumerName is the durable name of an account's consumer.
func consumerName(account string) string { return "dlv-" + token(account) }

// transient reports whether err passes by itself: a cluster electing a
// leader, a connection reconnecting, a consumer to create again.
func transient(err error) bool {
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrNoStreamResponse)
}

// consumer returns the account's consumer, creating or updating it on its
// first use by this Queue.
func (q *Queue) consumer(ctx context.Context, account string) (jetstream.Consumer, error) {
	q.mu.Lock()
	c, ok := q.consumers[account]
	q.mu.Unlock()
	if ok {
		return c, nil
	}
	// Bounded by RequestTimeout: a request that reached a meta leader as it
	// died is not answered, and is tried again.
	cctx, cancel := context.WithTimeout(ctx, q.opts.RequestTimeout)
	defer cancel()
	c, err := q.stream.CreateOrUpdateConsumer(cctx, jetstream.ConsumerConfig{
		Durable:           consumerName(account),
		Description:       "gateway pushers of account " + account,
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           q.opts.Lease,
		MaxDeliver:        -1,
		MaxAckPending:     q.opts.MaxHeld,
		FilterSubject:     q.subject(account),
		InactiveThreshold: q.opts.Idle,
		Replicas:          q.opts.Replicas,
	})
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = nats.ErrTimeout // transient: tried again
		}
		return nil, fmt.Errorf("gateway jsdeliveries: consumer of %s: %w", account, err)
	}
	q.mu.Lock()
	q.consumers[account] = c
	q.mu.Unlock()
	return c, nil
}

// forget drops the account's consumer handle, to look it up (or create it)
// again.
func (q *Queue) forget(account string) {
	q.mu.Lock()
	delete(q.consumers, account)
	q.mu.Unlock()
}

// Claim hands out up to n of the account's deliveries: first those its
// consumer has now, else it waits for one (and takes what else is there
// then).
func (q *Queue) Claim(ctx context.Context, account string, dst []deliveries.Claim, n int) ([]deliveries.Claim, error) {
	n = max(n, 1)
	for {
		got, err := q.claimOnce(ctx, account, n)
		if transient(err) {
			q.forget(account)
			if err = q.pause(ctx, retryPause); err == nil {
				continue
			}
		}
		if err != nil {
			return dst, err
		}
		if len(got) > 0 {
			for _, c := range got {
				dst = append(dst, c)
			}
			return dst, nil
		}
	}
}

// claimOnce takes what is there, else waits one fetchWait for one.
func (q *Queue) claimOnce(ctx context.Context, account string, n int) ([]*claim, error) {
	if err := q.checkOpen(); err != nil {
		return nil, err
	}
	cons, err := q.consumer(ctx, account)
	if err != nil {
		return nil, err
	}
	got, err := q.fetch(ctx, cons, account, n, 0)
	if err != nil || len(got) > 0 {
		return got, err
	}
	wait := fetchWait
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, max(time.Until(dl), time.Millisecond))
	}
	if got, err = q.fetch(ctx, cons, account, 1, wait); err != nil || len(got) == 0 || n == 1 {
		return got, err
	}
	more, err := q.fetch(ctx, cons, account, n-1, 0)
	if err != nil {
		q.giveBack(got)
		return nil, err
	}
	return append(got, more...), nil
}

// pause waits d, or returns early with ctx's error or ErrClosed.
func (q *Queue) pause(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-q.done:
		return deliveries.ErrClosed
	}
}

// fetch sends one pull request for up to n messages, waiting up to wait
// for the first (none: only what is there now), and returns them as claims
// held by q. When ctx ends or q closes first it returns their error, and
// the messages that still arrive are naked.
func (q *Queue) fetch(ctx context.Context, cons jetstream.Consumer, account string, n int, wait time.Duration) ([]*claim, error) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil, deliveries.ErrClosed
	}
	q.drainers.Add(1)
	q.mu.Unlock()
	if err := ctx.Err(); err != nil {
		q.drainers.Done()
		return nil, err
	}
	var batch jetstream.MessageBatch
	var err error
	if wait > 0 {
		batch, err = cons.Fetch(n, jetstream.FetchMaxWait(wait))
	} else {
		batch, err = cons.FetchNoWait(n)
	}
	if err != nil {
		q.drainers.Done()
		return nil, fmt.Errorf("gateway jsdeliveries: fetch for %s: %w", account, err)
	}
	var got []*claim
	msgs := batch.Messages()
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				q.drainers.Done()
				if err := batch.Error(); err != nil && len(got) == 0 {
					return nil, fmt.Errorf("gateway jsdeliveries: fetch for %s: %w", account, err)
				}
				return got, nil
			}
			if c := q.take(m, account); c != nil {
				got = append(got, c)
			}
		case <-ctx.Done():
			q.abandon(got, msgs)
			return nil, ctx.Err()
		case <-q.done:
			q.abandon(got, msgs)
			return nil, deliveries.ErrClosed
		}
	}
}

// abandon gives back the claims of a fetch given up, and naks in the
// background what the fetch still receives.
func (q *Queue) abandon(got []*claim, msgs <-chan jetstream.Msg) {
	q.giveBack(got)
	go func() {
		defer q.drainers.Done()
		for m := range msgs {
			q.send(m.Reply(), nakBody(0))
		}
	}()
}

// giveBack naks claims not handed to the caller.
func (q *Queue) giveBack(cs []*claim) {
	for _, c := range cs {
		if err := c.Nak(0); err != nil {
			q.unsent.Add(1)
		}
	}
}

// send publishes a nak or a term without waiting for the server; one that
// is not sent is counted (Unsent), and its delivery comes back when its
// lease ends.
func (q *Queue) send(subject string, body []byte) {
	if err := q.nc.Publish(subject, body); err != nil {
		q.unsent.Add(1)
	}
}

// Unsent returns how many naks the queue sent on its own (deliveries
// fetched after a Claim gave up) could not be sent: those deliveries came
// back when their leases ended, not at once.
func (q *Queue) Unsent() int64 { return q.unsent.Load() }

// take turns a message into a claim held by q, or returns nil for a
// message that is no delivery (terminated: it would come back forever).
func (q *Queue) take(m jetstream.Msg, account string) *claim {
	created, bind, body, err := parseDelivery(m.Data())
	meta, merr := m.Metadata()
	if err != nil || merr != nil {
		q.send(m.Reply(), termBody)
		return nil
	}
	c := &claim{q: q, subject: m.Reply(), d: &deliveries.Delivery{
		Account: account, Seq: meta.Sequence.Stream, Body: body, Created: created, Bind: bind,
	}}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		q.send(m.Reply(), nakBody(0))
		return nil
	}
	q.held[c] = struct{}{}
	return c
}

// claim is a delivery handed out by a Queue: its message's reply subject
// names the stream sequence and the hand-out.
type claim struct {
	q       *Queue
	subject string
	d       *deliveries.Delivery

	mu sync.Mutex // serialises this claim's calls
}

var _ deliveries.Claim = (*claim)(nil)

// Delivery returns the delivery as it was added.
func (c *claim) Delivery() *deliveries.Delivery { return c.d }

// Ack removes the delivery, and waits for the server to confirm it.
func (c *claim) Ack() error { return c.finish(ackBody) }

// Nak gives the delivery back, to be handed out again after delay.
func (c *claim) Nak(delay time.Duration) error { return c.finish(nakBody(delay)) }

// Extend restarts the lease (in progress).
func (c *claim) Extend() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.q
	q.mu.Lock()
	closed := q.closed
	_, held := q.held[c]
	q.mu.Unlock()
	switch {
	case closed:
		return deliveries.ErrClosed
	case !held:
		return deliveries.ErrLeaseLost
	}
	return c.reply(progressBody)
}

// finish sends an ack or a nak, once: this claim's later calls fail with
// deliveries.ErrLeaseLost. A call of a claim whose lease ended and whose
// delivery was handed out again is not refused (see the package
// documentation).
func (c *claim) finish(body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.q
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return deliveries.ErrClosed
	}
	if _, held := q.held[c]; !held {
		q.mu.Unlock()
		return deliveries.ErrLeaseLost
	}
	delete(q.held, c)
	q.mu.Unlock()
	if err := c.reply(body); err != nil {
		q.mu.Lock()
		if !q.closed {
			q.held[c] = struct{}{} // still ours: the call may be made again
		}
		q.mu.Unlock()
		return err
	}
	return nil
}

// reply sends body to the message's reply subject and waits for the
// server's confirmation.
func (c *claim) reply(body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.q.opts.RequestTimeout)
	defer cancel()
	if _, err := c.q.nc.RequestWithContext(ctx, c.subject, body); err != nil {
		return fmt.Errorf("gateway jsdeliveries: %s of %s/%d: %w (the server may not have it: the delivery comes back when its lease ends)", body[:4], c.d.Account, c.d.Seq, err)
	}
	return nil
}
