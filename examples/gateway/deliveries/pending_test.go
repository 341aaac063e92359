package deliveries

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// The count behind Pending: exact through adds, claims, naks, lease ends,
// acks and removes, counted at open from the disk, and never read from it.

// remover is a Queue with Remove: both single-node queues.
type remover interface {
	Queue
	Remove(account string, seq uint64) error
}

func addN(t *testing.T, q Queue, account string, n int) []uint64 {
	t.Helper()
	seqs := make([]uint64, n)
	for i := range seqs {
		d := &Delivery{Account: account, Body: fmt.Appendf(nil, "%s%d", account, i)}
		if err := q.Add(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		seqs[i] = d.Seq
	}
	return seqs
}

func wantPending(t *testing.T, q Queue, account string, want int) {
	t.Helper()
	if n, err := q.Pending(account); err != nil || n != want {
		t.Fatalf("Pending(%s) = %d, %v; want %d", account, n, err, want)
	}
}

// claimWait claims up to n of the account's deliveries, waiting for the
// first as long as it takes (a lease to end).
func claimWait(t *testing.T, q Queue, account string, n int) []Claim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := q.Claim(ctx, account, nil, n)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestPendingCounts runs the count through every change, on Memory and on
// Pebble with most deliveries spilled to disk (MaxHeld 4), where a remove
// may name a delivery on disk only.
func TestPendingCounts(t *testing.T) {
	for _, v := range []struct {
		name string
		open func(t *testing.T) remover
	}{
		{"Memory", func(*testing.T) remover { return NewMemory(Options{Lease: 50 * time.Millisecond}) }},
		{"Pebble", func(t *testing.T) remover {
			q, err := OpenPebble(openTestDB(t), PebbleOptions{Options: Options{Lease: 50 * time.Millisecond}, MaxHeld: 4})
			if err != nil {
				t.Fatal(err)
			}
			return q
		}},
	} {
		t.Run(v.name, func(t *testing.T) {
			q := v.open(t)
			defer q.Close()
			wantPending(t, q, "a", 0)
			seqs := addN(t, q, "a", 20)
			addN(t, q, "b", 3)
			wantPending(t, q, "a", 20)
			wantPending(t, q, "b", 3)

			cs := claimWait(t, q, "a", 3)
			if len(cs) != 3 {
				t.Fatalf("claimed %d, want 3", len(cs))
			}
			wantPending(t, q, "a", 20) // leased still pending
			if err := cs[0].Nak(0); err != nil {
				t.Fatal(err)
			}
			wantPending(t, q, "a", 20)
			if err := cs[1].Ack(); err != nil {
				t.Fatal(err)
			}
			wantPending(t, q, "a", 19)
			// A lost lease's ack changes nothing.
			if err := cs[1].Ack(); !errors.Is(err, ErrLeaseLost) {
				t.Fatalf("second Ack: %v", err)
			}
			wantPending(t, q, "a", 19)

			// cs[2]'s lease ends: handed out again, still counted once.
			for again := false; !again; {
				for _, c := range claimWait(t, q, "a", 20) {
					again = again || c.Delivery().Seq == cs[2].Delivery().Seq
					if err := c.Nak(time.Hour); err != nil {
						t.Fatal(err)
					}
				}
			}
			wantPending(t, q, "a", 19)

			// Removes: a leased one (its claim loses it), one never read
			// from disk (the last), the acked one, one twice, an unknown.
			if err := q.Remove("a", cs[2].Delivery().Seq); err != nil {
				t.Fatal(err)
			}
			wantPending(t, q, "a", 18)
			for _, seq := range []uint64{seqs[19], seqs[19], cs[1].Delivery().Seq, 1 << 40} {
				if err := q.Remove("a", seq); err != nil {
					t.Fatal(err)
				}
				wantPending(t, q, "a", 17)
			}
			if err := q.Remove("nobody", seqs[0]); err != nil {
				t.Fatal(err)
			}
			wantPending(t, q, "nobody", 0)
			wantPending(t, q, "b", 3)
		})
	}
}

// TestPebblePendingCountedAtOpen: the deliveries left on disk at Close are
// counted when the queue opens again, the acked ones not.
func TestPebblePendingCountedAtOpen(t *testing.T) {
	db := openTestDB(t)
	q, err := OpenPebble(db, PebbleOptions{MaxHeld: 4})
	if err != nil {
		t.Fatal(err)
	}
	addN(t, q, "a", 10)
	addN(t, q, "bb", 1)
	cs := claimWait(t, q, "a", 2)
	for _, c := range cs {
		if err := c.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if q, err = OpenPebble(db, PebbleOptions{MaxHeld: 4}); err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	wantPending(t, q, "a", 8)
	wantPending(t, q, "bb", 1)
	wantPending(t, q, "c", 0)
	// The count goes on from there: all handed out and acked, none left.
	for n := 8; n > 0; {
		for _, c := range claimWait(t, q, "a", n) {
			if err := c.Ack(); err != nil {
				t.Fatal(err)
			}
			n--
		}
	}
	wantPending(t, q, "a", 0)
}

// TestPebblePendingReadsNoDisk: Pending answers from memory. The
// account's deliveries are deleted from the DB behind the queue's back, so
// that a reading of the disk would find none; the count does not move.
func TestPebblePendingReadsNoDisk(t *testing.T) {
	db := openTestDB(t)
	q, err := OpenPebble(db, PebbleOptions{MaxHeld: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	addN(t, q, "a", 100) // 96 on disk only
	wantPending(t, q, "a", 100)
	prefix := appendPrefix(nil, q.c.prefix, "a")
	if err := db.DeleteRange(prefix, prefixEnd(prefix), nil); err != nil {
		t.Fatal(err)
	}
	wantPending(t, q, "a", 100)
}
