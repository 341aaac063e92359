package store

import (
	"bytes"
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
		{"Deliveries", testDeliveries},
		{"UpdateWithDelivery", testUpdateWithDelivery},
		{"Accounts", testAccounts},
		{"Purge", testPurge},
		{"Closed", testClosed},
		{"Concurrent", testConcurrent},
		{"Revisions", testRevisions},
		{"StaleRev", testStaleRev},
		{"NotAccepted", testNotAccepted},
		{"RaceCAS", testRaceCAS},
		{"GetNewest", testGetNewest},
		{"WaitUpstream", testWaitUpstream},
		{"ReceiptRace", testReceiptRace},
		{"RemapPurge", testRemapPurge},
		{"MapRacesFinal", testMapRacesFinal},
		{"AcceptTicket", testAcceptTicket},
		{"CloseQueue", testCloseQueue},
		{"CloseDuringAccepts", testCloseDuringAccepts},
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
		a.NextTry.Equal(b.NextTry) && a.Done.Equal(b.Done) && a.Rev == b.Rev
}

func mustGet(t *testing.T, s Store, id string) *Message {
	t.Helper()
	m, err := s.Get(id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	return m
}

// writeLifecycle runs one message through the gateway's writes of it,
// from Accept to the receipt of its final state.
func writeLifecycle(s Store, id, account string) error {
	_, err := writeLifecycleDelivery(s, id, account)
	return err
}

// writeLifecycleDelivery is writeLifecycle, returning the receipt queued.
func writeLifecycleDelivery(s Store, id, account string) (*Delivery, error) {
	m := &Message{ID: id, Account: account, Command: 4, Body: make([]byte, 120),
		Source: "src", Dest: "dst", Registered: 1, State: Queued, Created: time.Now()}
	if err := s.Accept(m); err != nil {
		return nil, err
	}
	m.State, m.Route, m.Attempts = Inflight, "r1", 1
	if err := s.Update(m); err != nil {
		return nil, err
	}
	m.State, m.UpstreamID = Enroute, "up-"+id
	if err := s.MapUpstream(m, "up-"+id); err != nil {
		return nil, err
	}
	m.State, m.Done = Delivered, time.Now()
	d := &Delivery{Account: account, Body: make([]byte, 150), Created: time.Now()}
	return d, s.UpdateWithDelivery(m, d)
}

// lifecycle runs one message through the gateway's write sequence, and
// removes its receipt (as the ESME's ack would).
func lifecycle(s Store, id, account string) error {
	d, err := writeLifecycleDelivery(s, id, account)
	if err != nil {
		return err
	}
	return dropDelivery(s, account, d.Seq)
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
