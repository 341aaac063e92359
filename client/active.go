package client

import (
	"context"
	"fmt"
	"sync"
)

// SetActive chooses which of the client's binds may be up, by their index
// (StateEvent.Slot: 0, 1, ... in the order of the endpoints, then of the
// binds of each; len(Stats()) of them). A bind that leaves the set stops
// taking new requests, unbinds (its requests in flight get the unbind
// timeout to complete) and stays down; one that joins it binds at once.
// SetActive returns once every bind outside the set is down, or when ctx
// ends (the binds still go down, in the background), so that a bind limit
// shared by several processes holds: a process gives a bind up with
// SetActive before another process may take it.
//
// A client starts with every bind active, or none with
// Config.StartInactive. An index out of range is an error, and changes
// nothing.
func (c *Client) SetActive(ctx context.Context, binds []int) error {
	on := make([]bool, len(c.slots))
	for _, i := range binds {
		if i < 0 || i >= len(c.slots) {
			return fmt.Errorf("smpp: client: SetActive: bind %d out of range: the client has %d binds (0 to %d)", i, len(c.slots), len(c.slots)-1)
		}
		on[i] = true
	}
	var wait []<-chan struct{}
	for i, sl := range c.slots {
		if on[i] {
			sl.gate.switchOn()
		} else if parked := sl.gate.switchOff(); parked != nil {
			wait = append(wait, parked)
		}
	}
	for _, p := range wait {
		select {
		case <-p:
		case <-c.closed:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// gate switches one bind off and on. The slot's loop enters it before each
// attempt and leaves it when the attempt's session has ended; a switch off
// cancels the attempt in progress (the session unbinds) and the loop parks
// until the slot is switched on again.
type gate struct {
	mu     sync.Mutex
	off    bool
	cancel context.CancelFunc // ends the attempt in progress; nil between attempts
	parked chan struct{}      // closed once the slot is off and holds nothing
	wake   chan struct{}      // closed when the slot is switched on
}

func (g *gate) init(off bool) {
	g.off = off
	g.parked = make(chan struct{})
	g.wake = make(chan struct{})
	if off {
		close(g.parked)
	}
}

// switchOn lets the slot bind; it wakes a parked loop.
func (g *gate) switchOn() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.off {
		return
	}
	g.off = false
	close(g.wake)
	g.wake = make(chan struct{})
}

// switchOff stops the slot's attempt in progress and returns a channel
// closed once the slot holds nothing, or nil when it holds nothing now.
func (g *gate) switchOff() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.off {
		g.off = true
		g.parked = make(chan struct{})
		if g.cancel == nil {
			close(g.parked)
		}
	}
	if g.cancel != nil {
		g.cancel()
	}
	select {
	case <-g.parked:
		return nil
	default:
		return g.parked
	}
}

// enter waits while the slot is off, then returns the context of one
// attempt, ended by a switch off; ok is false when closed closes first.
func (g *gate) enter(parent context.Context, closed <-chan struct{}) (ctx context.Context, ok bool) {
	g.mu.Lock()
	for g.off {
		wake := g.wake
		g.mu.Unlock()
		select {
		case <-wake:
		case <-closed:
			return nil, false
		}
		g.mu.Lock()
	}
	ctx, g.cancel = context.WithCancel(parent)
	g.mu.Unlock()
	return ctx, true
}

// leave ends an attempt whose session (if any) is down, and reports whether
// the slot was switched off meanwhile.
func (g *gate) leave() (off bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cancel()
	g.cancel = nil
	if g.off {
		select {
		case <-g.parked:
		default:
			close(g.parked)
		}
	}
	return g.off
}
