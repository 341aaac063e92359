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

// TestTTL: a final record goes by itself Retention after its final write,
// and its index entry with it; a record never finished (an orphan of
// Accept's crash window) goes after its validity plus Retention.
func TestTTL(t *testing.T) {
	nc := natstest.Connect(t, natstest.Server(t))
	s, err := jsstore.Open(context.Background(), jsstore.Options{Conn: nc, Bucket: "ttl",
		Retention: time.Second, Validity: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := &store.Message{ID: "0000000000000d01", State: store.Queued}
	orphan := &store.Message{ID: "0000000000000d02", State: store.Queued}
	for _, x := range []*store.Message{m, orphan} {
		if err := s.Accept(x); err != nil {
			t.Fatal(err)
		}
	}
	m.State, m.Route, m.UpstreamID = store.Enroute, "r", "UP"
	if err := s.MapUpstream(m, "up"); err != nil {
		t.Fatal(err)
	}
	m.State = store.Delivered
	if err := s.Update(m); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	gone := func(x *store.Message) bool {
		_, err := s.Get(x.ID)
		return errors.Is(err, store.ErrNotFound)
	}
	for !gone(m) || !gone(orphan) {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("after 30 s: final record gone %v, orphan gone %v", gone(m), gone(orphan))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("both records gone %v after the final write", time.Since(start))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := s.LookupUpstream("r", "up"); errors.Is(err, store.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the index entry outlived its record by 30 s")
		}
	}
}
