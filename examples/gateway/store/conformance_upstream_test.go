package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

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
func untracked(t *testing.T, s Store) {
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
func waitFor(t *testing.T, what string, cond func() bool) {
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

func testWaitUpstream(t *testing.T, s Store) {
	// Mapped already: found at once, even with a context already ended.
	m := fullMessage("w1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.UpstreamID = Enroute, "r", "K1"
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
	waitFor(t, "4 waiters", func() bool { c, _ := waiting(s); return c == 4 })
	// A MapUpstream refused (stale Rev) wakes nobody with an answer.
	stale := *m2
	stale.Rev = 7
	stale.State, stale.Route = Enroute, "r"
	if err := s.MapUpstream(&stale, "k2"); !errors.Is(err, ErrConflict) {
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
		m2.State, m2.Route, m2.UpstreamID = Enroute, "r", "K2"
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
	if r := <-other; r.err == nil || !errors.Is(r.err, ErrNotFound) {
		t.Fatalf("WaitUpstream at its context's end = %q, %v; want ErrNotFound", r.id, r.err)
	}

	// Never mapped: ErrNotFound when the context ends, not before.
	start := time.Now()
	short, cancelShort := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancelShort()
	if id, err := s.WaitUpstream(short, "r", "never"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("WaitUpstream of a key never mapped = %q, %v; want ErrNotFound", id, err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("WaitUpstream gave up after %v, before its context ended", d)
	}
	if calls, keys := waiting(s); calls != 0 || keys != 0 {
		t.Fatalf("%d waiters left under %d keys", calls, keys)
	}
}

// testReceiptRace runs the submit path (accept, send, map the upstream id)
// and the receipt path (wait for the mapping, record the receipt) of the
// same messages at once, as when a receipt overtakes the submit_sm_resp;
// then purges: nothing of the messages may be left, in memory either.
func testReceiptRace(t *testing.T, s Store) {
	const n = 300
	key := func(i int) string { return fmt.Sprintf("up-%04d", i) }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { // submit path
		defer wg.Done()
		for i := range n {
			m := fullMessage(fmt.Sprintf("rr%04d", i))
			if err := s.Accept(m); err != nil {
				errs <- err
				return
			}
			m.State, m.Route, m.Attempts = Inflight, "r", 1
			if err := s.Update(m); err != nil {
				errs <- err
				return
			}
			m.State, m.UpstreamID = Enroute, key(i)
			if err := s.MapUpstream(m, key(i)); err != nil {
				errs <- err
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
				m.State = Delivered
				err = s.UpdateWithDelivery(m, &Delivery{Account: "acct", Body: []byte(id)})
				if errors.Is(err, ErrConflict) {
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
		if id, err := s.LookupUpstream("r", key(i)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LookupUpstream(%s) after Purge = %q, %v; want ErrNotFound", key(i), id, err)
		}
	}
	untracked(t, s)
}

// testRemapPurge maps a message twice (sent again after a failover): both
// index entries find it while it lives (a late receipt of the first send),
// and neither is left once it is purged.
func testRemapPurge(t *testing.T, s Store) {
	m := fullMessage("rm")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.UpstreamID = Enroute, "r", "A"
	if err := s.MapUpstream(m, "a"); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.UpstreamID = Queued, "", "" // retried elsewhere
	if err := s.Update(m); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.UpstreamID = Enroute, "r2", "B"
	if err := s.MapUpstream(m, "b"); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"r", "a"}, {"r2", "b"}} {
		if id, err := s.LookupUpstream(c[0], c[1]); err != nil || id != "rm" {
			t.Fatalf("LookupUpstream(%s, %s) = %q, %v; want rm", c[0], c[1], id, err)
		}
	}
	m.State = Delivered
	if err := s.UpdateWithDelivery(m, &Delivery{Account: "acct"}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	for _, c := range [][2]string{{"r", "a"}, {"r2", "b"}} {
		if id, err := s.LookupUpstream(c[0], c[1]); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LookupUpstream(%s, %s) after Purge = %q, %v; want ErrNotFound", c[0], c[1], id, err)
		}
	}
	untracked(t, s)
}

// testMapRacesFinal makes each message final (a receipt, by a writer that
// knows the revision to expect) the moment its MapUpstream is committed:
// once purged, nothing of them may be left, in memory either.
func testMapRacesFinal(t *testing.T, s Store) {
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
			m.Rev, m.State, m.Route, m.UpstreamID = 1, Enroute, "r", key(i)
			if w == 0 {
				if err := s.MapUpstream(m, key(i)); err != nil {
					return err
				}
				continue
			}
			m.Rev, m.State = 2, Delivered
			for {
				err := s.Update(m)
				if err == nil {
					break
				}
				if !errors.Is(err, ErrConflict) {
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
		if id, err := s.LookupUpstream("r", key(i)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LookupUpstream(%s) after Purge = %q, %v; want ErrNotFound", key(i), id, err)
		}
	}
	untracked(t, s)
}
