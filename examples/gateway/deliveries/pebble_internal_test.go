package deliveries

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

func openTestDB(t *testing.T) *pebble.DB {
	t.Helper()
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func claimNow(t *testing.T, q Queue, account string) []Claim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	cs, err := q.Claim(ctx, account, nil, 100)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	return cs
}

// TestStageInWritersBatch: a staged delivery is handed out only once its
// writer's batch is committed and Done; one whose batch failed is
// forgotten; a reading of the disk (the account spilled) skips a delivery
// still in transit, which comes at its Done: neither read early nor held
// twice.
func TestStageInWritersBatch(t *testing.T) {
	db := openTestDB(t)
	q, err := OpenPebble(db, PebbleOptions{SeqKey: []byte("s"), MaxHeld: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	first, err := q.Stage(&Delivery{Account: "a", Body: []byte("first")})
	if err != nil {
		t.Fatal(err)
	}
	failed, err := q.Stage(&Delivery{Account: "a", Body: []byte("failed")})
	if err != nil {
		t.Fatal(err)
	}
	later, err := q.Stage(&Delivery{Account: "a", Body: []byte("later")})
	if err != nil {
		t.Fatal(err)
	}
	// later is committed and done; first is committed, not done yet.
	for _, s := range []*Staged{&first, &later} {
		if err := db.Set(s.Key, s.Value, pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	later.Done(nil)
	cs := claimNow(t, q, "a")
	if len(cs) != 1 || string(cs[0].Delivery().Body) != "later" || cs[0].Delivery().Seq != later.Seq {
		t.Fatalf("claimed %d deliveries while the first is in transit, want later alone (the reading skips it)", len(cs))
	}
	failed.Done(errors.New("batch failed"))
	first.Done(nil)
	cs = append(cs, claimNow(t, q, "a")...)
	if len(cs) != 2 || string(cs[1].Delivery().Body) != "first" || cs[1].Delivery().Seq != first.Seq {
		t.Fatalf("claimed %d deliveries, want later then first, once each", len(cs))
	}
	if more := claimNow(t, q, "a"); len(more) != 0 {
		t.Fatalf("then claimed %d more", len(more))
	}
	for _, c := range cs {
		if err := c.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := q.Pending("a"); err != nil || n != 0 {
		t.Fatalf("Pending = %d, %v", n, err)
	}
	// The counter is where SeqKey says, and nothing else is left.
	it, err := db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if string(it.Key()) != "s" {
			t.Errorf("key %q left", it.Key())
		}
	}
}

// TestFlushAckedRetry: when the timed removal of acked deliveries from disk
// fails, it is tried again on its own (no reading of the disk, no Close
// needed), and the acked delivery leaves the disk; meanwhile it is not
// handed out again.
func TestFlushAckedRetry(t *testing.T) {
	db := openTestDB(t)
	q, err := OpenPebble(db, PebbleOptions{SeqKey: []byte("s")})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	d := &Delivery{Account: "a", Body: []byte("receipt")}
	if err := q.Add(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	key := appendKey(nil, q.c.prefix, "a", d.Seq)
	failures := make(chan struct{}, 1)
	q.c.mu.Lock()
	calls := 0
	q.c.failRemoval = func() error { // under c.mu
		calls++
		if calls == 1 {
			failures <- struct{}{}
			return errors.New("injected: removal failed")
		}
		return nil
	}
	q.c.mu.Unlock()
	cs := claimNow(t, q, "a")
	if len(cs) != 1 {
		t.Fatalf("claimed %d deliveries, want 1", len(cs))
	}
	if err := cs[0].Ack(); err != nil {
		t.Fatal(err)
	}
	<-failures // the timed removal ran and failed
	// A deadline for the test, not a measure: the retry comes after
	// ackDelay (5 ms).
	deadline := time.Now().Add(30 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("the acked delivery is still on disk 30 s after its removal failed: no retry")
		}
		_, closer, err := db.Get(key)
		if errors.Is(err, pebble.ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := closer.Close(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	q.c.mu.Lock()
	n := calls
	q.c.mu.Unlock()
	if n < 2 {
		t.Fatalf("the removal ran %d times, want a retry after the failure", n)
	}
	if cs := claimNow(t, q, "a"); len(cs) != 0 {
		t.Fatalf("an acked delivery handed out again: %d claimed", len(cs))
	}
}
