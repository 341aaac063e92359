package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

func testAcceptGet(t testing.TB, s store.Store) {
	m := fullMessage("a1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, "a1")
	if !equalMessage(got, m) {
		t.Fatalf("Get = %+v, want %+v", got, m)
	}
	// The store keeps its own copy of the fields; the Body, which no one
	// modifies once stored, may be shared.
	m.Dest, m.State = "changed", store.Inflight
	got.Source, got.Attempts = "changed", 5
	if again := mustGet(t, s, "a1"); again.Dest != "+254700000000" || again.State != store.Queued ||
		again.Source != "12345" || again.Attempts != 0 {
		t.Fatalf("store shares memory with caller: %+v", again)
	}
	// Minimal message: zero times, empty body.
	if err := s.Accept(&store.Message{ID: "a2", State: store.Queued}); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "a2"); !equalMessage(got, &store.Message{ID: "a2", State: store.Queued, Rev: 1}) || !got.Created.IsZero() {
		t.Fatalf("Get(a2) = %+v", got)
	}
	if _, err := s.Get("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(unknown) err = %v, want ErrNotFound", err)
	}
	if err := s.Accept(&store.Message{}); err == nil {
		t.Fatal("Accept with empty id succeeded")
	}
}

func testUpdate(t testing.TB, s store.Store) {
	m := fullMessage("u1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State = store.Inflight
	m.Route = "r1"
	m.Attempts = 3
	m.Error = 8
	if err := s.Update(m); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "u1"); !equalMessage(got, m) {
		t.Fatalf("after Update: %+v, want %+v", got, m)
	}
	m.State = store.Delivered
	if err := s.Update(m); err != nil {
		t.Fatal(err)
	}
	if m.Done.IsZero() {
		t.Fatal("Update of a final message left Done zero")
	}
	if got := mustGet(t, s, "u1"); !equalMessage(got, m) {
		t.Fatalf("after final Update: %+v, want %+v", got, m)
	}

	// Update stores the state fields only; Replace stores them all.
	m = fullMessage("u2")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	accepted := *m
	m.Body, m.Registered, m.Expires = []byte("replaced"), 0, m.Expires.Add(time.Hour)
	m.Bind = "replaced-bind"
	m.State, m.Attempts, m.NextTry = store.Queued, 2, m.NextTry.Add(time.Minute)
	if err := s.Update(m); err != nil {
		t.Fatal(err)
	}
	want := accepted
	want.State, want.Attempts, want.NextTry, want.Rev = m.State, m.Attempts, m.NextTry, m.Rev
	if got := mustGet(t, s, "u2"); !equalMessage(got, &want) {
		t.Fatalf("Update stored more than the state fields: %+v, want %+v", got, &want)
	}
	if err := s.Replace(m); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "u2"); !equalMessage(got, m) {
		t.Fatalf("after Replace: %+v, want %+v", got, m)
	}
	m.State = store.Inflight
	if err := s.Update(m); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "u2"); !equalMessage(got, m) {
		t.Fatalf("Update after Replace: %+v, want %+v", got, m)
	}
	// A message never accepted cannot be updated, and is not there after.
	if err := s.Update(fullMessage("u3")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update of a message never accepted: %v, want ErrNotFound", err)
	}
	if _, err := s.Get("u3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a message only updated: %v, want ErrNotFound", err)
	}
}

func testUpstream(t testing.TB, s store.Store) {
	m := fullMessage("g1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.UpstreamID = store.Enroute, "r1", "0A1B"
	if err := s.MapUpstream(m, "a1b"); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "g1"); !equalMessage(got, m) {
		t.Fatalf("MapUpstream did not store message: %+v", got)
	}
	m2 := fullMessage("g2")
	if err := s.Accept(m2); err != nil {
		t.Fatal(err)
	}
	m2.State, m2.Route, m2.UpstreamID = store.Enroute, "r2", "a1b"
	if err := s.MapUpstream(m2, "a1b"); err != nil {
		t.Fatal(err)
	}
	// Routes whose names are prefixes of each other stay apart.
	m3 := fullMessage("g3")
	if err := s.Accept(m3); err != nil {
		t.Fatal(err)
	}
	m3.State, m3.Route, m3.UpstreamID = store.Enroute, "r", "1a1b"
	if err := s.MapUpstream(m3, "1a1b"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ route, key, want string }{
		{"r1", "a1b", "g1"}, {"r2", "a1b", "g2"}, {"r", "1a1b", "g3"},
	} {
		id, err := s.LookupUpstream(c.route, c.key)
		if err != nil || id != c.want {
			t.Errorf("LookupUpstream(%q, %q) = %q, %v; want %q", c.route, c.key, id, err, c.want)
		}
	}
	for _, c := range [][2]string{{"r1", "A1B"}, {"r3", "a1b"}, {"r", "1a1"}, {"", "r1a1b"}} {
		if _, err := s.LookupUpstream(c[0], c[1]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LookupUpstream(%q, %q) err = %v, want ErrNotFound", c[0], c[1], err)
		}
	}
}

func testUpdateWithDelivery(t testing.TB, s store.Store) {
	m := fullMessage("u1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State = store.Delivered
	d := &store.Delivery{Account: "acct", Body: []byte("receipt"), Created: time.Now()}
	if err := s.UpdateWithDelivery(m, d); err != nil {
		t.Fatal(err)
	}
	if d.Seq == 0 {
		t.Fatal("Seq not set")
	}
	got, err := s.Get("u1")
	if err != nil || got.State != store.Delivered || got.Done.IsZero() {
		t.Fatalf("message after UpdateWithDelivery: %v %+v", err, got)
	}
	if ds := deliveriesOf(t, s, "acct"); len(ds) != 1 || ds[0].Seq != d.Seq || string(ds[0].Body) != "receipt" {
		t.Fatalf("deliveries after UpdateWithDelivery: %+v, want the receipt, Seq %d", ds, d.Seq)
	}
}

func testLastID(t testing.TB, s store.Store) {
	if id, err := s.LastID(); err != nil || id != "" {
		t.Fatalf("empty store: LastID %q, %v", id, err)
	}
	for _, id := range []string{"00000000000000b2", "00000000000000ff", "0000000000000010"} {
		if err := s.Accept(fullMessage(id)); err != nil {
			t.Fatal(err)
		}
	}
	if id, err := s.LastID(); err != nil || id != "00000000000000ff" {
		t.Fatalf("LastID %q, %v; want 00000000000000ff", id, err)
	}
}
