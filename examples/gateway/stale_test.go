package main

import (
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

// fakeClaim records how a claim was resolved.
type fakeClaim struct {
	t      queue.Ticket
	acked  int
	naked  int
	delays []time.Duration
}

func (c *fakeClaim) Ticket() queue.Ticket { return c.t }
func (c *fakeClaim) Deliveries() int      { return 1 }
func (c *fakeClaim) Ack() error           { c.acked++; return nil }
func (c *fakeClaim) Nak(d time.Duration) error {
	c.naked++
	c.delays = append(c.delays, d)
	return nil
}
func (c *fakeClaim) Extend() error { return nil }

// A late submit_sm_resp to a message sent more than once (a retry, or a
// resend after a restart) must not bring back a stale version of a message
// whose receipt was already recorded: the answer's compare-and-set is
// refused, and the ticket acked all the same; a message sent once goes
// ENROUTE.
func TestLateAnswerToResendIsStale(t *testing.T) {
	a := inproc(t, nil)
	gw := a.gw
	// The test plays the dispatcher: the gateway's own stay out of it.
	gw.stopDispatch()
	gw.dispatchWG.Wait()
	gw.upMu.RLock()
	u := gw.upstreams["sim"]
	gw.upMu.RUnlock()

	// The version a dispatcher sent (Inflight), then its receipt recorded
	// (an earlier send's) before the answer came.
	m := &store.Message{ID: gw.newID(), Account: "demo", Command: uint32(pdu.SubmitSMID), State: store.Queued}
	if err := gw.store.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.Attempts = store.Inflight, "sim", 2
	if err := gw.store.Update(m); err != nil {
		t.Fatal(err)
	}
	stale := *m
	m.State, m.UpstreamID = store.Delivered, "first"
	if err := gw.store.Update(m); err != nil {
		t.Fatal(err)
	}
	c := &fakeClaim{t: queue.Ticket{ID: m.ID, Rev: 1}}
	gw.upstreamDone(u, &stale, c, "second", nil, time.Now())
	if got, err := gw.store.Get(m.ID); err != nil || got.State != store.Delivered || got.UpstreamID != "first" {
		t.Fatalf("message after a late answer: %+v, %v; want it DELIVERED with upstream id first", got, err)
	}
	if c.acked != 1 || c.naked != 0 {
		t.Errorf("claim after a stale answer: %d acks, %d naks; want 1 ack", c.acked, c.naked)
	}

	// A message sent once: its answer is recorded.
	once := &store.Message{ID: gw.newID(), Account: "demo", Command: uint32(pdu.SubmitSMID), State: store.Queued}
	if err := gw.store.Accept(once); err != nil {
		t.Fatal(err)
	}
	once.State, once.Route, once.Attempts = store.Inflight, "sim", 1
	if err := gw.store.Update(once); err != nil {
		t.Fatal(err)
	}
	c = &fakeClaim{t: queue.Ticket{ID: once.ID, Rev: 1}}
	gw.upstreamDone(u, once, c, "only", nil, time.Now())
	if got, err := gw.store.Get(once.ID); err != nil || got.State != store.Enroute || got.UpstreamID != "only" {
		t.Fatalf("message sent once: %+v, %v; want ENROUTE with upstream id only", got, err)
	}
	if c.acked != 1 {
		t.Errorf("claim after the answer: %d acks; want 1", c.acked)
	}
}
