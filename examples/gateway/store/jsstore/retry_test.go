package jsstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/internal/natstest"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/examples/gateway/store/jsstore"
)

// A record write whose answer is lost (stored, but its try timed out) is
// sent again; the repeat, refused because the key moved on, is told apart
// from another writer's: Accept and a compare-and-set succeed once, and the
// record is at the revision they say.
func TestWriteAnswerLost(t *testing.T) {
	s := openSingle(t)
	lost := jsstore.LoseAnswers(s, 1)
	m := message("0000000000000001", store.Queued)
	if err := s.Accept(m); err != nil {
		t.Fatalf("Accept whose first answer was lost: %v", err)
	}
	if lost() != 0 {
		t.Fatal("no answer was lost: the test did not test")
	}
	lost = jsstore.LoseAnswers(s, 1)
	m.State = store.Enroute
	if err := s.Update(m); err != nil {
		t.Fatalf("Update whose first answer was lost: %v", err)
	}
	if lost() != 0 {
		t.Fatal("no answer was lost on the update")
	}
	got, err := s.Get(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rev != 2 || got.State != store.Enroute || m.Rev != 2 {
		t.Fatalf("after Accept and Update with lost answers: stored rev %d state %v, caller's rev %d; want rev 2 ENROUTE", got.Rev, got.State, m.Rev)
	}
	// Another writer's change in between is still a conflict.
	stale := *got
	got.State = store.Delivered
	if err := s.Update(got); err != nil {
		t.Fatal(err)
	}
	stale.State = store.Undeliverable
	if err := s.Update(&stale); err != store.ErrConflict {
		t.Fatalf("a stale update: %v, want store.ErrConflict", err)
	}
}

// A MapUpstream stored with its answer lost, and followed by another
// writer's record before its try is repeated (a receipt recorded as soon
// as the index entry appeared), succeeds: its index entry is in the
// record that followed. Another writer that came first is still a conflict.
func TestMapUpstreamAnswerLostThenFollowed(t *testing.T) {
	s := openSingle(t)
	m := accepted(t, s, "0000000000000001", store.Inflight)
	var followErr error
	lost := jsstore.LoseAnswerAfter(s, func() {
		// The receipt's writer reads the record MapUpstream stored.
		r, err := s.Get(m.ID)
		if err != nil {
			followErr = err
			return
		}
		r.State = store.Delivered
		followErr = s.Update(r)
	})
	m.State, m.Route, m.UpstreamID = store.Enroute, "r", "UP1"
	if err := s.MapUpstream(m, "up1"); err != nil {
		t.Fatalf("MapUpstream stored, its answer lost, then followed: %v; want nil", err)
	}
	if !lost() || followErr != nil {
		t.Fatalf("the test did not test: answer lost %v, the following write %v", lost(), followErr)
	}
	if id, err := s.LookupUpstream("r", "up1"); err != nil || id != m.ID {
		t.Fatalf("LookupUpstream after MapUpstream = %q, %v; want %s", id, err, m.ID)
	}
	if got, err := s.Get(m.ID); err != nil || got.State != store.Delivered || got.Rev != 3 {
		t.Fatalf("record %+v, %v; want the follower's, Delivered at revision 3", got, err)
	}

	// A MapUpstream whose write another writer beat is refused as before.
	n := accepted(t, s, "0000000000000002", store.Inflight)
	other := *n
	other.State = store.Queued
	if err := s.Update(&other); err != nil {
		t.Fatal(err)
	}
	n.State, n.Route, n.UpstreamID = store.Enroute, "r", "UP2"
	if err := s.MapUpstream(n, "up2"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("MapUpstream on a revision another writer replaced: %v, want ErrConflict", err)
	}
}

// A compare-and-set stored with its answer lost, and its record rewritten
// with the same message before its try is repeated (the sweep taking a
// receipt's outbox), succeeds: the record holds its message.
func TestWriteAnswerLostThenRewritten(t *testing.T) {
	s := openSingle(t)
	m := accepted(t, s, "0000000000000001", store.Enroute)
	var takeErr error
	lost := jsstore.LoseAnswerAfter(s, func() { takeErr = jsstore.TakeOutbox(s, m.ID) })
	m.State, m.Done = store.Delivered, time.Now()
	if err := s.UpdateWithDelivery(m, &store.Delivery{Account: "acct", Body: []byte("r"), Created: time.Now()}); err != nil {
		t.Fatalf("UpdateWithDelivery stored, its answer lost, then its record rewritten: %v; want nil", err)
	}
	if !lost() || takeErr != nil {
		t.Fatalf("the test did not test: answer lost %v, the rewrite %v", lost(), takeErr)
	}
	if got, err := s.Get(m.ID); err != nil || got.State != store.Delivered || got.Rev != 2 || m.Rev != 2 {
		t.Fatalf("record %+v, %v (caller's Rev %d); want Delivered at revision 2", got, err, m.Rev)
	}
}

// A Purge whose delete of a record is stored but its answer lost counts the
// message and removes its index entry, as for the others: nothing else
// would remove the entry.
func TestPurgeAnswerLost(t *testing.T) {
	s := openSingle(t)
	ids := []string{"0000000000000001", "0000000000000002", "0000000000000003"}
	for _, id := range ids {
		m := accepted(t, s, id, store.Queued)
		m.State, m.Route, m.UpstreamID = store.Enroute, "r", "UP"+id
		if err := s.MapUpstream(m, "up"+id); err != nil {
			t.Fatal(err)
		}
		m.State, m.Done = store.Delivered, time.Now()
		if err := s.Update(m); err != nil {
			t.Fatal(err)
		}
	}
	lost := jsstore.LoseAnswers(s, 1)
	if n, err := s.Purge(time.Now().Add(time.Second)); err != nil || n != len(ids) {
		t.Fatalf("Purge with a delete's answer lost = %d, %v; want %d", n, err, len(ids))
	}
	if lost() != 0 {
		t.Fatal("no answer was lost: the test did not test")
	}
	for _, id := range ids {
		if got, err := s.LookupUpstream("r", "up"+id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("LookupUpstream of %s after Purge = %q, %v; want ErrNotFound", id, got, err)
		}
		if _, err := s.Get(id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get(%s) after Purge: %v; want ErrNotFound", id, err)
		}
	}
}

// A compare-and-set whose record is written again unchanged between its
// read and its write (the sweep taking an outbox, a write stored twice)
// is no conflict: the message did not change. A change of the message
// in between still is.
func TestRecordRewrittenBetweenReadAndWrite(t *testing.T) {
	s := openSingle(t)
	m := accepted(t, s, "0000000000000001", store.Queued)
	jsstore.Forget(s, m.ID)
	var rewriteErr error
	jsstore.AfterRead(s, func() { rewriteErr = jsstore.Rewrite(s, m.ID) })
	m.State = store.Inflight
	if err := s.Update(m); err != nil {
		t.Fatalf("Update over a record written again unchanged: %v; want nil", err)
	}
	if rewriteErr != nil {
		t.Fatalf("the test did not test: %v", rewriteErr)
	}
	if got, err := s.Get(m.ID); err != nil || got.Rev != 2 || got.State != store.Inflight || m.Rev != 2 {
		t.Fatalf("stored %+v, %v; caller's rev %d; want rev 2 INFLIGHT", got, err, m.Rev)
	}

	jsstore.Forget(s, m.ID)
	var otherErr error
	jsstore.AfterRead(s, func() {
		other, err := s.Get(m.ID)
		if err == nil {
			other.State = store.Enroute
			err = s.Update(other)
		}
		otherErr = err
	})
	m.State = store.Undeliverable
	if err := s.Update(m); err != store.ErrConflict {
		t.Fatalf("Update over a message changed since its read: %v; want store.ErrConflict", err)
	}
	if otherErr != nil {
		t.Fatalf("the test did not test: the other writer's update: %v", otherErr)
	}
}

// openSingle opens a store on a server of its own, closed with the test.
func openSingle(t *testing.T) *jsstore.Store {
	t.Helper()
	nc := natstest.Connect(t, natstest.Server(t))
	s, err := jsstore.Open(context.Background(), jsstore.Options{Conn: nc, Node: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// message is a new message of account acct in state st, valid for an hour.
func message(id string, st store.State) *store.Message {
	return &store.Message{ID: id, Account: "acct", State: st, Created: time.Now(), Expires: time.Now().Add(time.Hour)}
}

// accepted is message, accepted by s.
func accepted(t *testing.T, s store.Store, id string, st store.State) *store.Message {
	t.Helper()
	m := message(id, st)
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	return m
}
