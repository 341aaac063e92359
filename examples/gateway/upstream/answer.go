package upstream

import (
	"context"
	"errors"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

const (
	// maxBackoff bounds the delay before a message's next attempt.
	maxBackoff = 30 * time.Second
	// retryBackoff is the delay before a message's second attempt,
	// doubled at each of the next ones.
	retryBackoff = 250 * time.Millisecond
	// mapUpstreamTries is how many times the upstream's id is written
	// before the message is given back to the queue: a store that failed
	// once (a cluster electing a new leader for a stream) often takes the
	// next write.
	mapUpstreamTries = 3
)

// answered records the upstream's answer to a submit of m (as sent,
// Inflight) and then acks or naks its claim. An acceptance is recorded
// without waiting for the store (accepted): the client's read loop may call
// answered for it; anything else writes and waits.
func (d *Dispatcher) answered(u *SMSC, m *store.Message, c queue.Claim, upstreamID string, err error, sent time.Time) {
	st := pdu.StatusOf(err)
	if err == nil {
		st = pdu.ESME_ROK
	}
	d.metrics.Submitted(u.name, st, time.Since(sent))
	switch {
	case err == nil:
		d.accepted(u, m, c, upstreamID)
	case client.NotSent(err), errors.Is(err, pdu.ESME_RTHROTTLED), errors.Is(err, pdu.ESME_RMSGQFUL), errors.Is(err, pdu.ESME_RSYSERR),
		errors.Is(err, pdu.ESME_RINVBNDSTS):
		// Refused or never written: safe to send again. ESME_RINVBNDSTS is
		// what an upstream answers while it unbinds (a graceful restart).
		d.requeue(u, m, c)
	case isMaybeSent(err):
		if u.dedupe != 0 {
			// The upstream recognises a resend by its key: send again.
			d.requeue(u, m, c)
			return
		}
		d.log.Warn("upstream did not answer a submit that may have been sent; not resending (crash policy)", "id", m.ID, "upstream", u.name, "err", err)
		d.settle(c, m, store.Unknown, "UNKNOWN", 0)
	default:
		d.settle(c, m, store.Rejected, "REJECTD", uint8(st))
	}
}

// accepted records the upstream's id of m, Enroute, and then acks its
// claim, without waiting: the write is handed to the store
// (MapUpstreamAsync), and a write that failed is tried again off the
// goroutine that reports it (Later).
func (d *Dispatcher) accepted(u *SMSC, m *store.Message, c queue.Claim, upstreamID string) {
	m.State, m.UpstreamID = store.Enroute, upstreamID
	key := pdu.NormalizeMessageID(upstreamID)
	d.store.MapUpstreamAsync(m, key, func(err error) {
		if err != nil && !errors.Is(err, store.ErrConflict) {
			d.later(func() { d.mapped(u, m, c, d.mapUpstream(m, key)) })
			return
		}
		d.mapped(u, m, c, err)
	})
}

// mapped acks or naks the claim of m once its upstream id was written with
// err.
func (d *Dispatcher) mapped(u *SMSC, m *store.Message, c queue.Claim, err error) {
	switch {
	case errors.Is(err, store.ErrConflict):
		// The record moved on while this send was in flight: a receipt
		// of an earlier send made it final. This answer is stale.
		d.log.Debug("late answer to a message sent more than once; its newer state stands", "id", m.ID, "upstream", u.name)
	case err != nil:
		// Not recorded: the ticket goes back, and the next claim finds
		// the message in flight: its crash policy runs (with a dedupe
		// key it is sent again and the upstream answers with the id
		// it gave, to be recorded then).
		d.storeFailed("recording the upstream's message id", m.ID, err)
		d.nak(c, m.ID, time.Second)
		return
	}
	d.ack(c, m.ID)
}

// mapUpstream records the upstream's id of m, waiting, and tries again
// after a failure other than a conflict.
func (d *Dispatcher) mapUpstream(m *store.Message, key string) error {
	var err error
	for try := 1; try <= mapUpstreamTries; try++ {
		if err = d.store.MapUpstream(m, key); err == nil || errors.Is(err, store.ErrConflict) {
			return err
		}
		if try < mapUpstreamTries {
			time.Sleep(time.Duration(try) * 200 * time.Millisecond)
		}
	}
	return err
}

// requeue writes m Queued again (on disk it may say Inflight, which a
// restart would take for a message in doubt) and gives its ticket back
// for the next attempt after the back-off.
func (d *Dispatcher) requeue(u *SMSC, m *store.Message, c queue.Claim) {
	d.metrics.Retry(u.name)
	m.State = store.Queued
	if err := d.store.Update(m); err != nil && !errors.Is(err, store.ErrConflict) {
		d.storeFailed("returning a message to the queue", m.ID, err)
	}
	d.nak(c, m.ID, backoff(m))
}

// settle finishes m in a final state the gateway decides (see finish) and
// acks its ticket. If the record changed meanwhile, the claim is resolved
// again against the newer record.
func (d *Dispatcher) settle(c queue.Claim, m *store.Message, st store.State, stat string, errCode uint8) {
	err := d.finish(m, st, stat, errCode)
	switch {
	case errors.Is(err, store.ErrConflict):
		d.dispatch(c)
	case err != nil:
		// Kept: the ticket comes back after a restart.
	default:
		d.ack(c, m.ID)
	}
}

// backoff is the delay before m's next attempt: exponential in its
// attempts, and never past its validity (an expired message is finished
// when claimed).
func backoff(m *store.Message) time.Duration {
	return untilExpiry(m, retryDelay(m))
}

// noUpstreamDelay is how long a message whose route has no upstream bound
// waits before it is looked at again: short at first, longer the more
// often it found none.
func noUpstreamDelay(m *store.Message, c queue.Claim) time.Duration {
	return untilExpiry(m, min(retryBackoff<<min(c.Deliveries(), 7), maxBackoff))
}

// untilExpiry bounds a delay of m by its validity: an expired message is
// finished when it is claimed, so it must be claimed by then.
func untilExpiry(m *store.Message, d time.Duration) time.Duration {
	if !m.Expires.IsZero() {
		d = min(d, time.Until(m.Expires)+time.Millisecond)
	}
	return max(d, 0)
}

// retryDelay is the back-off before the next attempt of m.
func retryDelay(m *store.Message) time.Duration {
	return min(retryBackoff<<min(m.Attempts, 7), maxBackoff)
}

// isMaybeSent reports whether a submit that failed with err may have
// reached the upstream (it was written and not answered).
func isMaybeSent(err error) bool {
	var le *session.LostError
	var ce *session.CanceledError
	return errors.Is(err, session.ErrTimeout) || errors.Is(err, client.ErrTimeout) ||
		(errors.As(err, &le) && le.Sent) || (errors.As(err, &ce) && ce.Sent) || errors.Is(err, context.Canceled)
}
