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
// forgotten; a reading of the disk (the account spilled) stops before a
// delivery still in transit, so it is neither read early nor held twice.
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
	for _, s := range []*Staged{first, later} {
		if err := db.Set(s.Key, s.Value, pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	later.Done(nil)
	if cs := claimNow(t, q, "a"); len(cs) != 0 {
		t.Fatalf("claimed %d deliveries while the first is in transit (the account is read from disk up to it)", len(cs))
	}
	failed.Done(errors.New("batch failed"))
	first.Done(nil)
	cs := claimNow(t, q, "a")
	if len(cs) != 2 || string(cs[0].Delivery().Body) != "first" || string(cs[1].Delivery().Body) != "later" {
		t.Fatalf("claimed %d deliveries, want first and later", len(cs))
	}
	if cs[0].Delivery().Seq != first.Seq || cs[1].Delivery().Seq != later.Seq {
		t.Fatalf("Seqs %d, %d; staged %d, %d", cs[0].Delivery().Seq, cs[1].Delivery().Seq, first.Seq, later.Seq)
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
