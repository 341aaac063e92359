package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// testAcceptAsync checks AcceptAsync: many at once, each told once, with
// nil, and each message then stored (Rev 1, as accepted) with its ticket;
// after Close, ErrClosed.
func testAcceptAsync(t testing.TB, s store.Store) {
	const n = 200
	ms := make([]*store.Message, n)
	done := make(chan told, n)
	for i := range ms {
		ms[i] = fullMessage(fmt.Sprintf("aa-%04d", i))
		s.AcceptAsync(ms[i], func(err error) { done <- told{i, err} })
	}
	eachTold(t, "AcceptAsync", ms, done, func(i int) {
		if got := mustGet(t, s, ms[i].ID); got.Rev != 1 || got.State != store.Queued {
			t.Fatalf("Get(%s) once AcceptAsync told nil: Rev %d, %v; want Rev 1, Queued", ms[i].ID, got.Rev, got.State)
		}
	})
	if l, err := s.Queue().Len(); err != nil || l != n {
		t.Fatalf("queue length after %d AcceptAsync = %d, %v", n, l, err)
	}
	toldAfterClose(t, s, "AcceptAsync", func(then func(error)) { s.AcceptAsync(fullMessage("aa-closed"), then) })
}

// testUpdateWithDeliveryAsync checks UpdateWithDeliveryAsync: many at once,
// each told once, with nil, and each message then in its new state with its
// delivery queued; one without a delivery (an Update); a stale revision
// told ErrConflict with nothing queued; after Close, ErrClosed.
func testUpdateWithDeliveryAsync(t testing.TB, s store.Store) {
	const n = 200
	ms := acceptN(t, s, "ua", n)
	done := make(chan told, n)
	ds := make([]*store.Delivery, n)
	for i, m := range ms {
		m.State = store.Delivered
		ds[i] = &store.Delivery{Account: "ua", Body: []byte(m.ID), Created: time.Now()}
		s.UpdateWithDeliveryAsync(m, ds[i], func(err error) { done <- told{i, err} })
	}
	eachTold(t, "UpdateWithDeliveryAsync", ms, done, func(i int) {
		id := ms[i].ID
		if got := mustGet(t, s, id); got.Rev != 2 || got.State != store.Delivered || ms[i].Rev != 2 {
			t.Fatalf("Get(%s) once UpdateWithDeliveryAsync told nil: Rev %d (m.Rev %d), %v; want Rev 2, Delivered", id, got.Rev, ms[i].Rev, got.State)
		}
		if ds[i].Seq == 0 {
			t.Fatalf("UpdateWithDeliveryAsync(%s) told nil without setting the delivery's Seq", id)
		}
	})
	if got := bodiesOf(t, s, "ua"); len(got) != n {
		t.Fatalf("%d deliveries queued by %d UpdateWithDeliveryAsync, want %d", len(got), n, n)
	}

	plain := fullMessage("ua-plain")
	if err := s.Accept(plain); err != nil {
		t.Fatal(err)
	}
	plain.State = store.Undeliverable
	told1 := make(chan error, 1)
	s.UpdateWithDeliveryAsync(plain, nil, func(err error) { told1 <- err })
	if err := <-told1; err != nil {
		t.Fatalf("UpdateWithDeliveryAsync without a delivery: %v", err)
	}
	if got := mustGet(t, s, plain.ID); got.Rev != 2 || got.State != store.Undeliverable {
		t.Fatalf("Get(%s) after UpdateWithDeliveryAsync without a delivery: Rev %d, %v; want Rev 2, Undeliverable", plain.ID, got.Rev, got.State)
	}

	stale := *ms[0]
	stale.Rev = 1
	d := &store.Delivery{Account: "ua-stale", Body: []byte("stale"), Created: time.Now()}
	conflict := make(chan error, 1)
	s.UpdateWithDeliveryAsync(&stale, d, func(err error) { conflict <- err })
	if err := <-conflict; !errors.Is(err, store.ErrConflict) {
		t.Fatalf("UpdateWithDeliveryAsync at a stale revision: %v, want ErrConflict", err)
	}
	if got := bodiesOf(t, s, "ua-stale"); len(got) != 0 {
		t.Fatalf("a refused UpdateWithDeliveryAsync queued %q", got)
	}

	m := ms[1]
	m.State = store.Expired
	toldAfterClose(t, s, "UpdateWithDeliveryAsync", func(then func(error)) {
		s.UpdateWithDeliveryAsync(m, &store.Delivery{Account: "ua", Body: []byte("closed")}, then)
	})
}

// testMapUpstreamAsync checks MapUpstreamAsync: many at once, each told
// once, with nil, each message then Enroute with its index entry; a stale
// revision told ErrConflict with no entry; after Close, ErrClosed.
func testMapUpstreamAsync(t testing.TB, s store.Store) {
	const n = 200
	ms := acceptN(t, s, "ma", n)
	done := make(chan told, n)
	for i, m := range ms {
		m.State, m.Route, m.UpstreamID = store.Enroute, "r", fmt.Sprintf("UP-%d", i)
		s.MapUpstreamAsync(m, fmt.Sprintf("up-%d", i), func(err error) { done <- told{i, err} })
	}
	eachTold(t, "MapUpstreamAsync", ms, done, func(i int) {
		id := ms[i].ID
		if got, err := s.LookupUpstream("r", fmt.Sprintf("up-%d", i)); err != nil || got != id {
			t.Fatalf("LookupUpstream once MapUpstreamAsync(%s) told nil: %q, %v", id, got, err)
		}
		if got := mustGet(t, s, id); got.Rev != 2 || got.State != store.Enroute || got.UpstreamID != ms[i].UpstreamID || ms[i].Rev != 2 {
			t.Fatalf("Get(%s) once MapUpstreamAsync told nil: %+v (m.Rev %d); want Rev 2, Enroute, %s", id, got, ms[i].Rev, ms[i].UpstreamID)
		}
	})

	stale := *ms[0]
	stale.Rev = 1
	conflict := make(chan error, 1)
	s.MapUpstreamAsync(&stale, "up-stale", func(err error) { conflict <- err })
	if err := <-conflict; !errors.Is(err, store.ErrConflict) {
		t.Fatalf("MapUpstreamAsync at a stale revision: %v, want ErrConflict", err)
	}
	if got, err := s.LookupUpstream("r", "up-stale"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused MapUpstreamAsync left an index entry: %q, %v", got, err)
	}

	toldAfterClose(t, s, "MapUpstreamAsync", func(then func(error)) { s.MapUpstreamAsync(ms[1], "up-closed", then) })
}

// told is what an async write's callback was told: the index of its
// message and the error.
type told struct {
	i   int
	err error
}

// eachTold takes n answers from done and calls check with each, failing t
// for an error or for a message told twice.
func eachTold(t testing.TB, what string, ms []*store.Message, done <-chan told, check func(i int)) {
	t.Helper()
	seen := map[int]bool{}
	for range len(ms) {
		r := <-done
		if r.err != nil {
			t.Fatalf("%s(%s): %v", what, ms[r.i].ID, r.err)
		}
		if seen[r.i] {
			t.Fatalf("%s(%s) told twice", what, ms[r.i].ID)
		}
		seen[r.i] = true
		check(r.i)
	}
}

// acceptN accepts n new messages named prefix-0000 on and returns them.
func acceptN(t testing.TB, s store.Store, prefix string, n int) []*store.Message {
	t.Helper()
	ms := make([]*store.Message, n)
	for i := range ms {
		ms[i] = fullMessage(fmt.Sprintf("%s-%04d", prefix, i))
		if err := s.Accept(ms[i]); err != nil {
			t.Fatal(err)
		}
	}
	return ms
}

// toldAfterClose closes s, then makes an async write (call, which hands
// then to it) and fails t unless it is told ErrClosed.
func toldAfterClose(t testing.TB, s store.Store, what string, call func(then func(error))) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	call(func(err error) { closed <- err })
	if err := <-closed; !errors.Is(err, store.ErrClosed) {
		t.Fatalf("%s after Close: %v, want ErrClosed", what, err)
	}
}
