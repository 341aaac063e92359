package jsdeliveries

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/internal/jswork"
)

// fetchWait is how long one pull request waits for a delivery: a waiting
// Claim sends one after another, so that a request the server still holds
// when Claim returns expires soon.
const fetchWait = 250 * time.Millisecond

// retryPause is how long Claim waits before trying again after an error
// that passes (no consumer leader for a moment, a consumer deleted as
// idle).
const retryPause = 50 * time.Millisecond

// consumerName is the durable name of an account's consumer.
func consumerName(account string) string { return "dlv-" + token(account) }

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
		if jswork.Transient(err) {
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
func (q *Queue) pause(ctx context.Context, d time.Duration) error { return q.h.Pause(ctx, d) }

// fetch sends one pull request for up to n messages, waiting up to wait
// for the first (none: only what is there now), and returns them as claims
// held by q. When ctx ends or q closes first it returns their error, and
// the messages that still arrive are naked.
func (q *Queue) fetch(ctx context.Context, cons jetstream.Consumer, account string, n int, wait time.Duration) ([]*claim, error) {
	return jswork.Fetch(ctx, q.h, cons, n, wait, "for", account, func(m jetstream.Msg) (*claim, bool) { return q.take(m, account) })
}

// giveBack naks claims not handed to the caller.
func (q *Queue) giveBack(cs []*claim) { jswork.GiveBack(q.h, cs) }

// Unsent returns how many naks the queue sent on its own (deliveries
// fetched after a Claim gave up) could not be sent: those deliveries came
// back when their leases ended, not at once.
func (q *Queue) Unsent() int64 { return q.h.Unsent() }

// take turns a message into a claim held by q, or reports false for a
// message that is no delivery (terminated: it would come back forever).
func (q *Queue) take(m jetstream.Msg, account string) (*claim, bool) {
	created, bind, body, err := parseDelivery(m.Data())
	meta, merr := m.Metadata()
	if err != nil || merr != nil {
		q.h.Send(m.Reply(), jswork.TermBody)
		return nil, false
	}
	c := &claim{d: &deliveries.Delivery{
		Account: account, Seq: meta.Sequence.Stream, Body: body, Created: created, Bind: bind,
	}}
	return c, q.h.Hold(&c.Claim, m.Reply(), account, meta.Sequence.Stream)
}

// claim is a delivery handed out by a Queue. Its Ack and Nak are sent once
// (its later calls fail with deliveries.ErrLeaseLost), each waiting for
// the server's confirmation; a call of a claim whose lease ended and whose
// delivery was handed out again is not refused (see the package
// documentation).
type claim struct {
	jswork.Claim
	d *deliveries.Delivery
}

var _ deliveries.Claim = (*claim)(nil)

// Delivery returns the delivery as it was added.
func (c *claim) Delivery() *deliveries.Delivery { return c.d }
