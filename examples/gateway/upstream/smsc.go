package upstream

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/tlv"
)

// Config describes one SMSC for Add.
type Config struct {
	// Name names the SMSC in the routes, the index of its message ids and
	// the metrics.
	Name string
	// Addrs are the SMSC's addresses; at least one.
	Addrs []string
	// Binds is how many binds are opened to each address (the first
	// address has one at least).
	Binds int
	// Dedupe is the TLV that carries the gateway's message id as an
	// idempotency key the SMSC honours; 0: none (see the crash policy in
	// the package documentation).
	Dedupe tlv.Tag
	// Client is the client's configuration: credentials, rate, TLS,
	// session settings. Its Handler, OnStateChange, Logger, Endpoints,
	// StartInactive and Session.InlineHandler are the Dispatcher's to set.
	Client client.Config
}

// SMSC is one operator SMSC: its client and its binds.
type SMSC struct {
	d      *Dispatcher
	name   string
	c      *client.Client
	up     atomic.Int32 // binds up
	dedupe tlv.Tag

	stMu   sync.Mutex
	states map[int]client.BindState // by client bind slot
}

// Add starts the client of an SMSC, whose binds then come up (on a cluster
// node, those this node holds, see Options.Slots). An SMSC of the same name
// is replaced in the routing, not closed.
func (d *Dispatcher) Add(c Config) error {
	if len(c.Addrs) == 0 {
		return fmt.Errorf("upstream %s: no addrs", c.Name)
	}
	u := &SMSC{d: d, name: c.Name, dedupe: c.Dedupe}
	ccfg := c.Client
	ccfg.Handler = u
	ccfg.Session.InlineHandler = true // HandleDelivery does not wait
	ccfg.Logger = d.log.With("upstream", c.Name)
	ccfg.OnStateChange = func(ev client.StateEvent) {
		u.bindState(ev)
		d.metrics.BindsUp(c.Name, int(u.up.Load()))
		d.log.Info("upstream bind", "upstream", c.Name, "state", ev.State.String(), "endpoint", ev.Endpoint, "err", ev.Err)
		d.bindsChange()
	}
	// A cluster node binds only the binds it holds (slots.go).
	ccfg.StartInactive = d.slots != nil
	ccfg.Endpoints = nil
	for i, a := range c.Addrs {
		for b := 0; b < c.Binds; b++ {
			if i == 0 && b == 0 {
				continue
			}
			ccfg.Endpoints = append(ccfg.Endpoints, client.Endpoint{Addr: a})
		}
	}
	cl, err := client.New(c.Addrs[0], ccfg)
	if err != nil {
		return fmt.Errorf("upstream %s: %w", c.Name, err)
	}
	u.c = cl
	d.mu.Lock()
	d.smscs[c.Name] = u
	d.mu.Unlock()
	if d.slots != nil {
		d.holdSlots(u, len(cl.Stats()))
	}
	return nil
}

// SMSC returns the SMSC named, nil if none was added.
func (d *Dispatcher) SMSC(name string) *SMSC {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.smscs[name]
}

// SMSCs returns the SMSCs added, in no particular order.
func (d *Dispatcher) SMSCs() []*SMSC {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]*SMSC, 0, len(d.smscs))
	for _, u := range d.smscs {
		out = append(out, u)
	}
	return out
}

// Name returns the SMSC's name.
func (u *SMSC) Name() string { return u.name }

// BindsUp returns how many of the SMSC's binds are up.
func (u *SMSC) BindsUp() int { return int(u.up.Load()) }

// Stats returns the state of each of the SMSC's binds.
func (u *SMSC) Stats() []client.BindStats { return u.c.Stats() }

// HandleDelivery takes a deliver_sm or data_sm from the SMSC (take). It is
// the SMSC client's Handler and runs on the bind's read loop (the client's
// InlineHandler): it does not wait, and the SMSC is answered once the store
// has what it took (Delivery.Hold).
func (u *SMSC) HandleDelivery(ctx context.Context, d *client.Delivery) error {
	u.d.take(u, d, d.Hold())
	return nil
}

// take records a receipt for its message and hands it to its ESMEs
// (receipts.go), or hands an MO message to the account of its destination
// (mo.go), and then answers the SMSC through ack: nil acknowledges, an
// error asks for the delivery again later.
func (d *Dispatcher) take(u *SMSC, dl *client.Delivery, ack func(error)) {
	if dl.Receipt != nil {
		d.onReceipt(u, dl, ack)
		return
	}
	// Handing an MO message over may wait for the store: off the read loop.
	d.later(func() { ack(d.onMO(dl)) })
}

// bindState counts the binds that are up from the client's state events.
func (u *SMSC) bindState(ev client.StateEvent) {
	u.stMu.Lock()
	defer u.stMu.Unlock()
	if u.states == nil {
		u.states = map[int]client.BindState{}
	}
	// Several binds may share an endpoint address: the slot tells them apart.
	u.states[ev.Slot] = ev.State
	n := 0
	for _, s := range u.states {
		if s == client.Bound {
			n++
		}
	}
	u.up.Store(int32(n))
}
