package jswork

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Config names a queue's errors and messages for its Holder.
type Config struct {
	// Name prefixes the errors: "gateway jsqueue".
	Name string
	// Item is what a claim holds, in errors: "ticket".
	Item string
	// ErrClosed is returned once the queue is closed.
	ErrClosed error
	// ErrLeaseLost is returned by a claim's second Ack or Nak, and by its
	// Extend after those.
	ErrLeaseLost error
	// RequestTimeout bounds each ack, nak and in-progress request, and
	// each nak at Close.
	RequestTimeout time.Duration
}

// Holder keeps the claims one queue handed out and has not seen acked or
// naked, and the queue's open or closed state.
type Holder struct {
	nc  *nats.Conn
	cfg Config

	done     chan struct{} // closed by Close
	drainers sync.WaitGroup
	unsent   atomic.Int64

	mu     sync.Mutex
	closed bool
	held   map[*Claim]struct{}
}

// NewHolder returns an open Holder whose claims answer through nc.
func NewHolder(nc *nats.Conn, cfg Config) *Holder {
	return &Holder{nc: nc, cfg: cfg, done: make(chan struct{}), held: map[*Claim]struct{}{}}
}

// CheckOpen returns Config.ErrClosed once Close was called.
func (h *Holder) CheckOpen() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return h.cfg.ErrClosed
	}
	return nil
}

// Pause waits d, or returns early with ctx's error or Config.ErrClosed.
func (h *Holder) Pause(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-h.done:
		return h.cfg.ErrClosed
	}
}

// Send publishes a nak or a term without waiting for the server; one that
// is not sent is counted (Unsent), and its message comes back when its
// lease ends.
func (h *Holder) Send(subject string, body []byte) {
	if err := h.nc.Publish(subject, body); err != nil {
		h.unsent.Add(1)
	}
}

// Unsent returns how many naks and terms Send could not send.
func (h *Holder) Unsent() int64 { return h.unsent.Load() }

// Hold makes c, a claim of the message whose reply subject is subject,
// held by h. ref and seq name it in errors: "ref", or "ref/seq" when seq
// is not zero. Once h is closed it naks the message instead and returns
// false: Close naks what is held, and did not see this one.
func (h *Holder) Hold(c *Claim, subject, ref string, seq uint64) bool {
	c.h, c.subject, c.ref, c.seq = h, subject, ref, seq
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		h.Send(subject, NakBody(0))
		return false
	}
	h.held[c] = struct{}{}
	return true
}

// Close closes h and naks the claims it holds, so that the next claimer
// need not wait for their leases to end; it waits first for the fetches
// under way. A second Close returns Config.ErrClosed.
func (h *Holder) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return h.cfg.ErrClosed
	}
	h.closed = true
	close(h.done)
	held := h.held
	h.held = nil
	h.mu.Unlock()
	h.drainers.Wait()
	var errs []error
	for c := range held {
		if err := c.reply(NakBody(0)); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: close: %d claims not given back, handed out again when their leases end: %w", h.cfg.Name, len(errs), errs[0])
	}
	return nil
}
