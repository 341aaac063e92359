package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// claimAll claims from q until it has n claims, failing t after 10s.
func claimAll(t testing.TB, q queue.Queue, n int) []queue.Claim {
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

func mustLen(t testing.TB, q queue.Queue, want int) {
	t.Helper()
	if n, err := q.Len(); err != nil || n != want {
		t.Fatalf("queue Len = %d, %v; want %d", n, err, want)
	}
}

// testAcceptTicket checks that Accept, and Accept only, puts a ticket in
// the store's queue: revision 1, due at the message's NextTry.
func testAcceptTicket(t testing.TB, s store.Store) {
	q := s.Queue()
	mustLen(t, q, 0)
	now := time.Now()
	a, b, c := fullMessage("qa"), fullMessage("qb"), fullMessage("qc")
	a.NextTry, b.NextTry, c.NextTry = now.Add(-time.Second), now.Add(-3*time.Second), time.Time{}
	for _, m := range []*store.Message{a, b, c} {
		if err := s.Accept(m); err != nil {
			t.Fatal(err)
		}
	}
	mustLen(t, q, 3)
	if err := s.Accept(&store.Message{}); err == nil {
		t.Fatal("Accept with an empty id succeeded")
	}
	// Changes of a message leave its ticket as it is.
	a.State, a.Route = store.Inflight, "r"
	if err := s.Update(a); err != nil {
		t.Fatal(err)
	}
	if err := s.Mark(a); err != nil {
		t.Fatal(err)
	}
	mustLen(t, q, 3)
	cs := claimAll(t, q, 3)
	want := []queue.Ticket{{ID: "qb", Rev: 1, Due: b.NextTry}, {ID: "qa", Rev: 1, Due: a.NextTry}, {ID: "qc", Rev: 1}}
	if got := ticketsOf(cs); !sameTickets(got, want) {
		t.Fatalf("tickets %v, want %v", got, want)
	}
	for _, c := range cs {
		if err := c.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	mustLen(t, q, 0)
}

// testCloseQueue checks that Close closes the queue: a Claim waiting
// returns, and later ones fail, with queue.ErrClosed.
func testCloseQueue(t testing.TB, s store.Store) {
	q := s.Queue()
	m := fullMessage("later")
	m.NextTry = time.Now().Add(time.Hour)
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	claimed := make(chan error, 1)
	go func() {
		_, err := q.Claim(ctx, nil, 1)
		claimed <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-claimed; !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("Claim waiting at Close: %v, want queue.ErrClosed", err)
	}
	if _, err := q.Claim(ctx, nil, 1); !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("Claim after Close: %v, want queue.ErrClosed", err)
	}
	if _, err := q.Len(); !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("Len after Close: %v, want queue.ErrClosed", err)
	}
}

// testCloseDuringAccepts closes the store while goroutines accept: every
// Accept that fails, fails with ErrClosed.
func testCloseDuringAccepts(t testing.TB, s store.Store) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				err := s.Accept(fullMessage(fmt.Sprintf("cd%d-%d", w, i)))
				if err != nil {
					if !errors.Is(err, store.ErrClosed) {
						errs <- fmt.Errorf("Accept during Close: %w, want ErrClosed", err)
					}
					return
				}
			}
		}()
	}
	time.Sleep(30 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
