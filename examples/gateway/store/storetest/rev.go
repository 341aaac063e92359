package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// casOps are the compare-and-set writes of a message. do changes m in a
// way that tag tells apart from the other writers of the same message, and
// writes it; it returns the delivery it queued (UpdateWithDelivery).
var casOps = []struct {
	name string
	do   func(s store.Store, m *store.Message, tag int) (*store.Delivery, error)
}{
	{"Update", func(s store.Store, m *store.Message, tag int) (*store.Delivery, error) {
		m.State, m.Attempts = store.Inflight, tag
		return nil, s.Update(m)
	}},
	{"Mark", func(s store.Store, m *store.Message, tag int) (*store.Delivery, error) {
		m.State, m.Route, m.Attempts = store.Inflight, "r", tag
		return nil, s.Mark(m)
	}},
	{"Replace", func(s store.Store, m *store.Message, tag int) (*store.Delivery, error) {
		m.Body, m.Attempts = []byte(fmt.Sprintf("replaced %d", tag)), tag
		return nil, s.Replace(m)
	}},
	{"MapUpstream", func(s store.Store, m *store.Message, tag int) (*store.Delivery, error) {
		m.State, m.Route, m.UpstreamID, m.Attempts = store.Enroute, "r", fmt.Sprintf("UP-%d", tag), tag
		return nil, s.MapUpstream(m, upKeyOf(m.ID, tag))
	}},
	{"MapUpstreamAsync", func(s store.Store, m *store.Message, tag int) (*store.Delivery, error) {
		m.State, m.Route, m.UpstreamID, m.Attempts = store.Enroute, "r", fmt.Sprintf("UP-%d", tag), tag
		told := make(chan error, 2)
		s.MapUpstreamAsync(m, upKeyOf(m.ID, tag), func(err error) { told <- err })
		return nil, <-told
	}},
	{"UpdateWithDelivery", func(s store.Store, m *store.Message, tag int) (*store.Delivery, error) {
		m.State, m.Error, m.Attempts = store.Enroute, uint8(tag), tag
		d := &store.Delivery{Account: "acct-" + m.ID, Body: []byte(fmt.Sprintf("receipt %d", tag))}
		return d, s.UpdateWithDelivery(m, d)
	}},
	{"UpdateWithDeliveryAsync", func(s store.Store, m *store.Message, tag int) (*store.Delivery, error) {
		m.State, m.Error, m.Attempts = store.Enroute, uint8(tag), tag
		d := &store.Delivery{Account: "acct-" + m.ID, Body: []byte(fmt.Sprintf("receipt %d", tag))}
		told := make(chan error, 2)
		s.UpdateWithDeliveryAsync(m, d, func(err error) { told <- err })
		return d, <-told
	}},
}

// upKeyOf is the upstream key that casOps' MapUpstream records for tag.
func upKeyOf(id string, tag int) string { return fmt.Sprintf("up-%s-%d", id, tag) }

// nothingOf fails t if anything of casOps' refused write tagged tag of
// message id was stored: an index entry or a delivery.
func nothingOf(t testing.TB, s store.Store, id string, tag int, d *store.Delivery) {
	t.Helper()
	if _, err := s.LookupUpstream("r", upKeyOf(id, tag)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused MapUpstream of %s left an index entry: %v", id, err)
	}
	if d != nil && d.Seq != 0 {
		t.Fatalf("refused UpdateWithDelivery of %s set Seq %d", id, d.Seq)
	}
	for _, b := range bodiesOf(t, s, "acct-"+id) {
		if b == fmt.Sprintf("receipt %d", tag) {
			t.Fatalf("refused UpdateWithDelivery of %s queued its delivery", id)
		}
	}
}

// testRevisions checks that Accept stores revision 1 and that every change
// adds one, which Get returns, Mark's included.
func testRevisions(t testing.TB, s store.Store) {
	m := fullMessage("v1")
	m.Rev = 9 // whatever the caller had: a new message is revision 1
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "v1"); m.Rev != 1 || got.Rev != 1 {
		t.Fatalf("after Accept: m.Rev %d, stored Rev %d; want 1", m.Rev, got.Rev)
	}
	for i, op := range casOps {
		if _, err := op.do(s, m, i+1); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		want := uint64(i + 2)
		if m.Rev != want {
			t.Fatalf("%s: m.Rev = %d, want %d", op.name, m.Rev, want)
		}
		if got := mustGet(t, s, "v1"); !equalMessage(got, m) {
			t.Fatalf("Get after %s: %+v, want %+v", op.name, got, m)
		}
	}
	// A final message counts its changes too.
	m.State = store.Delivered
	if err := s.Update(m); err != nil || m.Rev != uint64(len(casOps)+2) {
		t.Fatalf("final Update: %v, Rev %d", err, m.Rev)
	}
	if got := mustGet(t, s, "v1"); !equalMessage(got, m) {
		t.Fatalf("Get after the final Update: %+v, want %+v", got, m)
	}
	// Each message has its own revisions.
	m2 := fullMessage("v2")
	if err := s.Accept(m2); err != nil || m2.Rev != 1 {
		t.Fatalf("Accept of a second message: %v, Rev %d", err, m2.Rev)
	}
}

// testStaleRev checks that every compare-and-set refuses a revision other
// than the stored one, changes nothing then (neither the message, nor the
// index, nor the deliveries, nor the caller's Rev), and succeeds with the
// revision read again.
func testStaleRev(t testing.TB, s store.Store) {
	for _, op := range casOps {
		id := "stale-" + op.name
		m := fullMessage(id)
		if err := s.Accept(m); err != nil {
			t.Fatal(err)
		}
		stale := *m
		m.Attempts = 1
		if err := s.Update(m); err != nil {
			t.Fatal(err)
		}
		before := mustGet(t, s, id)
		ahead := *m
		ahead.Rev += 3
		for _, c := range []*store.Message{&stale, &ahead} {
			rev := c.Rev
			d, err := op.do(s, c, 7)
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("%s with Rev %d (stored %d): %v, want ErrConflict", op.name, rev, before.Rev, err)
			}
			if c.Rev != rev {
				t.Fatalf("refused %s changed m.Rev from %d to %d", op.name, rev, c.Rev)
			}
			if got := mustGet(t, s, id); !equalMessage(got, before) {
				t.Fatalf("refused %s changed the message: %+v, want %+v", op.name, got, before)
			}
			nothingOf(t, s, id, 7, d)
		}
		fresh := mustGet(t, s, id)
		d, err := op.do(s, fresh, 8)
		if err != nil || fresh.Rev != before.Rev+1 {
			t.Fatalf("%s with the revision read again: %v, Rev %d", op.name, err, fresh.Rev)
		}
		if got := mustGet(t, s, id); !equalMessage(got, fresh) {
			t.Fatalf("after %s: %+v, want %+v", op.name, got, fresh)
		}
		if d != nil && (d.Seq == 0 || pendingOf(t, s, d.Account) != 1) {
			t.Fatalf("%s queued %d deliveries (Seq %d), want 1", op.name, pendingOf(t, s, d.Account), d.Seq)
		}
	}
}

// testNotAccepted checks that the compare-and-sets refuse a message never
// accepted, or purged, with ErrNotFound, and store nothing of it.
func testNotAccepted(t testing.TB, s store.Store) {
	gone := fullMessage("purged")
	if err := s.Accept(gone); err != nil {
		t.Fatal(err)
	}
	gone.State, gone.Done = store.Delivered, time.Now().Add(-time.Second)
	if err := s.Update(gone); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(time.Now()); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	for _, op := range casOps {
		for _, rev := range []uint64{0, 1, 2} {
			never := fullMessage("never-" + op.name)
			never.Rev = rev
			purged := *gone
			purged.Rev = rev
			for _, m := range []*store.Message{never, &purged} {
				d, err := op.do(s, m, 3)
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("%s of %s (Rev %d): %v, want ErrNotFound", op.name, m.ID, rev, err)
				}
				if _, err := s.Get(m.ID); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("Get(%s) after a refused %s: %v, want ErrNotFound", m.ID, op.name, err)
				}
				nothingOf(t, s, m.ID, 3, d)
			}
		}
	}
	if accs, err := s.DeliveryQueue().Accounts(); err != nil || len(accs) != 0 {
		t.Fatalf("Accounts = %v, %v; want none", accs, err)
	}
}

// testRaceCAS races writers that read the same revision: exactly one wins
// each round, and only the winner's write is stored.
func testRaceCAS(t testing.TB, s store.Store) {
	const writers, rounds = 12, 8
	for _, op := range casOps {
		id := "race-" + op.name
		if err := s.Accept(fullMessage(id)); err != nil {
			t.Fatal(err)
		}
		var won []string
		for r := range rounds {
			cur := mustGet(t, s, id)
			copies := make([]store.Message, writers)
			ds := make([]*store.Delivery, writers)
			errs := make([]error, writers)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for w := range writers {
				copies[w] = *cur
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					ds[w], errs[w] = op.do(s, &copies[w], r*100+w)
				}()
			}
			close(start)
			wg.Wait()
			winner := -1
			for w, err := range errs {
				switch {
				case err == nil && winner >= 0:
					t.Fatalf("%s round %d: writers %d and %d both won", op.name, r, winner, w)
				case err == nil:
					winner = w
				case !errors.Is(err, store.ErrConflict):
					t.Fatalf("%s round %d: writer %d: %v, want ErrConflict", op.name, r, w, err)
				case copies[w].Rev != cur.Rev:
					t.Fatalf("%s: a loser's Rev changed to %d", op.name, copies[w].Rev)
				}
			}
			if winner < 0 {
				t.Fatalf("%s round %d: no writer won", op.name, r)
			}
			win := &copies[winner]
			if got := mustGet(t, s, id); win.Rev != cur.Rev+1 || !equalMessage(got, win) {
				t.Fatalf("%s round %d: stored %+v, want the winner's %+v (Rev %d)", op.name, r, got, win, cur.Rev+1)
			}
			for w := range writers {
				if w == winner {
					continue
				}
				nothingOf(t, s, id, r*100+w, ds[w])
			}
			if op.name == "MapUpstream" || op.name == "MapUpstreamAsync" {
				if got, err := s.LookupUpstream("r", upKeyOf(id, r*100+winner)); err != nil || got != id {
					t.Fatalf("winner's index entry: %q, %v", got, err)
				}
			}
			if ds[winner] != nil {
				won = append(won, string(ds[winner].Body))
			}
		}
		if op.name == "UpdateWithDelivery" || op.name == "UpdateWithDeliveryAsync" {
			if got := bodiesOf(t, s, "acct-"+id); fmt.Sprint(got) != fmt.Sprint(won) {
				t.Fatalf("deliveries %q, want the winners' %q", got, won)
			}
		}
	}
}

// testGetNewest checks that Get returns the newest revision, whole (its
// fields and its Rev from the same write), to its writer at once and to
// readers racing it, whose revisions never go back.
func testGetNewest(t testing.TB, s store.Store) {
	const writes, readers = 200, 4
	m := fullMessage("n1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last uint64
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := s.Get("n1")
				switch {
				case err != nil:
				case got.Rev < last:
					err = fmt.Errorf("Get went back from Rev %d to %d", last, got.Rev)
				case got.Attempts != int(got.Rev)-1:
					err = fmt.Errorf("Get gave Rev %d with the fields of Rev %d", got.Rev, got.Attempts+1)
				}
				if err != nil {
					errs <- err
					return
				}
				last = got.Rev
			}
		}()
	}
	for i := range writes {
		// Attempts is the revision the write replaces.
		m.Attempts = int(m.Rev)
		var err error
		if i%2 == 0 {
			err = s.Mark(m)
		} else {
			err = s.Update(m)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, s, "n1"); !equalMessage(got, m) {
			t.Fatalf("Get after write %d: %+v, want %+v", i, got, m)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
