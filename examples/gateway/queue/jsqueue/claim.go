package jsqueue

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/internal/jswork"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// fetchWait is how long one pull request waits for a ticket. A waiting
// Claim sends one such request after another, so that a request the
// server still holds when Claim returns (its context ended, or Close)
// expires soon and leases nothing for long.
const fetchWait = 250 * time.Millisecond

// Claim hands out up to max due tickets: first those the consumer has for
// it now, else it waits for one (and takes what else is there then).
// Tickets seen before their due time are naked with a delay that ends at
// it and are not handed out.
func (q *Queue) Claim(ctx context.Context, dst []queue.Claim, n int) ([]queue.Claim, error) {
	n = max(n, 1)
	for failed := 0; ; {
		got, err := q.fetch(ctx, n, 0)
		if jswork.Transient(err) {
			// No consumer leader now (just created, or its server
			// died and another is being elected): try again shortly;
			// the consumer gone, or silent for a second: create it.
			failed++
			if jswork.Gone(err) || failed%recreateAfter == 0 {
				if rerr := q.recreate(ctx); rerr != nil && !jswork.Transient(rerr) && ctx.Err() == nil {
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
			if got, err = q.fetch(ctx, 1, wait); jswork.Transient(err) {
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

// pause waits d, or returns early with ctx's error or ErrClosed.
func (q *Queue) pause(ctx context.Context, d time.Duration) error { return q.h.Pause(ctx, d) }

// fetch sends one pull request for up to n messages, waiting up to wait
// for the first (none: only what is there now), and returns the due
// tickets as claims held by q. When ctx ends or q closes first it returns
// their error, and the messages that still arrive are naked.
func (q *Queue) fetch(ctx context.Context, n int, wait time.Duration) ([]*claim, error) {
	return jswork.Fetch(ctx, q.h, q.consumer(), n, wait, "from", q.opts.Consumer, q.take)
}

// giveBack naks claims not handed to the caller.
func (q *Queue) giveBack(cs []*claim) { jswork.GiveBack(q.h, cs) }

// take turns a message into a claim held by q, or reports false for a
// ticket not due yet (naked until its due time) or a message that is no
// ticket (terminated: it would come back forever).
func (q *Queue) take(m jetstream.Msg) (*claim, bool) {
	t, err := parseTicket(m.Data())
	meta, merr := m.Metadata()
	if err != nil || merr != nil {
		q.h.Send(m.Reply(), jswork.TermBody)
		return nil, false
	}
	if d := time.Until(t.Due); d > 0 {
		// Naked with a delay rather than scheduled: it waits in the
		// consumer's pending set (MaxHeld) until its time.
		q.h.Send(m.Reply(), jswork.NakBody(d))
		return nil, false
	}
	n := int(meta.NumDelivered)
	if n > 1 && !t.Due.IsZero() && t.Due.After(meta.Timestamp) {
		n-- // its first delivery was before its due time, naked unseen
	}
	c := &claim{t: t, n: n, seq: meta.Sequence.Stream, pendingAfter: meta.NumPending}
	return c, q.h.Hold(&c.Claim, m.Reply(), t.ID, 0)
}

// Unsent returns how many naks the queue sent on its own (tickets seen
// before their due time, fetched after a Claim gave up) could not be sent:
// their tickets came back when their leases ended, not at once.
func (q *Queue) Unsent() int64 { return q.h.Unsent() }

// claim is a ticket handed out by a Queue. Its Ack and Nak are sent once
// (its later calls fail with queue.ErrLeaseLost), each waiting for the
// server's confirmation; a call of a claim whose lease ended and whose
// ticket was handed out again is not refused (see the package
// documentation).
type claim struct {
	jswork.Claim
	t queue.Ticket
	n int
	// seq is the ticket's stream sequence, and pendingAfter how many
	// tickets the consumer had after it when it handed it out.
	seq, pendingAfter uint64
}

var _ queue.Claim = (*claim)(nil)

// Ticket returns the ticket as it was enqueued.
func (c *claim) Ticket() queue.Ticket { return c.t }

// Deliveries is the consumer's delivery count, less one for a ticket seen
// once before its due time.
func (c *claim) Deliveries() int { return c.n }
