package jswork

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Naker is a queue's claim type, which embeds a Claim.
type Naker interface {
	Nak(delay time.Duration) error
}

// Fetch sends one pull request to cons for up to n messages, waiting up to
// wait for the first (none: only what is there now), and returns the
// claims that take makes of them (take reports false for a message it
// naks or terminates itself). When ctx ends or h closes first it returns
// their error, gives back the claims made, and naks the messages that
// still arrive. Its errors read "<Name>: fetch <prep> <what>: ...".
func Fetch[C Naker](ctx context.Context, h *Holder, cons jetstream.Consumer, n int, wait time.Duration, prep, what string, take func(jetstream.Msg) (C, bool)) ([]C, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, h.cfg.ErrClosed
	}
	h.drainers.Add(1)
	h.mu.Unlock()
	if err := ctx.Err(); err != nil {
		h.drainers.Done()
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
		h.drainers.Done()
		return nil, fmt.Errorf("%s: fetch %s %s: %w", h.cfg.Name, prep, what, err)
	}
	var got []C
	msgs := batch.Messages()
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				h.drainers.Done()
				if err := batch.Error(); err != nil && len(got) == 0 {
					return nil, fmt.Errorf("%s: fetch %s %s: %w", h.cfg.Name, prep, what, err)
				}
				return got, nil
			}
			if c, ok := take(m); ok {
				got = append(got, c)
			}
		case <-ctx.Done():
			abandon(h, got, msgs)
			return nil, ctx.Err()
		case <-h.done:
			abandon(h, got, msgs)
			return nil, h.cfg.ErrClosed
		}
	}
}

// abandon gives back the claims of a fetch given up, and naks in the
// background what the fetch still receives.
func abandon[C Naker](h *Holder, got []C, msgs <-chan jetstream.Msg) {
	GiveBack(h, got)
	go func() {
		defer h.drainers.Done()
		for m := range msgs {
			h.Send(m.Reply(), NakBody(0))
		}
	}()
}

// GiveBack naks claims not handed to the caller; a nak that fails is
// counted as unsent (the claim comes back when its lease ends).
func GiveBack[C Naker](h *Holder, cs []C) {
	for _, c := range cs {
		if err := c.Nak(0); err != nil {
			h.unsent.Add(1)
		}
	}
}
