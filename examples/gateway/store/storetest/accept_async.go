package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// testAcceptAsync checks AcceptAsync: many at once, each told once, with
// nil, and each message then stored (Rev 1, as accepted) with its ticket;
// after Close, ErrClosed.
func testAcceptAsync(t testing.TB, s store.Store) {
	const n = 200
	type told struct {
		id  string
		err error
	}
	done := make(chan told, n)
	for i := range n {
		m := fullMessage(fmt.Sprintf("aa-%04d", i))
		s.AcceptAsync(m, func(err error) { done <- told{m.ID, err} })
	}
	seen := map[string]bool{}
	for range n {
		r := <-done
		if r.err != nil {
			t.Fatalf("AcceptAsync(%s): %v", r.id, r.err)
		}
		if seen[r.id] {
			t.Fatalf("AcceptAsync(%s) told twice", r.id)
		}
		seen[r.id] = true
		if got := mustGet(t, s, r.id); got.Rev != 1 || got.State != store.Queued {
			t.Fatalf("Get(%s) once AcceptAsync told nil: Rev %d, %v; want Rev 1, Queued", r.id, got.Rev, got.State)
		}
	}
	if l, err := s.Queue().Len(); err != nil || l != n {
		t.Fatalf("queue length after %d AcceptAsync = %d, %v", n, l, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	s.AcceptAsync(fullMessage("aa-closed"), func(err error) { closed <- err })
	if err := <-closed; !errors.Is(err, store.ErrClosed) {
		t.Fatalf("AcceptAsync after Close: %v, want ErrClosed", err)
	}
}
