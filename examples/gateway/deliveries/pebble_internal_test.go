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
