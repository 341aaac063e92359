package main

import (
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
)

// A late submit_sm_resp to a message sent more than once (a retry, or a
// resend after a restart) must not bring back a stale version of a message
// whose receipt was already recorded; a message sent once goes ENROUTE.
func TestLateAnswerToResendIsStale(t *testing.T) {
	a := inproc(t, nil)
	gw := a.gw
	gw.upMu.RLock()
	u := gw.upstreams["sim"]
	gw.upMu.RUnlock()

	final := func(attempts int) (*store.Message, store.Message) {
		m := &store.Message{ID: gw.newID(), Account: "demo", Command: uint32(pdu.SubmitSMID), Route: "sim",
			Attempts: attempts, State: store.Delivered, Done: time.Now(), UpstreamID: "first"}
		if err := gw.store.Accept(m); err != nil {
			t.Fatal(err)
		}
		stale := *m
		stale.State, stale.Done, stale.UpstreamID = store.Inflight, time.Time{}, ""
		return m, stale
	}

	// A retry (two attempts) answered after the receipt.
	m, stale := final(2)
	gw.upstreamDone(u, &stale, "second", nil, time.Now())
	if got, err := gw.store.Get(m.ID); err != nil || got.State != store.Delivered {
		t.Fatalf("retried message after a late answer: %+v, %v; want it DELIVERED still", got, err)
	}

	// A message recovered at start-up and resent (one attempt in this process).
	m, stale = final(1)
	gw.resent.Store(m.ID, struct{}{})
	gw.upstreamDone(u, &stale, "second", nil, time.Now())
	if got, err := gw.store.Get(m.ID); err != nil || got.State != store.Delivered {
		t.Fatalf("resent message after a late answer: %+v, %v; want it DELIVERED still", got, err)
	}

	// A message sent once: its answer is recorded.
	once := &store.Message{ID: gw.newID(), Account: "demo", Command: uint32(pdu.SubmitSMID), Route: "sim",
		Attempts: 1, State: store.Inflight}
	if err := gw.store.Accept(once); err != nil {
		t.Fatal(err)
	}
	gw.upstreamDone(u, once, "only", nil, time.Now())
	if got, err := gw.store.Get(once.ID); err != nil || got.State != store.Enroute || got.UpstreamID != "only" {
		t.Fatalf("message sent once: %+v, %v; want ENROUTE with upstream id only", got, err)
	}
}
