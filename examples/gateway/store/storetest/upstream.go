package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// waiting waits until calls WaitUpstream calls of s wait, as
// Waiters tells, or for a while without it.
func waiting(t testing.TB, s store.Store, o *options, calls int) {
	t.Helper()
	if o.waiters == nil {
		time.Sleep(50 * time.Millisecond)
		return
	}
	waitFor(t, fmt.Sprintf("%d waiters", calls), func() bool { c, _ := o.waiters(s); return c == calls })
}

// noWaiters fails t if a WaitUpstream call is still registered, as
// Waiters tells.
func noWaiters(t testing.TB, s store.Store, o *options) {
	t.Helper()
	if o.waiters == nil {
		return
	}
	if calls, keys := o.waiters(s); calls != 0 || keys != 0 {
		t.Fatalf("%d waiters left under %d keys", calls, keys)
	}
}

// untracked fails t if s still holds anything in memory of its messages,
// as Untracked tells. Every message is final or gone.
func untracked(t testing.TB, s store.Store, o *options) {
	t.Helper()
	if o.untracked != nil {
		o.untracked(t, s)
	}
}

type waitResult struct {
	id  string
	err error
}

// waitAsync runs WaitUpstream in a goroutine and returns its result channel.
func waitAsync(ctx context.Context, s store.Store, route, key string) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		id, err := s.WaitUpstream(ctx, route, key)
		ch <- waitResult{id, err}
	}()
	return ch
}

func testWaitUpstream(t testing.TB, s store.Store, o *options) {
	// Mapped already: found at once, even with a context already ended.
	m := fullMessage("w1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.UpstreamID = store.Enroute, "r", "K1"
	if err := s.MapUpstream(m, "k1"); err != nil {
		t.Fatal(err)
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if id, err := s.WaitUpstream(ended, "r", "k1"); err != nil || id != "w1" {
		t.Fatalf("WaitUpstream of a mapped key = %q, %v; want w1", id, err)
	}

	// Mapped later, by another goroutine: every waiter of the key gets it;
	// a waiter of another key (or route) keeps waiting.
	m2 := fullMessage("w2")
	if err := s.Accept(m2); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ws []<-chan waitResult
	for range 3 {
		ws = append(ws, waitAsync(ctx, s, "r", "k2"))
	}
	otherCtx, cancelOther := context.WithCancel(ctx)
	other := waitAsync(otherCtx, s, "r2", "k2")
	waiting(t, s, o, 4)
	// A MapUpstream refused (stale Rev) wakes nobody with an answer.
	stale := *m2
	stale.Rev = 7
	stale.State, stale.Route = store.Enroute, "r"
	if err := s.MapUpstream(&stale, "k2"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale MapUpstream: %v, want ErrConflict", err)
	}
	time.Sleep(20 * time.Millisecond)
	for _, w := range append(ws, other) {
		select {
		case r := <-w:
			t.Fatalf("WaitUpstream returned %q, %v before the key was mapped", r.id, r.err)
		default:
		}
	}
	mapped := make(chan error, 1)
	go func() {
		m2.State, m2.Route, m2.UpstreamID = store.Enroute, "r", "K2"
		mapped <- s.MapUpstream(m2, "k2")
	}()
	for _, w := range ws {
		if r := <-w; r.err != nil || r.id != "w2" {
			t.Fatalf("WaitUpstream = %q, %v; want w2", r.id, r.err)
		}
	}
	if err := <-mapped; err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-other:
		t.Fatalf("WaitUpstream of another route returned %q, %v", r.id, r.err)
	case <-time.After(20 * time.Millisecond):
	}
	cancelOther()
	if r := <-other; r.err == nil || !errors.Is(r.err, store.ErrNotFound) {
		t.Fatalf("WaitUpstream at its context's end = %q, %v; want ErrNotFound", r.id, r.err)
	}

	// Never mapped: ErrNotFound when the context ends, not before.
	start := time.Now()
	short, cancelShort := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancelShort()
	if id, err := s.WaitUpstream(short, "r", "never"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("WaitUpstream of a key never mapped = %q, %v; want ErrNotFound", id, err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("WaitUpstream gave up after %v, before its context ended", d)
	}
	noWaiters(t, s, o)
}

// testReceiptRace runs the submit path (accept, send, map the upstream id)
// and the receipt path (wait for the mapping, record the receipt) of the
// same messages at once, as when a receipt overtakes the submit_sm_resp;
// then purges: nothing of the messages may be left, in memory either.
func testReceiptRace(t testing.TB, s store.Store, o *options) {
	const n = 300
	key := func(i int) string { return fmt.Sprintf("up-%04d", i) }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a replicated store under -race is slow
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { // submit path
		defer wg.Done()
		for i := range n {
			m := fullMessage(fmt.Sprintf("rr%04d", i))
			if err := s.Accept(m); err != nil {
				errs <- fmt.Errorf("submit path, Accept of %s: %w", m.ID, err)
				return
			}
			m.State, m.Route, m.Attempts = store.Inflight, "r", 1
			if err := s.Update(m); err != nil {
				errs <- fmt.Errorf("submit path, Update of %s to Inflight: %w", m.ID, err)
				return
			}
			m.State, m.UpstreamID = store.Enroute, key(i)
			if err := s.MapUpstream(m, key(i)); err != nil {
				errs <- fmt.Errorf("submit path, MapUpstream of %s: %w", m.ID, err)
				return
			}
		}
	}()
	go func() { // receipt path
		defer wg.Done()
		for i := range n {
			id, err := s.WaitUpstream(ctx, "r", key(i))
			if err != nil {
				errs <- fmt.Errorf("receipt %d: %w", i, err)
				return
			}
			for {
				m, err := s.Get(id)
				if err != nil {
					errs <- err
					return
				}
				m.State = store.Delivered
				err = s.UpdateWithDelivery(m, &store.Delivery{Account: "acct", Body: []byte(id)})
				if errors.Is(err, store.ErrConflict) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				break
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := pendingOf(t, s, "acct"); got != n {
		t.Fatalf("%d receipts queued, want %d", got, n)
	}
	if got, err := s.Purge(time.Now().Add(time.Second)); err != nil || got != n {
		t.Fatalf("Purge = %d, %v; want %d", got, err, n)
	}
	for i := range n {
		if id, err := s.LookupUpstream("r", key(i)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("LookupUpstream(%s) after Purge = %q, %v; want ErrNotFound", key(i), id, err)
		}
	}
	untracked(t, s, o)
}

// testRemapPurge maps a message twice (sent again after a failover): both
// index entries find it while it lives (a late receipt of the first send),
// and neither is left once it is purged.
func testRemapPurge(t testing.TB, s store.Store, o *options) {
	m := fullMessage("rm")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.UpstreamID = store.Enroute, "r", "A"
	if err := s.MapUpstream(m, "a"); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.UpstreamID = store.Queued, "", "" // retried elsewhere
	if err := s.Update(m); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.UpstreamID = store.Enroute, "r2", "B"
	if err := s.MapUpstream(m, "b"); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"r", "a"}, {"r2", "b"}} {
		if id, err := s.LookupUpstream(c[0], c[1]); err != nil || id != "rm" {
			t.Fatalf("LookupUpstream(%s, %s) = %q, %v; want rm", c[0], c[1], id, err)
		}
	}
	m.State = store.Delivered
	if err := s.UpdateWithDelivery(m, &store.Delivery{Account: "acct"}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	for _, c := range [][2]string{{"r", "a"}, {"r2", "b"}} {
		if id, err := s.LookupUpstream(c[0], c[1]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("LookupUpstream(%s, %s) after Purge = %q, %v; want ErrNotFound", c[0], c[1], id, err)
		}
	}
	untracked(t, s, o)
}

// testMapRacesFinal makes each message final (a receipt, by a writer that
// knows the revision to expect) the moment its MapUpstream is committed:
// once purged, nothing of them may be left, in memory either.
func testMapRacesFinal(t testing.TB, s store.Store, o *options) {
	const n = 300
	key := func(i int) string { return fmt.Sprintf("fin-%04d", i) }
	for i := range n {
		if err := s.Accept(fullMessage(key(i))); err != nil {
			t.Fatal(err)
		}
	}
	parallel(t, 2, func(w int) error {
		for i := range n {
			m := fullMessage(key(i))
			m.Rev, m.State, m.Route, m.UpstreamID = 1, store.Enroute, "r", key(i)
			if w == 0 {
				if err := s.MapUpstream(m, key(i)); err != nil {
					return err
				}
				continue
			}
			m.Rev, m.State = 2, store.Delivered
			for {
				err := s.Update(m)
				if err == nil {
					break
				}
				if !errors.Is(err, store.ErrConflict) {
					return err
				}
			}
		}
		return nil
	})
	if got, err := s.Purge(time.Now().Add(time.Second)); err != nil || got != n {
		t.Fatalf("Purge = %d, %v; want %d", got, err, n)
	}
	for i := range n {
		if id, err := s.LookupUpstream("r", key(i)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("LookupUpstream(%s) after Purge = %q, %v; want ErrNotFound", key(i), id, err)
		}
	}
	untracked(t, s, o)
}
