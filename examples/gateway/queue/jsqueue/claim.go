package jsqueue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// fetchWait is how long one pull request waits for a ticket. A waiting
// Claim sends one such request after another, so that a request the
// server still holds when Claim returns (its context ended, or Close)
// expires soon and leases nothing for long.
const fetchWait = 250 * time.Millisecond

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

// Claim hands out up to max due tickets: first those the consumer has for
// it now, else it waits for one (and takes what else is there then).
// Tickets seen before their due time are naked with a delay that ends at
// it and are not handed out.
func (q *Queue) Claim(ctx context.Context, dst []queue.Claim, n int) ([]queue.Claim, error) {
	n = max(n, 1)
	for failed := 0; ; {
		got, err := q.fetch(ctx, n, 0)
		if transient(err) {
			// No consumer leader now (just created, or its server
			// died and another is being elected): try again shortly;
			// the consumer gone, or silent for a second: create it.
			failed++
			if gone(err) || failed%recreateAfter == 0 {
				if rerr := q.recreate(ctx); rerr != nil && !transient(rerr) && ctx.Err() == nil {
					return dst, fmt.Errorf("gateway jsqueue: consumer %s gone and not created again: %w", q.opts.Consumer, rerr)
				}
			}
			if err = q.pause(ctx, retryPause); err == nil {
				continue
			}
		}
		if err != nil {
			return dst, err
		}
		if len(got) == 0 {
			wait := fetchWait
			if dl, ok := ctx.Deadline(); ok {
				wait = min(wait, max(time.Until(dl), time.Millisecond))
			}
			if got, err = q.fetch(ctx, 1, wait); transient(err) {
				continue
			}
			if err != nil {
				return dst, err
			}
			if len(got) > 0 && n > 1 {
				more, err := q.fetch(ctx, n-1, 0)
				if err != nil {
					q.giveBack(got)
					return dst, err
				}
				got = append(got, more...)
			}
		}
		if len(got) > 0 && len(got) < n && q.behind(got[len(got)-1]) {
			got = q.catchUp(ctx, got, n)
		}
		if len(got) > 0 {
			for _, c := range got {
				dst = append(dst, c)
			}
			return dst, nil
		}
	}
}

// catchUpWait bounds how long a Claim waits for the consumer's server to
// catch up with tickets this Queue enqueued (see behind).
const catchUpWait = 20 * time.Millisecond

// behind reports whether the consumer handed out c as the last ticket it
// had while this Queue has enqueued a later one: on a cluster the
// consumer's server may lag the stream's leader by a moment.
func (q *Queue) behind(c *claim) bool {
	return c.pendingAfter == 0 && c.seq < q.lastPub.Load()
}

// catchUp adds to got, up to n, the tickets that reach the consumer within
// catchUpWait, so that a Claim hands out every due ticket this Queue
// enqueued before it (read your own writes); tickets enqueued by other
// nodes may come a moment later. Its errors are left to the next Claim.
func (q *Queue) catchUp(ctx context.Context, got []*claim, n int) []*claim {
	more, err := q.fetch(ctx, 1, catchUpWait)
	if err != nil || len(more) == 0 {
		return got
	}
	got = append(got, more...)
	if len(got) < n {
		if rest, err := q.fetch(ctx, n-len(got), 0); err == nil {
			got = append(got, rest...)
		}
	}
	return got
}

// retryPause is how long Claim and Enqueue wait before trying again after
// an error that passes (no consumer or stream leader for a moment).
const retryPause = 50 * time.Millisecond

// recreateAfter is how many transient errors in a row make Claim create
// the consumer again (a second of them).
const recreateAfter = 20

// gone reports whether err says the consumer does not exist.
func gone(err error) bool {
	return errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound)
}

// transient reports whether err is one that passes by itself: a cluster
// electing a leader, a connection reconnecting, a consumer to create again.
func transient(err error) bool {
	if gone(err) {
		return true
	}
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, jetstream.ErrNoStreamResponse)
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
		return queue.ErrClosed
	}
}

// fetch sends one pull request for up to n messages, waiting up to wait
// for the first (none: only what is there now), and returns the due
// tickets as claims held by q. When ctx ends or q closes first it returns
// their error, and the messages that still arrive are naked.
func (q *Queue) fetch(ctx context.Context, n int, wait time.Duration) ([]*claim, error) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil, queue.ErrClosed
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
		batch, err = q.consumer().Fetch(n, jetstream.FetchMaxWait(wait))
	} else {
		batch, err = q.consumer().FetchNoWait(n)
	}
	if err != nil {
		q.drainers.Done()
		return nil, fmt.Errorf("gateway jsqueue: fetch from %s: %w", q.opts.Consumer, err)
	}
	var got []*claim
	msgs := batch.Messages()
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				q.drainers.Done()
				if err := batch.Error(); err != nil && len(got) == 0 {
					return nil, fmt.Errorf("gateway jsqueue: fetch from %s: %w", q.opts.Consumer, err)
				}
				return got, nil
			}
			if c := q.take(m); c != nil {
				got = append(got, c)
			}
		case <-ctx.Done():
			q.abandon(got, msgs)
			return nil, ctx.Err()
		case <-q.done:
			q.abandon(got, msgs)
			return nil, queue.ErrClosed
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

// take turns a message into a claim held by q, or returns nil for a
// ticket not due yet (naked until its due time) or a message that is no
// ticket (terminated: it would come back forever).
func (q *Queue) take(m jetstream.Msg) *claim {
	t, err := parseTicket(m.Data())
	meta, merr := m.Metadata()
	if err != nil || merr != nil {
		q.send(m.Reply(), termBody)
		return nil
	}
	if d := time.Until(t.Due); d > 0 {
		// Naked with a delay rather than scheduled: it waits in the
		// consumer's pending set (MaxHeld) until its time.
		q.send(m.Reply(), nakBody(d))
		return nil
	}
	n := int(meta.NumDelivered)
	if n > 1 && !t.Due.IsZero() && t.Due.After(meta.Timestamp) {
		n-- // its first delivery was before its due time, naked unseen
	}
	c := &claim{q: q, subject: m.Reply(), t: t, n: n, seq: meta.Sequence.Stream, pendingAfter: meta.NumPending}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		// Close naks what is held; this one it did not see.
		q.send(m.Reply(), nakBody(0))
		return nil
	}
	q.held[c] = struct{}{}
	return c
}

// send publishes a nak or a term without waiting for the server; one that
// is not sent is counted (Unsent), and its ticket comes back when its lease
// ends.
func (q *Queue) send(subject string, body []byte) {
	if err := q.nc.Publish(subject, body); err != nil {
		q.unsent.Add(1)
	}
}

// Unsent returns how many naks the queue sent on its own (tickets seen
// before their due time, fetched after a Claim gave up) could not be sent:
// their tickets came back when their leases ended, not at once.
func (q *Queue) Unsent() int64 { return q.unsent.Load() }

// claim is a ticket handed out by a Queue: its message's reply subject
// names the stream sequence and the delivery.
type claim struct {
	q       *Queue
	subject string
	t       queue.Ticket
	n       int
	// seq is the ticket's stream sequence, and pendingAfter how many
	// tickets the consumer had after it when it handed it out.
	seq, pendingAfter uint64

	mu sync.Mutex // serialises this claim's calls
}

var _ queue.Claim = (*claim)(nil)

// Ticket returns the ticket as it was enqueued.
func (c *claim) Ticket() queue.Ticket { return c.t }

// Deliveries is the consumer's delivery count, less one for a ticket seen
// once before its due time.
func (c *claim) Deliveries() int { return c.n }

// Ack removes the ticket, and waits for the server to confirm it.
func (c *claim) Ack() error { return c.finish(ackBody) }

// Nak gives the ticket back, due again after delay.
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
		return queue.ErrClosed
	case !held:
		return queue.ErrLeaseLost
	}
	return c.reply(progressBody)
}

// finish sends an ack or a nak, once: this claim's later calls fail with
// queue.ErrLeaseLost. A call of a claim whose lease ended and whose
// ticket was handed out again is not refused (see the package
// documentation).
func (c *claim) finish(body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.q
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return queue.ErrClosed
	}
	if _, held := q.held[c]; !held {
		q.mu.Unlock()
		return queue.ErrLeaseLost
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
		return fmt.Errorf("gateway jsqueue: %s of %s: %w (the server may not have it: the ticket comes back when its lease ends)", body[:4], c.t.ID, err)
	}
	return nil
}
