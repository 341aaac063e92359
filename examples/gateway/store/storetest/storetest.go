// Package storetest is the conformance suite of the store.Store interface:
// every implementation (Memory and Pebble in package store, the JetStream
// store of the next issue) runs the same tests through Run.
//
// The suite uses only the interface (the deliveries through DeliveryQueue:
// added, claimed, given back and acked). What only an implementation can
// tell (how many WaitUpstream calls wait, what it still holds in memory of
// messages final or gone) it asks through Options; without them those
// checks are left out.
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// Option adds to what the suite can check of an implementation.
type Option func(*options)

type options struct {
	waiters   func(s store.Store) (calls, keys int)
	untracked func(t testing.TB, s store.Store)
}

// Waiters gives the suite the number of WaitUpstream calls of s that are
// waiting, and under how many keys: it waits for them instead of for a
// while, and checks that none is left once they returned.
func Waiters(fn func(s store.Store) (calls, keys int)) Option {
	return func(o *options) { o.waiters = fn }
}

// Untracked gives the suite a check that fails t if s still holds in
// memory anything of messages that are all final or purged (index
// entries, message entries, waiters).
func Untracked(fn func(t testing.TB, s store.Store)) Option {
	return func(o *options) { o.untracked = fn }
}

// test is one test of the suite: fn gets a new store of its own.
type test struct {
	name string
	fn   func(t testing.TB, s store.Store, o *options)
}

// tests are the suite, in the order Run runs them.
var tests = []test{
	{"AcceptGet", plain(testAcceptGet)},
	{"LastID", plain(testLastID)},
	{"Update", plain(testUpdate)},
	{"Upstream", plain(testUpstream)},
	{"Deliveries", plain(testDeliveries)},
	{"UpdateWithDelivery", plain(testUpdateWithDelivery)},
	{"Accounts", plain(testAccounts)},
	{"Purge", plain(testPurge)},
	{"Closed", plain(testClosed)},
	{"Concurrent", plain(testConcurrent)},
	{"Revisions", plain(testRevisions)},
	{"StaleRev", plain(testStaleRev)},
	{"NotAccepted", plain(testNotAccepted)},
	{"RaceCAS", plain(testRaceCAS)},
	{"GetNewest", plain(testGetNewest)},
	{"WaitUpstream", testWaitUpstream},
	{"ReceiptRace", testReceiptRace},
	{"RemapPurge", testRemapPurge},
	{"MapRacesFinal", testMapRacesFinal},
	{"ReceiptAfterState", plain(testReceiptAfterState)},
	{"AcceptTicket", plain(testAcceptTicket)},
	{"AcceptAsync", plain(testAcceptAsync)},
	{"UpdateWithDeliveryAsync", plain(testUpdateWithDeliveryAsync)},
	{"MapUpstreamAsync", plain(testMapUpstreamAsync)},
	{"CloseQueue", plain(testCloseQueue)},
	{"CloseDuringAccepts", plain(testCloseDuringAccepts)},
}

// plain is a test that needs no options.
func plain(fn func(t testing.TB, s store.Store)) func(testing.TB, store.Store, *options) {
	return func(t testing.TB, s store.Store, _ *options) { fn(t, s) }
}

// Run runs the suite: each test on a new, empty store from open, closed
// when the test ends (the store's Close may return store.ErrClosed then).
func Run(t *testing.T, open func(t testing.TB) store.Store, opts ...Option) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tt.fn(t, s, &o)
		})
	}
}

// fullMessage returns a message with every field set.
func fullMessage(id string) *store.Message {
	now := time.Now()
	return &store.Message{
		ID:         id,
		Account:    "acct",
		Command:    0x00000004,
		Body:       []byte("body of " + id + "\x00\xff"),
		Source:     "12345",
		Dest:       "+254700000000",
		Registered: 1,
		State:      store.Queued,
		Created:    now,
		Expires:    now.Add(48 * time.Hour),
		NextTry:    now.Add(time.Second),
		Bind:       "3.9f2c01d4.17",
	}
}

func equalMessage(a, b *store.Message) bool {
	return a.ID == b.ID && a.Account == b.Account && a.Command == b.Command &&
		bytes.Equal(a.Body, b.Body) && a.Source == b.Source && a.Dest == b.Dest &&
		a.Registered == b.Registered && a.State == b.State && a.Route == b.Route &&
		a.UpstreamID == b.UpstreamID && a.Attempts == b.Attempts && a.Error == b.Error &&
		a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires) &&
		a.NextTry.Equal(b.NextTry) && a.Done.Equal(b.Done) && a.Rev == b.Rev &&
		a.Bind == b.Bind
}

func mustGet(t testing.TB, s store.Store, id string) *store.Message {
	t.Helper()
	m, err := s.Get(id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	return m
}

// writeLifecycle runs one message through the gateway's writes of it,
// from Accept to the receipt of its final state.
func writeLifecycle(s store.Store, id, account string) error {
	m := &store.Message{ID: id, Account: account, Command: 4, Body: make([]byte, 120),
		Source: "src", Dest: "dst", Registered: 1, State: store.Queued, Created: time.Now()}
	if err := s.Accept(m); err != nil {
		return err
	}
	m.State, m.Route, m.Attempts = store.Inflight, "r1", 1
	if err := s.Update(m); err != nil {
		return err
	}
	m.State, m.UpstreamID = store.Enroute, "up-"+id
	if err := s.MapUpstream(m, "up-"+id); err != nil {
		return err
	}
	m.State, m.Done = store.Delivered, time.Now()
	return s.UpdateWithDelivery(m, &store.Delivery{Account: account, Body: make([]byte, 150), Created: time.Now()})
}

// ackedLifecycle runs one message through the gateway's write sequence
// (writeLifecycle), and then claims one of the account's deliveries and
// acks it, as a pusher would: one in, one out.
func ackedLifecycle(s store.Store, id, account string) error {
	if err := writeLifecycle(s, id, account); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := s.DeliveryQueue().Claim(ctx, account, nil, 1)
	if err != nil {
		return fmt.Errorf("claim of a delivery of %s: %w", account, err)
	}
	return cs[0].Ack()
}

// parallel runs fn(0) ... fn(workers-1) at once and fails t with the first
// error any returns.
func parallel(t testing.TB, workers int, fn func(w int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(w); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing t after 10s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
