package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cockroachdb/pebble/vfs"
)

// TestPebbleBoundedMemory: a queue far longer than MaxHeld keeps MaxHeld
// waiting tickets in memory, before and after a restart, and still hands
// them all out in order.
func TestPebbleBoundedMemory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fs := vfs.NewMem()
		db := memDB(t, fs)
		const n, held = 20000, 64
		opts := PebbleOptions{MaxHeld: held, NoSync: true}
		q := openQueue(t, db, opts)
		base := time.Now().Add(-time.Hour)
		for _, i := range rand.Perm(n) {
			if err := q.Enqueue(context.Background(), Ticket{ID: fmt.Sprint(i), Due: base.Add(time.Duration(i) * time.Millisecond)}); err != nil {
				t.Fatal(err)
			}
			if m := q.inMemory(); m > held+held/8 {
				t.Fatalf("%d tickets waiting in memory, MaxHeld %d", m, held)
			}
		}
		check := func(q *Pebble, from int) {
			for i := from; i < n; i++ {
				c := claimN(t, q, 1)[0]
				if id := c.Ticket().ID; id != fmt.Sprint(i) {
					t.Fatalf("handed out %s, want %d", id, i)
				}
				if err := c.Ack(); err != nil {
					t.Fatal(err)
				}
				if m := q.inMemory(); m > held+held/8 {
					t.Fatalf("%d tickets waiting in memory, MaxHeld %d", m, held)
				}
				if i == n/2 {
					return
				}
			}
		}
		check(q, 0)
		q.Close()
		db.Close()
		db = memDB(t, fs)
		q = openQueue(t, db, opts)
		if m := q.inMemory(); m != held {
			t.Fatalf("after a restart %d tickets in memory, want MaxHeld %d", m, held)
		}
		if l, _ := q.Len(); l != n-n/2-1 {
			t.Fatalf("after a restart Len = %d, want %d", l, n-n/2-1)
		}
		check(q, n/2+1)
		q.Close()
		db.Close()
	})
}

// TestPebbleSpillSkipsLeased: when memory starts spilling at a key below
// tickets that are leased, a refill does not read those again.
func TestPebbleSpillSkipsLeased(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := memDB(t, vfs.NewMem())
		defer db.Close()
		q := openQueue(t, db, PebbleOptions{MaxHeld: 2, Options: Options{Lease: time.Minute}})
		defer q.Close()
		ctx := context.Background()
		enq := func(ts ...Ticket) {
			for _, tk := range ts {
				if err := q.Enqueue(ctx, tk); err != nil {
					t.Fatal(err)
				}
			}
		}
		enq(Ticket{ID: "L1"}, Ticket{ID: "L2"})
		leased := claimN(t, q, 2)
		time.Sleep(time.Millisecond)
		enq(Ticket{ID: "R1"})
		// Due before every other: past MaxHeld and its slack, memory
		// keeps X1 and X2 and spills from X3 on, below the leased
		// tickets' keys.
		hourAgo := time.Now().Add(-time.Hour)
		enq(Ticket{ID: "X1", Due: hourAgo}, Ticket{ID: "X2", Due: hourAgo.Add(time.Second)}, Ticket{ID: "X3", Due: hourAgo.Add(2 * time.Second)})
		if m := q.inMemory(); m != 2 {
			t.Fatalf("%d tickets in memory, want 2", m)
		}
		got := idsOf(claimN(t, q, 4))
		if !slices.Equal(got, []string{"X1", "X2", "X3", "R1"}) {
			t.Fatalf("claimed %v, want [X1 X2 X3 R1]", got)
		}
		ctxShort, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if more, err := q.Claim(ctxShort, nil, 10); len(more) != 0 || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("claimed %v (%v) while L1 and L2 are leased", idsOf(more), err)
		}
		// Their lease ends: handed out again, once each.
		again := idsOf(claimN(t, q, 2))
		slices.Sort(again)
		if !slices.Equal(again, []string{"L1", "L2"}) {
			t.Fatalf("after the lease claimed %v", again)
		}
		for _, c := range leased {
			if err := c.Ack(); !errors.Is(err, ErrLeaseLost) {
				t.Fatalf("Ack of an ended lease: %v", err)
			}
		}
	})
}

// TestPebbleSpillStress runs enqueuers and claimers together on a queue
// that holds four tickets in memory: every ticket is handed out to one
// claimer at a time and acked once.
func TestPebbleSpillStress(t *testing.T) {
	db := memDB(t, vfs.NewMem())
	defer db.Close()
	q := openQueue(t, db, PebbleOptions{MaxHeld: 4, Options: Options{Lease: time.Hour}})
	defer q.Close()
	const enqueuers, per, claimers = 4, 1500, 4
	const n = enqueuers * per
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var held sync.Map
	var acked [n]atomic.Int32
	var done atomic.Int32
	var wg sync.WaitGroup
	for e := range enqueuers {
		wg.Go(func() {
			for i := range per {
				tk := Ticket{ID: fmt.Sprint(e*per + i)}
				if i%3 == 0 {
					tk.Due = time.Now().Add(-time.Duration(rand.IntN(1000)) * time.Millisecond)
				}
				if err := q.Enqueue(ctx, tk); err != nil {
					t.Errorf("Enqueue: %v", err)
					return
				}
			}
		})
	}
	for range claimers {
		wg.Go(func() {
			var cs []Claim
			for done.Load() < n {
				var err error
				if cs, err = q.Claim(ctx, cs[:0], 1+rand.IntN(8)); err != nil {
					if ctx.Err() == nil {
						t.Errorf("Claim: %v", err)
					}
					return
				}
				for _, c := range cs {
					id := c.Ticket().ID
					if _, busy := held.LoadOrStore(id, true); busy {
						t.Errorf("ticket %s handed out twice at once", id)
					}
					held.Delete(id)
					if rand.IntN(4) == 0 {
						if err := c.Nak(0); err != nil {
							t.Errorf("Nak: %v", err)
						}
						continue
					}
					if err := c.Ack(); err != nil {
						t.Errorf("Ack: %v", err)
					}
					var i int
					fmt.Sscan(id, &i)
					acked[i].Add(1)
					if done.Add(1) == n {
						cancel()
					}
				}
			}
		})
	}
	wg.Wait()
	for i := range acked {
		if k := acked[i].Load(); k != 1 {
			t.Errorf("ticket %d acked %d times", i, k)
		}
	}
	if l, err := q.Len(); l != 0 || err != nil {
		t.Fatalf("Len = %d, %v", l, err)
	}
}
