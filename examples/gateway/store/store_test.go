package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// impls are the implementations the conformance suite runs against.
var impls = []struct {
	name string
	open func(t testing.TB) Store
}{
	{"Memory", func(testing.TB) Store { return NewMemory() }},
	{"Pebble", func(t testing.TB) Store {
		s, err := OpenPebble(t.TempDir(), PebbleOptions{CacheSize: 8 << 20, MemTableSize: 4 << 20})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"PebbleSyncInterval", func(t testing.TB) Store {
		s, err := OpenPebble(t.TempDir(), PebbleOptions{CacheSize: 8 << 20, MemTableSize: 4 << 20, SyncInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"AcceptGet", testAcceptGet},
		{"LastID", testLastID},
		{"Update", testUpdate},
		{"Upstream", testUpstream},
		{"Pending", testPending},
		{"Deliveries", testDeliveries},
		{"UpdateWithDelivery", testUpdateWithDelivery},
		{"Accounts", testAccounts},
		{"Purge", testPurge},
		{"Closed", testClosed},
		{"Concurrent", testConcurrent},
	}
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s := impl.open(t)
					defer s.Close()
					tt.fn(t, s)
				})
			}
		})
	}
}

// fullMessage returns a message with every field set.
func fullMessage(id string) *Message {
	now := time.Now()
	return &Message{
		ID:         id,
		Account:    "acct",
		Command:    0x00000004,
		Body:       []byte("body of " + id + "\x00\xff"),
		Source:     "12345",
		Dest:       "+254700000000",
		Registered: 1,
		State:      Queued,
		Route:      "",
		UpstreamID: "",
		Attempts:   0,
		Error:      0,
		Created:    now,
		Expires:    now.Add(48 * time.Hour),
		NextTry:    now.Add(time.Second),
	}
}

func equalMessage(a, b *Message) bool {
	return a.ID == b.ID && a.Account == b.Account && a.Command == b.Command &&
		bytes.Equal(a.Body, b.Body) && a.Source == b.Source && a.Dest == b.Dest &&
		a.Registered == b.Registered && a.State == b.State && a.Route == b.Route &&
		a.UpstreamID == b.UpstreamID && a.Attempts == b.Attempts && a.Error == b.Error &&
		a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires) &&
		a.NextTry.Equal(b.NextTry) && a.Done.Equal(b.Done)
}

func mustGet(t *testing.T, s Store, id string) *Message {
	t.Helper()
	m, err := s.Get(id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	return m
}

func testAcceptGet(t *testing.T, s Store) {
	m := fullMessage("a1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, "a1")
	if !equalMessage(got, m) {
		t.Fatalf("Get = %+v, want %+v", got, m)
	}
	// The store keeps its own copy.
	m.Body[0] = 'X'
	m.Dest = "changed"
	got.Body[1] = 'Y'
	if again := mustGet(t, s, "a1"); again.Body[0] != 'b' || again.Body[1] != 'o' || again.Dest != "+254700000000" {
		t.Fatalf("store shares memory with caller: %+v", again)
	}
	// Minimal message: zero times, empty body.
	if err := s.Accept(&Message{ID: "a2", State: Queued}); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "a2"); !equalMessage(got, &Message{ID: "a2", State: Queued}) || !got.Created.IsZero() {
		t.Fatalf("Get(a2) = %+v", got)
	}
	if _, err := s.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(unknown) err = %v, want ErrNotFound", err)
	}
	if err := s.Accept(&Message{}); err == nil {
		t.Fatal("Accept with empty id succeeded")
	}
}

func testUpdate(t *testing.T, s Store) {
	m := fullMessage("u1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State = Inflight
	m.Route = "r1"
	m.Attempts = 3
	m.Error = 8
	if err := s.Update(m, false); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "u1"); !equalMessage(got, m) {
		t.Fatalf("after Update: %+v, want %+v", got, m)
	}
	m.State = Delivered
	if err := s.Update(m, true); err != nil {
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
	m.State, m.Attempts, m.NextTry = Queued, 2, m.NextTry.Add(time.Minute)
	if err := s.Update(m, false); err != nil {
		t.Fatal(err)
	}
	want := accepted
	want.State, want.Attempts, want.NextTry = m.State, m.Attempts, m.NextTry
	if got := mustGet(t, s, "u2"); !equalMessage(got, &want) {
		t.Fatalf("Update stored more than the state fields: %+v, want %+v", got, &want)
	}
	if err := s.Replace(m, true); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "u2"); !equalMessage(got, m) {
		t.Fatalf("after Replace: %+v, want %+v", got, m)
	}
	m.State = Inflight
	if err := s.Update(m, false); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "u2"); !equalMessage(got, m) {
		t.Fatalf("Update after Replace: %+v, want %+v", got, m)
	}
	// A message never accepted is not there after an Update.
	if err := s.Update(fullMessage("u3"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("u3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a message only updated: %v, want ErrNotFound", err)
	}
}

func testUpstream(t *testing.T, s Store) {
	m := fullMessage("g1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.UpstreamID = Enroute, "r1", "0A1B"
	if err := s.MapUpstream(m, "a1b", false); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "g1"); !equalMessage(got, m) {
		t.Fatalf("MapUpstream did not store message: %+v", got)
	}
	m2 := fullMessage("g2")
	if err := s.Accept(m2); err != nil {
		t.Fatal(err)
	}
	m2.State, m2.Route, m2.UpstreamID = Enroute, "r2", "a1b"
	if err := s.MapUpstream(m2, "a1b", true); err != nil {
		t.Fatal(err)
	}
	// Routes whose names are prefixes of each other stay apart.
	m3 := fullMessage("g3")
	if err := s.Accept(m3); err != nil {
		t.Fatal(err)
	}
	m3.State, m3.Route, m3.UpstreamID = Enroute, "r", "1a1b"
	if err := s.MapUpstream(m3, "1a1b", true); err != nil {
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
		if _, err := s.LookupUpstream(c[0], c[1]); !errors.Is(err, ErrNotFound) {
			t.Errorf("LookupUpstream(%q, %q) err = %v, want ErrNotFound", c[0], c[1], err)
		}
	}
}

func testPending(t *testing.T, s Store) {
	states := []State{Queued, Inflight, Enroute, Delivered, Expired, Queued, Rejected, Inflight, Unknown}
	var want []string
	for i, st := range states {
		m := fullMessage(fmt.Sprintf("p%02d", i))
		if err := s.Accept(m); err != nil {
			t.Fatal(err)
		}
		m.State = st
		if err := s.Update(m, false); err != nil {
			t.Fatal(err)
		}
		if st == Queued || st == Inflight {
			want = append(want, m.ID)
		}
	}
	// A message that goes back to Queued (retry) is pending again.
	m := mustGet(t, s, "p02")
	m.State = Queued
	if err := s.Update(m, false); err != nil {
		t.Fatal(err)
	}
	want = append(want, "p02")
	slices.Sort(want)

	var got []string
	err := s.Pending(func(m *Message) bool {
		if m.State != Queued && m.State != Inflight {
			t.Errorf("Pending gave %s in state %d", m.ID, m.State)
		}
		got = append(got, m.ID)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("Pending = %v, want %v", got, want)
	}

	// Early stop, and calling back into the store from fn.
	n := 0
	err = s.Pending(func(m *Message) bool {
		n++
		m.State = Inflight
		if err := s.Update(m, false); err != nil {
			t.Error(err)
		}
		return n < 2
	})
	if err != nil || n != 2 {
		t.Fatalf("Pending early stop: n = %d, err = %v", n, err)
	}
}

func testDeliveries(t *testing.T, s Store) {
	var seqs []uint64
	created := time.Now()
	// "a" is a prefix of "ab": they must not mix.
	for i := 0; i < 10; i++ {
		acc := []string{"a", "ab"}[i%2]
		d := &Delivery{Account: acc, Body: []byte(fmt.Sprintf("%s-%d", acc, i)), Created: created}
		if err := s.AddDelivery(d, i%3 == 0); err != nil {
			t.Fatal(err)
		}
		if len(seqs) > 0 && d.Seq <= seqs[len(seqs)-1] {
			t.Fatalf("Seq %d not above previous %d", d.Seq, seqs[len(seqs)-1])
		}
		seqs = append(seqs, d.Seq)
	}
	list := func(acc string) (bodies []string) {
		t.Helper()
		var last uint64
		err := s.Deliveries(acc, 0, func(d *Delivery) bool {
			if d.Account != acc || d.Seq <= last || !d.Created.Equal(created) {
				t.Errorf("bad delivery %+v (last seq %d)", d, last)
			}
			last = d.Seq
			bodies = append(bodies, string(d.Body))
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		return bodies
	}
	if got, want := list("a"), []string{"a-0", "a-2", "a-4", "a-6", "a-8"}; !slices.Equal(got, want) {
		t.Fatalf("Deliveries(a) = %v, want %v", got, want)
	}
	if got, want := list("ab"), []string{"ab-1", "ab-3", "ab-5", "ab-7", "ab-9"}; !slices.Equal(got, want) {
		t.Fatalf("Deliveries(ab) = %v, want %v", got, want)
	}
	if got := list("b"); len(got) != 0 {
		t.Fatalf("Deliveries(b) = %v", got)
	}
	if err := s.RemoveDelivery("a", seqs[2]); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveDelivery("ab", seqs[2]); err != nil { // wrong account: no-op
		t.Fatal(err)
	}
	if err := s.RemoveDelivery("a", 1<<60); err != nil { // unknown: no-op
		t.Fatal(err)
	}
	if got, want := list("a"), []string{"a-0", "a-4", "a-6", "a-8"}; !slices.Equal(got, want) {
		t.Fatalf("after remove: Deliveries(a) = %v, want %v", got, want)
	}
	// Early stop; removing from inside fn.
	n := 0
	err := s.Deliveries("ab", 0, func(d *Delivery) bool {
		n++
		if err := s.RemoveDelivery(d.Account, d.Seq); err != nil {
			t.Error(err)
		}
		return n < 2
	})
	if err != nil || n != 2 {
		t.Fatalf("early stop: n = %d, err = %v", n, err)
	}
	if got, want := list("ab"), []string{"ab-5", "ab-7", "ab-9"}; !slices.Equal(got, want) {
		t.Fatalf("Deliveries(ab) = %v, want %v", got, want)
	}
	// From a Seq on: ab-7 has seqs[7].
	var from []string
	if err := s.Deliveries("ab", seqs[7], func(d *Delivery) bool {
		from = append(from, string(d.Body))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ab-7", "ab-9"}; !slices.Equal(from, want) {
		t.Fatalf("Deliveries(ab, from the Seq of ab-7) = %v, want %v", from, want)
	}
}

func testAccounts(t *testing.T, s Store) {
	accs := func() []string {
		t.Helper()
		a, err := s.Accounts()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if got := accs(); len(got) != 0 {
		t.Fatalf("Accounts of empty store = %v", got)
	}
	seqs := map[string][]uint64{}
	for _, acc := range []string{"zeta", "a", "alpha", "ab", "zeta", "a", "b"} {
		d := &Delivery{Account: acc, Body: []byte("x")}
		if err := s.AddDelivery(d, false); err != nil {
			t.Fatal(err)
		}
		seqs[acc] = append(seqs[acc], d.Seq)
	}
	if got, want := accs(), []string{"a", "ab", "alpha", "b", "zeta"}; !slices.Equal(got, want) {
		t.Fatalf("Accounts = %v, want %v", got, want)
	}
	for _, acc := range []string{"a", "b"} {
		for _, seq := range seqs[acc] {
			if err := s.RemoveDelivery(acc, seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.RemoveDelivery("zeta", seqs["zeta"][0]); err != nil {
		t.Fatal(err)
	}
	if got, want := accs(), []string{"ab", "alpha", "zeta"}; !slices.Equal(got, want) {
		t.Fatalf("Accounts = %v, want %v", got, want)
	}
}

func testPurge(t *testing.T, s Store) {
	base := time.Now().Add(-time.Hour)
	type msg struct {
		id    string
		state State
		done  time.Duration // offset from base; Done is zero for non-final
	}
	msgs := []msg{
		{"old1", Delivered, 0},
		{"old2", Rejected, time.Minute},
		{"new1", Expired, 30 * time.Minute},
		{"live", Enroute, 0},
		{"queued", Queued, 0},
	}
	for _, c := range msgs {
		m := fullMessage(c.id)
		if err := s.Accept(m); err != nil {
			t.Fatal(err)
		}
		m.State, m.Route, m.UpstreamID = Enroute, "r", "up-"+c.id
		if err := s.MapUpstream(m, "up-"+c.id, false); err != nil {
			t.Fatal(err)
		}
		m.State = c.state
		if c.state.Final() {
			m.Done = base.Add(c.done)
		}
		if err := s.Update(m, false); err != nil {
			t.Fatal(err)
		}
	}
	// old2's Done moves later (a second receipt): only the current Done counts.
	m := mustGet(t, s, "old2")
	m.Done = base.Add(40 * time.Minute)
	if err := s.Update(m, false); err != nil {
		t.Fatal(err)
	}
	// new1 reuses the upstream id of old1 on the same route: the index
	// entry now belongs to new1 and must survive old1's purge.
	m = mustGet(t, s, "new1")
	if err := s.MapUpstream(m, "up-old1", false); err != nil {
		t.Fatal(err)
	}

	n, err := s.Purge(base.Add(20 * time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	if _, err := s.Get("old1"); !errors.Is(err, ErrNotFound) {
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
		if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s still there: %v", id, err)
		}
	}
	for _, k := range []string{"up-old1", "up-old2", "up-new1"} {
		if _, err := s.LookupUpstream("r", k); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LookupUpstream(%s) err = %v, want ErrNotFound", k, err)
		}
	}
	mustGet(t, s, "live")
	mustGet(t, s, "queued")
	if n, err := s.Purge(time.Now().Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("third Purge = %d, %v; want 0", n, err)
	}
}

func testClosed(t *testing.T, s Store) {
	if err := s.Accept(fullMessage("c1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("c1"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v, want ErrClosed", err)
	}
	if err := s.Accept(fullMessage("c2")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Accept after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v, want ErrClosed", err)
	}
}

// lifecycle runs one message through the gateway's write sequence.
func lifecycle(s Store, id, account string) error {
	m := &Message{ID: id, Account: account, Command: 4, Body: make([]byte, 120),
		Source: "src", Dest: "dst", Registered: 1, State: Queued, Created: time.Now()}
	if err := s.Accept(m); err != nil {
		return err
	}
	m.State, m.Route, m.Attempts = Inflight, "r1", 1
	if err := s.Update(m, true); err != nil {
		return err
	}
	m.State, m.UpstreamID = Enroute, "up-"+id
	if err := s.MapUpstream(m, "up-"+id, false); err != nil {
		return err
	}
	m.State, m.Done = Delivered, time.Now()
	d := &Delivery{Account: account, Body: make([]byte, 150), Created: time.Now()}
	if err := s.UpdateWithDelivery(m, d, true); err != nil {
		return err
	}
	return s.RemoveDelivery(account, d.Seq)
}

// parallel runs fn(0) ... fn(workers-1) at once and fails t with the first
// error any returns.
func parallel(t *testing.T, workers int, fn func(w int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(w); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func testConcurrent(t *testing.T, s Store) {
	const workers, per = 16, 50
	parallel(t, workers, func(w int) error {
		acc := fmt.Sprintf("acct%d", w%4)
		for i := 0; i < per; i++ {
			id := fmt.Sprintf("w%02d-%04d", w, i)
			if err := lifecycle(s, id, acc); err != nil {
				return err
			}
			// Leave one delivery per message queued for the check below.
			if err := s.AddDelivery(&Delivery{Account: acc, Body: []byte(id)}, false); err != nil {
				return err
			}
			if got, err := s.LookupUpstream("r1", "up-"+id); err != nil || got != id {
				return fmt.Errorf("LookupUpstream(%s) = %q, %v", id, got, err)
			}
			if _, err := s.Accounts(); err != nil {
				return err
			}
		}
		return nil
	})
	total := 0
	for a := 0; a < 4; a++ {
		var last uint64
		err := s.Deliveries(fmt.Sprintf("acct%d", a), 0, func(d *Delivery) bool {
			if d.Seq <= last {
				t.Errorf("out of order: %d after %d", d.Seq, last)
			}
			last = d.Seq
			total++
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if total != workers*per {
		t.Fatalf("%d deliveries queued, want %d", total, workers*per)
	}
	if err := s.Pending(func(m *Message) bool { t.Errorf("pending: %s", m.ID); return true }); err != nil {
		t.Fatal(err)
	}
	n, err := s.Purge(time.Now().Add(time.Second))
	if err != nil || n != workers*per {
		t.Fatalf("Purge = %d, %v; want %d", n, err, workers*per)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	ms := []*Message{
		fullMessage("x"),
		{ID: "y", State: Unknown},
		{ID: "z", Command: 0xffffffff, Attempts: -3, Body: bytes.Repeat([]byte{0xff}, 70000),
			Created: time.Unix(0, 0), Expires: time.Date(3000, 1, 2, 3, 4, 5, 999999999, time.UTC),
			NextTry: time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC), Done: time.Unix(-1, 5),
			Route: "route", UpstreamID: "UP", Registered: 0x11, Error: 0xfe, State: Rejected},
	}
	for _, m := range ms {
		b := appendMessage(nil, m)
		got, err := decodeMessage(b)
		if err != nil {
			t.Fatalf("%s: %v", m.ID, err)
		}
		if !equalMessage(got, m) {
			t.Fatalf("round trip: got %+v, want %+v", got, m)
		}
		// Trailing bytes (fields of a later version) are ignored.
		if got, err := decodeMessage(append(b, 1, 2, 3)); err != nil || !equalMessage(got, m) {
			t.Fatalf("with trailing bytes: %v", err)
		}
		// Every truncation fails cleanly.
		for i := 0; i < len(b) && i < 200; i++ {
			if _, err := decodeMessage(b[:i]); err == nil {
				t.Fatalf("%s: truncated to %d bytes decoded", m.ID, i)
			}
		}
	}
	// State records: laid over an accepted message, they set its state
	// fields and the store's index fields, and nothing else.
	for _, m := range ms {
		st := *m
		st.upKey, st.upMore = "\x02r1key-"+m.ID, m.ID == "z"
		b := appendState(nil, &st)
		base := fullMessage("w")
		got, want := *base, *base
		if err := decodeState(b, &got); err != nil {
			t.Fatalf("%s: state: %v", m.ID, err)
		}
		want.copyState(m)
		if !equalMessage(&got, &want) || got.upKey != st.upKey || got.upMore != st.upMore {
			t.Fatalf("state round trip: got %+v, want %+v", got, want)
		}
		if err := decodeState(append(b, 9, 9), &got); err != nil {
			t.Fatalf("state with trailing bytes: %v", err)
		}
		for i := 0; i < len(b); i++ {
			if err := decodeState(b[:i], fullMessage("w")); err == nil {
				t.Fatalf("%s: state truncated to %d bytes decoded", m.ID, i)
			}
		}
	}
	if err := decodeState([]byte{99}, fullMessage("w")); err == nil {
		t.Fatal("unknown state version decoded")
	}
	d := &Delivery{Account: "a", Seq: 7, Body: []byte("deliver"), Created: time.Now()}
	got, err := decodeDelivery(appendDelivery(nil, d), "a", 7)
	if err != nil || got.Account != "a" || got.Seq != 7 || !bytes.Equal(got.Body, d.Body) || !got.Created.Equal(d.Created) {
		t.Fatalf("delivery round trip: %+v, %v", got, err)
	}
	if _, err := decodeMessage([]byte{99}); err == nil {
		t.Fatal("unknown version decoded")
	}
}

func BenchmarkCodec(b *testing.B) {
	m := fullMessage("0123456789abcdef")
	m.Body = make([]byte, 140)
	buf := appendMessage(nil, m)
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			buf = appendMessage(buf[:0], m)
		}
	})
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := decodeMessage(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func testUpdateWithDelivery(t *testing.T, s Store) {
	m := fullMessage("u1")
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State = Delivered
	d := &Delivery{Account: "acct", Body: []byte("receipt"), Created: time.Now()}
	if err := s.UpdateWithDelivery(m, d, true); err != nil {
		t.Fatal(err)
	}
	if d.Seq == 0 {
		t.Fatal("Seq not set")
	}
	got, err := s.Get("u1")
	if err != nil || got.State != Delivered || got.Done.IsZero() {
		t.Fatalf("message after UpdateWithDelivery: %v %+v", err, got)
	}
	var n int
	if err := s.Deliveries("acct", 0, func(x *Delivery) bool {
		n++
		if x.Seq != d.Seq || string(x.Body) != "receipt" {
			t.Errorf("delivery %+v", x)
		}
		return true
	}); err != nil || n != 1 {
		t.Fatalf("deliveries: %v, %d", err, n)
	}
	var pending int
	s.Pending(func(*Message) bool { pending++; return true })
	if pending != 0 {
		t.Fatalf("a delivered message is still pending")
	}
}

func testLastID(t *testing.T, s Store) {
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
