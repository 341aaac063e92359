package jswork

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// The bodies of the replies to a message.
var (
	ackBody      = []byte("+ACK")
	progressBody = []byte("+WPI")
	// TermBody ends a message that is not what the queue holds: handed
	// out again, it would come back forever.
	TermBody = []byte("+TERM")
)

// NakBody is a nak, with a redelivery delay when d > 0.
func NakBody(d time.Duration) []byte {
	if d <= 0 {
		return []byte("-NAK")
	}
	return []byte(`-NAK {"delay":` + strconv.FormatInt(int64(d), 10) + `}`)
}

// Claim is a message handed out by a queue: its reply subject names the
// stream sequence and the hand-out. A queue's claim type embeds it, and
// Holder.Hold makes it held. Its methods serialise.
type Claim struct {
	h       *Holder
	subject string
	ref     string
	seq     uint64
	mu      sync.Mutex
}

// Ack removes the message, and waits for the server to confirm it.
func (c *Claim) Ack() error { return c.finish(ackBody) }

// Nak gives the message back, to be handed out again after delay.
func (c *Claim) Nak(delay time.Duration) error { return c.finish(NakBody(delay)) }

// Extend restarts the lease (in progress), and waits for the server to
// confirm it.
func (c *Claim) Extend() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.h
	h.mu.Lock()
	closed := h.closed
	_, held := h.held[c]
	h.mu.Unlock()
	switch {
	case closed:
		return h.cfg.ErrClosed
	case !held:
		return h.cfg.ErrLeaseLost
	}
	return c.reply(progressBody)
}

// finish sends an ack or a nak, once: this claim's later calls fail with
// Config.ErrLeaseLost. A call of a claim whose lease ended and whose
// message was handed out again is not refused (an ack names the stream
// sequence, whichever hand-out it came from).
func (c *Claim) finish(body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.h
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return h.cfg.ErrClosed
	}
	if _, held := h.held[c]; !held {
		h.mu.Unlock()
		return h.cfg.ErrLeaseLost
	}
	delete(h.held, c)
	h.mu.Unlock()
	if err := c.reply(body); err != nil {
		h.mu.Lock()
		if !h.closed {
			h.held[c] = struct{}{} // still ours: the call may be made again
		}
		h.mu.Unlock()
		return err
	}
	return nil
}

// reply sends body to the message's reply subject and waits for the
// server's confirmation.
func (c *Claim) reply(body []byte) error {
	h := c.h
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.RequestTimeout)
	defer cancel()
	if _, err := h.nc.RequestWithContext(ctx, c.subject, body); err != nil {
		ref := c.ref
		if c.seq != 0 {
			ref += "/" + strconv.FormatUint(c.seq, 10)
		}
		return fmt.Errorf("%s: %s of %s: %w (the server may not have it: the %s comes back when its lease ends)", h.cfg.Name, body[:4], ref, err, h.cfg.Item)
	}
	return nil
}
