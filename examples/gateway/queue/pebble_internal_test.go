package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

type quietLog struct{}

func (quietLog) Infof(string, ...any)           {}
func (quietLog) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

func memDB(t testing.TB, fs vfs.FS) *pebble.DB {
	t.Helper()
	cache := pebble.NewCache(8 << 20)
	defer cache.Unref()
	db, err := pebble.Open("", &pebble.Options{FS: fs, Cache: cache, MemTableSize: 4 << 20, Logger: quietLog{}})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func openQueue(t testing.TB, db *pebble.DB, opts PebbleOptions) *Pebble {
	t.Helper()
	q, err := OpenPebble(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func claimN(t testing.TB, q Queue, n int) []Claim {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var cs []Claim
	for len(cs) < n {
		var err error
		if cs, err = q.Claim(ctx, cs, n-len(cs)); err != nil {
			t.Fatalf("claimed %d of %d: %v", len(cs), n, err)
		}
	}
	return cs
}

func idsOf(cs []Claim) []string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Ticket().ID)
	}
	return s
}

// inMemory returns how many waiting tickets the queue holds in memory.
func (q *Pebble) inMemory() int {
	q.c.mu.Lock()
	defer q.c.mu.Unlock()
	return q.c.ready.Len()
}

// TestPebbleStage: a ticket staged into a writer's batch is handed out
// once the batch is committed and Done, survives a restart with it, and is
// forgotten when the commit failed.
func TestPebbleStage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fs := vfs.NewMem()
		db := memDB(t, fs)
		q := openQueue(t, db, PebbleOptions{})
		s, err := q.Stage(Ticket{ID: "s1", Rev: 4})
		if err != nil {
			t.Fatal(err)
		}
		b := db.NewBatch()
		b.Set([]byte("record/s1"), []byte("the message"), nil)
		b.Set(s.AppendKey(nil), s.AppendValue(nil), nil)
		// Not handed out before the writer says it is committed.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if cs, _ := q.Claim(ctx, nil, 1); len(cs) != 0 {
			t.Fatal("a staged ticket was handed out before Done")
		}
		cancel()
		if err := b.Commit(pebble.Sync); err != nil {
			t.Fatal(err)
		}
		b.Close()
		s.Done(nil)
		s.Done(errors.New("a second call does nothing"))
		cs := claimN(t, q, 1)
		if tk := cs[0].Ticket(); tk.ID != "s1" || tk.Rev != 4 {
			t.Fatalf("claimed %+v", tk)
		}
		// A staged ticket whose batch failed is forgotten.
		s2, err := q.Stage(Ticket{ID: "s2"})
		if err != nil {
			t.Fatal(err)
		}
		s2.Done(errors.New("commit failed"))
		if l, _ := q.Len(); l != 1 {
			t.Fatalf("Len = %d, want 1", l)
		}
		// Close waits for a staged ticket's Done.
		s3, err := q.Stage(Ticket{ID: "s3"})
		if err != nil {
			t.Fatal(err)
		}
		closed := make(chan struct{})
		go func() {
			q.Close()
			close(closed)
		}()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned while a ticket was staged")
		default:
		}
		if err := db.Set(s3.AppendKey(nil), s3.AppendValue(nil), pebble.Sync); err != nil {
			t.Fatal(err)
		}
		s3.Done(nil)
		<-closed
		db.Close()
		db = memDB(t, fs)
		defer db.Close()
		q = openQueue(t, db, PebbleOptions{})
		defer q.Close()
		got := idsOf(claimN(t, q, 2))
		if !slices.Equal(got, []string{"s1", "s3"}) {
			t.Fatalf("after a restart claimed %v, want [s1 s3]", got)
		}
	})
}

// TestPebbleCrash: after a crash (the disk keeps only what was synced)
// every ticket enqueued and not acked is there; acks and naks of the last
// moments may be lost, which hands a ticket out again.
func TestPebbleCrash(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		t.Run(fmt.Sprint("NoSync=", noSync), func(t *testing.T) {
			fs := vfs.NewStrictMem()
			db := memDB(t, fs)
			opts := PebbleOptions{NoSync: noSync}
			q := openQueue(t, db, opts)
			ctx := context.Background()
			const n = 200
			for i := range n {
				if err := q.Enqueue(ctx, Ticket{ID: fmt.Sprint(i), Rev: uint64(i)}); err != nil {
					t.Fatal(err)
				}
			}
			if noSync {
				// The state's synced write that follows the tickets.
				if err := db.Set([]byte("record"), nil, pebble.Sync); err != nil {
					t.Fatal(err)
				}
			}
			acked := map[string]bool{}
			for i, c := range claimN(t, q, n/2) {
				switch i % 3 {
				case 0:
					if err := c.Ack(); err != nil {
						t.Fatal(err)
					}
					acked[c.Ticket().ID] = true
				case 1:
					if err := c.Nak(time.Hour); err != nil {
						t.Fatal(err)
					}
				}
			}
			// The crash: nothing more reaches the disk.
			fs.SetIgnoreSyncs(true)
			q.Close()
			db.Close()
			fs.ResetToSyncedState()
			fs.SetIgnoreSyncs(false)
			db = memDB(t, fs)
			defer db.Close()
			q = openQueue(t, db, opts)
			defer q.Close()
			l, err := q.Len()
			if err != nil {
				t.Fatal(err)
			}
			// Naked for an hour, or acked with the ack lost: maybe not due.
			found := map[string]bool{}
			ctxShort, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			for len(found) < l {
				cs, err := q.Claim(ctxShort, nil, n)
				if err != nil {
					break
				}
				for _, c := range cs {
					if found[c.Ticket().ID] {
						t.Fatalf("%s handed out twice", c.Ticket().ID)
					}
					found[c.Ticket().ID] = true
				}
			}
			for i := range n {
				id := fmt.Sprint(i)
				if !acked[id] && !found[id] && !(i < n/2 && i%3 == 1) {
					t.Errorf("ticket %s not acked and gone after a crash", id)
				}
			}
			if l < n-len(acked) {
				t.Errorf("Len = %d after a crash, want at least %d", l, n-len(acked))
			}
		})
	}
}

// TestPebbleFarDue: due times beyond what Unix nanoseconds hold are kept in
// order.
func TestPebbleFarDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := memDB(t, vfs.NewMem())
		defer db.Close()
		q := openQueue(t, db, PebbleOptions{})
		defer q.Close()
		ctx := context.Background()
		for _, tk := range []Ticket{
			{ID: "y3000", Due: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
			{ID: "now"},
			{ID: "y1000", Due: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)},
		} {
			if err := q.Enqueue(ctx, tk); err != nil {
				t.Fatal(err)
			}
		}
		got := idsOf(claimN(t, q, 2))
		if !slices.Equal(got, []string{"y1000", "now"}) {
			t.Fatalf("claimed %v, want [y1000 now]", got)
		}
		if l, _ := q.Len(); l != 3 {
			t.Fatalf("Len = %d", l)
		}
	})
}

// TestPebbleCorrupt: a ticket that does not decode fails the open.
func TestPebbleCorrupt(t *testing.T) {
	for name, kv := range map[string][2]string{
		"key":   {"qt\x00short", "\x01"},
		"value": {"qt" + string(make([]byte, 16)), "\x09garbage"},
	} {
		t.Run(name, func(t *testing.T) {
			db := memDB(t, vfs.NewMem())
			defer db.Close()
			if err := db.Set([]byte(kv[0]), []byte(kv[1]), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenPebble(db, PebbleOptions{}); !errors.Is(err, errCorrupt) {
				t.Fatalf("OpenPebble: %v, want errCorrupt", err)
			}
		})
	}
}

func TestHeapShrink(t *testing.T) {
	for range 200 {
		n := 2 + rand.IntN(300)
		var h entryHeap
		var keys []key
		for _, i := range rand.Perm(n) {
			k := key{At: int64(i / 3), Seq: uint64(i)}
			keys = append(keys, k)
			h.Push(&entry{Key: k})
		}
		slices.SortFunc(keys, func(a, b key) int {
			if a.Less(b) {
				return -1
			}
			return 1
		})
		keep := rand.IntN(n)
		cut := h.Shrink(keep, stGone)
		if cut != keys[keep] || h.Len() != keep {
			t.Fatalf("shrink(%d) of %d: cut %v, want %v; %d left", keep, n, cut, keys[keep], h.Len())
		}
		for i := range keep {
			if e := h.Pop(); e.Key != keys[i] {
				t.Fatalf("after shrink popped %v, want %v", e.Key, keys[i])
			}
		}
	}
}

func TestCodecRoundTrip(t *testing.T) {
	c := newCore(Options{})
	c.prefix = []byte("p")
	for _, e := range []*entry{
		{Val: ticket{id: "a"}, Key: key{At: -5, Seq: 1}},
		{Val: ticket{id: "0123456789abcdef-12", rev: 1 << 40, due: -1 << 62, hasDue: true, deliv: 7}, Key: key{At: 1 << 62, Seq: 1 << 63}},
	} {
		k, ok := c.decodeKey(c.appendKey(nil, e.Key))
		if !ok || k != e.Key {
			t.Fatalf("key %+v came back %+v", e.Key, k)
		}
		got, err := decodeEntry(e.Key, appendValue(nil, e))
		if err != nil {
			t.Fatal(err)
		}
		if got.Val.id != e.Val.id || got.Val.rev != e.Val.rev || got.Val.due != e.Val.due || got.Val.hasDue != e.Val.hasDue || got.Val.deliv != e.Val.deliv || got.Key != e.Key {
			t.Fatalf("entry %+v came back %+v", e, got)
		}
		if n := len(appendValue(nil, e)); n > valueLen(e) {
			t.Fatalf("value of %d bytes, valueLen %d", n, valueLen(e))
		}
	}
	// Key order is due order, negative times included.
	a, b := c.appendKey(nil, key{At: -1, Seq: 9}), c.appendKey(nil, key{At: 1, Seq: 0})
	if string(a) >= string(b) {
		t.Fatal("a key due earlier sorts after")
	}
}
