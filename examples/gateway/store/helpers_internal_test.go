package store

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// The helpers of the internal tests (the conformance suite, which has its
// own, is in package storetest: see store_test.go).

// impls are the stores of this package, for the internal tests that run
// on both.
var impls = []struct {
	name string
	open func(t testing.TB) Store
}{
	{"Memory", func(testing.TB) Store { return NewMemory() }},
	{"Pebble", func(t testing.TB) Store { return openPebble(t, t.TempDir()) }},
}

// fullMessage returns a message with every field set.
func fullMessage(id string) *Message {
	now := time.Now()
	return &Message{
		ID:         id,
		Account:    "acct",
		Command:    0x00000004,
		Body:       []byte("body of " + id + "\x00\xff"),
		Source:     "12345",
		Dest:       "+254700000000",
		Registered: 1,
		State:      Queued,
		Route:      "",
		UpstreamID: "",
		Attempts:   0,
		Error:      0,
		Created:    now,
		Expires:    now.Add(48 * time.Hour),
		NextTry:    now.Add(time.Second),
		Bind:       "3.9f2c01d4.17",
	}
}

func equalMessage(a, b *Message) bool {
	return a.ID == b.ID && a.Account == b.Account && a.Command == b.Command &&
		bytes.Equal(a.Body, b.Body) && a.Source == b.Source && a.Dest == b.Dest &&
		a.Registered == b.Registered && a.State == b.State && a.Route == b.Route &&
		a.UpstreamID == b.UpstreamID && a.Attempts == b.Attempts && a.Error == b.Error &&
		a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires) &&
		a.NextTry.Equal(b.NextTry) && a.Done.Equal(b.Done) && a.Rev == b.Rev &&
		a.Bind == b.Bind
}

func mustGet(t *testing.T, s Store, id string) *Message {
	t.Helper()
	m, err := s.Get(id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	return m
}

// lifecycle runs one message through the gateway's write sequence, from
// Accept to the receipt of its final state, and removes the receipt (as
// the ESME's ack would).
func lifecycle(s Store, id, account string) error {
	d, err := writeLifecycle(s, id, account)
	if err != nil {
		return err
	}
	return dropDelivery(s, account, d.Seq)
}

// writeLifecycle is lifecycle's writes, up to the receipt queued.
func writeLifecycle(s Store, id, account string) (*Delivery, error) {
	m := &Message{ID: id, Account: account, Command: 4, Body: make([]byte, 120),
		Source: "src", Dest: "dst", Registered: 1, State: Queued, Created: time.Now()}
	if err := s.Accept(m); err != nil {
		return nil, err
	}
	m.State, m.Route, m.Attempts = Inflight, "r1", 1
	if err := s.Update(m); err != nil {
		return nil, err
	}
	m.State, m.UpstreamID = Enroute, "up-"+id
	if err := s.MapUpstream(m, "up-"+id); err != nil {
		return nil, err
	}
	m.State, m.Done = Delivered, time.Now()
	d := &Delivery{Account: account, Body: make([]byte, 150), Created: time.Now()}
	return d, s.UpdateWithDelivery(m, d)
}

// parallel runs fn(0) ... fn(workers-1) at once and fails t with the first
// error any returns.
func parallel(t *testing.T, workers int, fn func(w int) error) {
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

// claimAll claims from q until it has n claims, failing t after 10s.
func claimAll(t *testing.T, q queue.Queue, n int) []queue.Claim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cs []queue.Claim
	for len(cs) < n {
		var err error
		if cs, err = q.Claim(ctx, cs, n-len(cs)); err != nil {
			t.Fatalf("Claim after %d of %d tickets: %v", len(cs), n, err)
		}
	}
	return cs
}

// ticketsOf returns the tickets of cs.
func ticketsOf(cs []queue.Claim) []queue.Ticket {
	ts := make([]queue.Ticket, len(cs))
	for i, c := range cs {
		ts[i] = c.Ticket()
	}
	return ts
}

// sameTickets compares tickets, their due times as instants.
func sameTickets(a, b []queue.Ticket) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Rev != b[i].Rev || !a[i].Due.Equal(b[i].Due) {
			return false
		}
	}
	return true
}

func mustLen(t *testing.T, q queue.Queue, want int) {
	t.Helper()
	if n, err := q.Len(); err != nil || n != want {
		t.Fatalf("queue Len = %d, %v; want %d", n, err, want)
	}
}

// trackerOf returns the tracker of a store of this package (Memory keeps
// one for its waiters only).
func trackerOf(s Store) *tracker {
	switch s := s.(type) {
	case *Memory:
		return s.waits
	case *Pebble:
		return s.track
	}
	return nil
}

// waiting returns how many WaitUpstream calls are registered, and under
// how many keys.
func waiting(s Store) (calls, keys int) {
	tr := trackerOf(s)
	tr.upMu.Lock()
	defer tr.upMu.Unlock()
	for _, ws := range tr.waiters {
		calls += len(ws)
	}
	return calls, len(tr.waiters)
}

// untracked fails t if the tracker still holds anything: index entries,
// message entries, or a count of them. Every message is final or gone.
func untracked(t testing.TB, s Store) {
	t.Helper()
	tr := trackerOf(s)
	if calls, keys := waiting(s); calls != 0 || keys != 0 {
		t.Fatalf("%d waiters left under %d keys", calls, keys)
	}
	tr.upMu.Lock()
	ups := len(tr.ups)
	tr.upMu.Unlock()
	entries := 0
	for i := range tr.shards {
		sh := &tr.shards[i]
		sh.mu.Lock()
		entries += len(sh.m)
		sh.mu.Unlock()
	}
	if ups != 0 || entries != 0 || tr.n.Load() != 0 {
		t.Fatalf("tracker holds %d index entries, %d message entries, n = %d; want none", ups, entries, tr.n.Load())
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

type waitResult struct {
	id  string
	err error
}

// waitAsync runs WaitUpstream in a goroutine and returns its result channel.
func waitAsync(ctx context.Context, s Store, route, key string) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		id, err := s.WaitUpstream(ctx, route, key)
		ch <- waitResult{id, err}
	}()
	return ch
}
