package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// TestPebbleMarkReopen checks that a Mark of a message held in memory is
// forgotten by a restart (the record reads as before it, revision
// included) while an Update is kept, also an Update over a Mark; and that
// nothing of a refused write reached the disk.
func TestPebbleMarkReopen(t *testing.T) {
	dir := t.TempDir()
	s := openPebble(t, dir)
	a := fullMessage("a")
	if err := s.Accept(a); err != nil {
		t.Fatal(err)
	}
	a.State, a.Route, a.Attempts = Inflight, "r1", 1
	if err := s.Update(a); err != nil {
		t.Fatal(err)
	}
	updated := *a
	a.Route, a.Attempts = "r2", 2
	if err := s.Mark(a); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "a"); a.Rev != 3 || !equalMessage(got, a) {
		t.Fatalf("Get after Mark: %+v, want %+v (Rev 3)", got, a)
	}
	b := fullMessage("b")
	if err := s.Accept(b); err != nil {
		t.Fatal(err)
	}
	b.State, b.Route = Inflight, "r1"
	if err := s.Mark(b); err != nil {
		t.Fatal(err)
	}
	b.State, b.UpstreamID = Enroute, "B"
	if err := s.Update(b); err != nil || b.Rev != 3 {
		t.Fatalf("Update after Mark: %v, Rev %d", err, b.Rev)
	}
	c := fullMessage("c")
	if err := s.Accept(c); err != nil {
		t.Fatal(err)
	}
	stale := *c
	stale.Rev, stale.State, stale.Route = 4, Enroute, "r1"
	if err := s.MapUpstream(&stale, "c-up"); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale MapUpstream: %v", err)
	}
	if err := s.UpdateWithDelivery(&stale, &Delivery{Account: "acct"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale UpdateWithDelivery: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openPebble(t, dir)
	defer s.Close()
	if got := mustGet(t, s, "a"); !equalMessage(got, &updated) {
		t.Fatalf("a after reopen: %+v, want the Update's %+v (Rev 2)", got, &updated)
	}
	if got := mustGet(t, s, "b"); !equalMessage(got, b) {
		t.Fatalf("b after reopen: %+v, want %+v", got, b)
	}
	if got := mustGet(t, s, "c"); !equalMessage(got, c) {
		t.Fatalf("c after reopen: %+v, want %+v", got, c)
	}
	if _, err := s.LookupUpstream("r1", "c-up"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("index entry of a refused MapUpstream after reopen: %v", err)
	}
	if accs, err := s.DeliveryQueue().Accounts(); err != nil || len(accs) != 0 {
		t.Fatalf("deliveries of a refused UpdateWithDelivery after reopen: %v, %v", accs, err)
	}
	// The revision forgotten is the next one again.
	updated.Attempts = 7
	if err := s.Mark(&updated); err != nil || updated.Rev != 3 {
		t.Fatalf("Mark after reopen: %v, Rev %d", err, updated.Rev)
	}
}

// TestPebbleTicketsReopen checks that the tickets not acked (leased or
// not) are handed out again after a restart, as Accept made them.
func TestPebbleTicketsReopen(t *testing.T) {
	dir := t.TempDir()
	s := openPebble(t, dir)
	now := time.Now()
	var ms []*Message
	for i, id := range []string{"t1", "t2", "t3"} {
		m := fullMessage(id)
		m.NextTry = now.Add(time.Duration(i-3) * time.Second)
		if err := s.Accept(m); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	cs := claimAll(t, s.Queue(), 2)
	if got := ticketsOf(cs); got[0].ID != "t1" || got[1].ID != "t2" {
		t.Fatalf("claimed %v", got)
	}
	if err := cs[0].Ack(); err != nil {
		t.Fatal(err)
	}
	ms[1].State = Inflight // t2 is on its way; its ticket is not changed
	if err := s.Update(ms[1]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openPebble(t, dir)
	defer s.Close()
	mustLen(t, s.Queue(), 2)
	want := []queue.Ticket{{ID: "t2", Rev: 1, Due: ms[1].NextTry}, {ID: "t3", Rev: 1, Due: ms[2].NextTry}}
	if got := ticketsOf(claimAll(t, s.Queue(), 2)); !sameTickets(got, want) {
		t.Fatalf("tickets after reopen %v, want %v", got, want)
	}
}

// TestPebbleMigratePending writes a DB as a version before the queue left
// it (records without revisions, a 'p' key for each Queued or Inflight
// message) and checks that opening it gives those messages tickets, once,
// and removes the 'p' keys.
func TestPebbleMigratePending(t *testing.T) {
	dir := t.TempDir()
	s := openPebble(t, dir)
	b := s.db.NewBatch()
	old := func(m *Message, state State, pending bool) {
		m.Bind = "" // nor binds
		rec := appendMessage(nil, m)
		rec = rec[:len(rec)-bindLen(m.Bind)]
		b.Set(appendMsgKey(nil, kindMessage, m.ID), rec[:len(rec)-revLen(m.Rev)], nil)
		if state != m.State {
			st := *m
			st.State = state
			rec := appendState(nil, &st, &meta{})
			b.Set(appendMsgKey(nil, kindState, m.ID), rec[:len(rec)-revLen(m.Rev)], nil)
		}
		if pending {
			b.Set(appendMsgKey(nil, kindPending, m.ID), nil, nil)
		}
	}
	old(fullMessage("mq"), Queued, true)
	old(fullMessage("mi"), Inflight, true)
	old(fullMessage("me"), Enroute, true) // a stale 'p' key: no ticket
	old(fullMessage("md"), Delivered, false)
	b.Set(appendMsgKey(nil, kindPending, "gone"), nil, nil) // no message
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	pendingKeys := func(s *Pebble) int {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{kindPending}, UpperBound: []byte{kindPending + 1}})
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		n := 0
		for it.First(); it.Valid(); it.Next() {
			n++
		}
		return n
	}
	ids := func(cs []queue.Claim) []string {
		var ids []string
		for _, c := range cs {
			if tk := c.Ticket(); tk.Rev != 1 || !tk.Due.IsZero() {
				t.Errorf("migrated ticket %+v, want Rev 1, due at once", tk)
			}
			ids = append(ids, c.Ticket().ID)
		}
		slices.Sort(ids)
		return ids
	}
	for round := range 2 { // the second open finds nothing more to migrate
		s = openPebble(t, dir)
		if n := pendingKeys(s); n != 0 {
			t.Fatalf("round %d: %d 'p' keys left", round, n)
		}
		mustLen(t, s.Queue(), 2)
		if got := ids(claimAll(t, s.Queue(), 2)); !slices.Equal(got, []string{"mi", "mq"}) {
			t.Fatalf("round %d: tickets of %v, want mi and mq", round, got)
		}
		if m := mustGet(t, s, "mi"); m.State != Inflight || m.Rev != 1 {
			t.Fatalf("mi: state %d Rev %d, want Inflight, Rev 1", m.State, m.Rev)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPebbleTrackerBound runs messages beyond the tracker's bound: the
// ones not held are read from disk, their Marks written, their index
// entries found on disk, and the bound is kept.
func TestPebbleTrackerBound(t *testing.T) {
	defer func(n int64) { maxTracked = n }(maxTracked)
	maxTracked = 2
	dir := t.TempDir()
	s := openPebble(t, dir)
	var ms []*Message
	for _, id := range []string{"b0", "b1", "b2", "b3"} {
		m := fullMessage(id)
		if err := s.Accept(m); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	held := func() int64 { return s.track.n.Load() }
	if n := held(); n != 2 || s.track.get("b0") == nil || s.track.get("b2") != nil {
		t.Fatalf("tracker holds %d (b0 %v, b2 %v); want b0 and b1", n, s.track.get("b0") != nil, s.track.get("b2") != nil)
	}
	for _, m := range ms {
		m.State, m.Route, m.Attempts = Inflight, "r", 1
		if err := s.Update(m); err != nil {
			t.Fatal(err)
		}
		m.Attempts = 2
		if err := s.Mark(m); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, s, m.ID); got.Rev != 3 || !equalMessage(got, m) {
			t.Fatalf("%s: %+v, want %+v", m.ID, got, m)
		}
	}
	// b2 is not held: its index entry is read from disk, and its waiter
	// woken all the same.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w := waitAsync(ctx, s, "r", "up-b2")
	waitFor(t, "the waiter", func() bool { c, _ := waiting(s); return c == 1 })
	ms[2].State, ms[2].UpstreamID = Enroute, "UP-B2"
	if err := s.MapUpstream(ms[2], "up-b2"); err != nil {
		t.Fatal(err)
	}
	if r := <-w; r.err != nil || r.id != "b2" {
		t.Fatalf("WaitUpstream = %q, %v; want b2", r.id, r.err)
	}
	if _, ok := s.track.lookup("r", "up-b2"); ok {
		t.Fatal("the tracker holds the index entry of a message it does not hold")
	}
	if n := held(); n != 2 {
		t.Fatalf("tracker holds %d, bound 2", n)
	}
	// A message made final leaves room for another.
	ms[0].State = Delivered
	if err := s.Update(ms[0]); err != nil {
		t.Fatal(err)
	}
	if n := held(); n != 1 {
		t.Fatalf("tracker holds %d after b0 is final, want 1", n)
	}
	ms[3].Attempts = 3
	if err := s.Update(ms[3]); err != nil {
		t.Fatal(err)
	}
	if n := held(); n != 2 || s.track.get("b3") == nil {
		t.Fatalf("tracker holds %d (b3 %v); want b3 held", held(), s.track.get("b3") != nil)
	}
	// A Mark of a message not held is written, of one held is not.
	for _, m := range ms[2:] {
		m.Attempts = 9
		if err := s.Mark(m); err != nil || m.Rev != 5 {
			t.Fatalf("Mark of %s: %v, Rev %d", m.ID, err, m.Rev)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The last Marks of b1 and b3 (held then) are forgotten, b2's (not
	// held) is kept.
	s = openPebble(t, dir)
	for i, rev := range []uint64{4, 2, 5, 4} {
		if got := mustGet(t, s, ms[i].ID); got.Rev != rev {
			t.Fatalf("%s after reopen: Rev %d, want %d", ms[i].ID, got.Rev, rev)
		}
	}
	for _, m := range ms[1:] {
		m, err := s.Get(m.ID)
		if err != nil {
			t.Fatal(err)
		}
		m.State = Expired
		if err := s.Update(m); err != nil {
			t.Fatal(err)
		}
	}
	untracked(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPebbleAcceptFull checks that an Accept refused by a full queue
// stores nothing: no record, no ticket, nothing held in memory.
func TestPebbleAcceptFull(t *testing.T) {
	s := openPebbleWith(t, t.TempDir(), PebbleOptions{Queue: queue.PebbleOptions{Options: queue.Options{MaxLen: 2}}})
	defer s.Close()
	for _, id := range []string{"f1", "f2"} {
		m := fullMessage(id)
		m.NextTry = time.Time{}
		if err := s.Accept(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Accept(fullMessage("f3")); !errors.Is(err, queue.ErrFull) {
		t.Fatalf("Accept into a full queue: %v, want queue.ErrFull", err)
	}
	if _, err := s.Get("f3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a refused Accept: %v, want ErrNotFound", err)
	}
	if id, err := s.LastID(); err != nil || id != "f2" {
		t.Fatalf("LastID = %q, %v; want f2", id, err)
	}
	if n := s.track.n.Load(); n != 2 || s.track.get("f3") != nil {
		t.Fatalf("tracker holds %d (f3 %v) after a refused Accept", n, s.track.get("f3") != nil)
	}
	mustLen(t, s.Queue(), 2)
	cs := claimAll(t, s.Queue(), 1)
	if err := cs[0].Ack(); err != nil {
		t.Fatal(err)
	}
	if err := s.Accept(fullMessage("f3")); err != nil {
		t.Fatalf("Accept once there is room: %v", err)
	}
	mustLen(t, s.Queue(), 2)
}
