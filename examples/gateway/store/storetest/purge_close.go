package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

func testPurge(t testing.TB, s store.Store) {
	base := time.Now().Add(-time.Hour)
	type msg struct {
		id    string
		state store.State
		done  time.Duration // offset from base; Done is zero for non-final
	}
	msgs := []msg{
		{"old1", store.Delivered, 0},
		{"old2", store.Rejected, time.Minute},
		{"new1", store.Expired, 30 * time.Minute},
		{"live", store.Enroute, 0},
		{"queued", store.Queued, 0},
	}
	for _, c := range msgs {
		m := fullMessage(c.id)
		if err := s.Accept(m); err != nil {
			t.Fatal(err)
		}
		m.State, m.Route, m.UpstreamID = store.Enroute, "r", "up-"+c.id
		if err := s.MapUpstream(m, "up-"+c.id); err != nil {
			t.Fatal(err)
		}
		m.State = c.state
		if c.state.Final() {
			m.Done = base.Add(c.done)
		}
		if err := s.Update(m); err != nil {
			t.Fatal(err)
		}
	}
	// old2's Done moves later (a second receipt): only the current Done counts.
	m := mustGet(t, s, "old2")
	m.Done = base.Add(40 * time.Minute)
	if err := s.Update(m); err != nil {
		t.Fatal(err)
	}
	// new1 reuses the upstream id of old1 on the same route: the index
	// entry now belongs to new1 and must survive old1's purge.
	m = mustGet(t, s, "new1")
	if err := s.MapUpstream(m, "up-old1"); err != nil {
		t.Fatal(err)
	}

	n, err := s.Purge(base.Add(20 * time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	if _, err := s.Get("old1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old1 still there: %v", err)
	}
	for _, id := range []string{"old2", "new1", "live", "queued"} {
		mustGet(t, s, id)
	}
	if id, err := s.LookupUpstream("r", "up-old1"); err != nil || id != "new1" {
		t.Fatalf("LookupUpstream(up-old1) = %q, %v; want new1", id, err)
	}
	if id, err := s.LookupUpstream("r", "up-old2"); err != nil || id != "old2" {
		t.Fatalf("LookupUpstream(up-old2) = %q, %v", id, err)
	}
	// Done exactly at the cut-off is not before it.
	if n, err := s.Purge(base.Add(30 * time.Minute)); err != nil || n != 0 {
		t.Fatalf("Purge at new1's Done = %d, %v; want 0", n, err)
	}
	n, err = s.Purge(base.Add(2 * time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("second Purge = %d, %v; want 2", n, err)
	}
	for _, id := range []string{"old2", "new1"} {
		if _, err := s.Get(id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s still there: %v", id, err)
		}
	}
	for _, k := range []string{"up-old1", "up-old2", "up-new1"} {
		if _, err := s.LookupUpstream("r", k); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("LookupUpstream(%s) err = %v, want ErrNotFound", k, err)
		}
	}
	mustGet(t, s, "live")
	mustGet(t, s, "queued")
	if n, err := s.Purge(time.Now().Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("third Purge = %d, %v; want 0", n, err)
	}
}

func testClosed(t testing.TB, s store.Store) {
	if err := s.Accept(fullMessage("c1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("c1"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Get after Close: %v, want ErrClosed", err)
	}
	if err := s.Accept(fullMessage("c2")); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Accept after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("second Close: %v, want ErrClosed", err)
	}
}
