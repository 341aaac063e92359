package upstream

import (
	"errors"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// extendingClaim is a claim renewed every period until it is acked or
// naked.
type extendingClaim struct {
	queue.Claim
	t *time.Timer
}

// keepClaimed renews c's lease every period until Ack or Nak.
func keepClaimed(c queue.Claim, period time.Duration) queue.Claim {
	ec := &extendingClaim{Claim: c}
	ec.t = time.AfterFunc(period, func() {
		if c.Extend() == nil {
			ec.t.Reset(period)
		}
	})
	return ec
}

// Ack stops the renewals and acks.
func (c *extendingClaim) Ack() error {
	c.t.Stop()
	return c.Claim.Ack()
}

// Nak stops the renewals and naks.
func (c *extendingClaim) Nak(d time.Duration) error {
	c.t.Stop()
	return c.Claim.Nak(d)
}

// ack removes a ticket the message no longer needs.
func (d *Dispatcher) ack(c queue.Claim, id string) {
	if err := c.Ack(); err != nil && !errors.Is(err, queue.ErrClosed) {
		d.log.Warn("queue: acking a ticket failed; the message's record decides when it comes back", "id", id, "err", err)
	}
}

// nak gives a ticket back, to be handed out again after delay.
func (d *Dispatcher) nak(c queue.Claim, id string, delay time.Duration) {
	if err := c.Nak(delay); err != nil && !errors.Is(err, queue.ErrClosed) {
		d.log.Warn("queue: giving a ticket back failed; it comes back when its lease ends", "id", id, "err", err)
	}
}
