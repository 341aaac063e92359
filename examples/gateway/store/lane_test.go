package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"
)

// A group is committed as if its writes were committed one after the other
// in the order given: a key written by two writes of a group keeps the later
// value, whatever the key order of the batch.
func TestLaneGroupOrder(t *testing.T) {
	s := openPebble(t, t.TempDir())
	defer s.Close()
	l := s.synced
	w1, w2, w3 := getWrite(), getWrite(), getWrite()
	w1.add(entrySet, []byte("k2"), []byte("first"))
	w1.add(entrySet, []byte("k1"), []byte("one"))
	w1.add(entrySet, []byte("k3"), []byte("three"))
	w2.add(entrySet, []byte("k2"), []byte("second"))
	w2.add(entryDelete, []byte("k3"), nil)
	w2.add(entrySet, []byte("k4"), []byte("four"))
	w3.add(entrySingleDelete, []byte("k4"), nil)
	w3.add(entrySet, []byte("k0"), []byte("zero"))
	if err := l.apply([]*write{w1, w2, w3}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"k0": "zero", "k1": "one", "k2": "second"}
	for _, k := range []string{"k0", "k1", "k2", "k3", "k4"} {
		v, closer, err := s.db.Get([]byte(k))
		switch {
		case errors.Is(err, pebble.ErrNotFound):
			if w, ok := want[k]; ok {
				t.Errorf("%s: not found, want %q", k, w)
			}
		case err != nil:
			t.Fatal(err)
		default:
			if string(v) != want[k] {
				t.Errorf("%s = %q, want %q", k, v, want[k])
			}
			closer.Close()
		}
	}
}

// Writers on both lanes at once: every write is committed once, and each
// writer's own writes of one key keep their order.
func TestLaneConcurrent(t *testing.T) {
	s := openPebble(t, t.TempDir())
	defer s.Close()
	const writers, per = 16, 200
	parallel(t, writers, func(g int) error {
		for i := range per {
			w := getWrite()
			w.add(entrySet, []byte(fmt.Sprintf("k%02d-%04d", g, i)), []byte("v"))
			w.add(entrySet, []byte(fmt.Sprintf("last%02d", g)), []byte(fmt.Sprint(i)))
			if err := s.commit(w, i%3 == 0); err != nil {
				return err
			}
		}
		return nil
	})
	if n := keysFrom(t, s, "k", "l"); n != writers*per {
		t.Fatalf("%d keys, want %d", n, writers*per)
	}
	for g := range writers {
		v, closer, err := s.db.Get([]byte(fmt.Sprintf("last%02d", g)))
		if err != nil {
			t.Fatal(err)
		}
		if string(v) != fmt.Sprint(per-1) {
			t.Errorf("writer %d's last value = %s, want %d", g, v, per-1)
		}
		closer.Close()
	}
}

// Writers waiting (commit) and writes handed over (commitAsync; commitNoWait
// in the lane without sync) in one lane
// at once: every write is committed once and told once, each async write
// only after its entries are in the DB, and a group led by either kind
// hands the lane on to the other. In "joined", half the async writes are
// those of writeAsync without sync: they join the synced lane while a group
// is being committed, and are committed without sync otherwise.
func TestLaneAsync(t *testing.T) {
	for _, mode := range []string{"synced", "unsynced", "joined"} {
		t.Run(mode, func(t *testing.T) { testLaneAsync(t, mode) })
	}
}

func testLaneAsync(t *testing.T, mode string) {
	s := openPebble(t, t.TempDir())
	defer s.Close()
	sync := mode != "unsynced"
	l, async := s.synced, func(_ int, w *write) { s.synced.commitAsync(w) }
	switch mode {
	case "unsynced":
		l, async = s.unsynced, func(_ int, w *write) { s.unsynced.commitNoWait(w) }
	case "joined":
		async = func(g int, w *write) {
			if g%4 == 1 {
				s.synced.commitAsync(w)
			} else if !s.synced.join(w) {
				s.unsynced.commitNoWait(w)
			}
		}
	}
	const writers, per = 8, 200
	told := make(chan string, writers*per)
	parallel(t, writers, func(g int) error {
		for i := range per {
			key := fmt.Sprintf("k%02d-%04d", g, i)
			w := getWrite()
			w.add(entrySet, []byte(key), []byte("v"))
			if g%2 == 0 {
				if err := s.commit(w, sync); err != nil {
					return err
				}
				continue
			}
			w.then = thenFunc(func(err error) {
				putWrite(w)
				if err == nil {
					if _, closer, gerr := s.db.Get([]byte(key)); gerr != nil {
						err = fmt.Errorf("%s told committed but not in the DB: %w", key, gerr)
					} else {
						err = closer.Close()
					}
				}
				if err != nil {
					t.Error(err)
				}
				told <- key
			})
			async(g, w)
		}
		return nil
	})
	seen := map[string]bool{}
	for range writers / 2 * per {
		k := <-told
		if seen[k] {
			t.Fatalf("%s told twice", k)
		}
		seen[k] = true
	}
	if n := keysFrom(t, s, "k", "l"); n != writers*per {
		t.Fatalf("%d keys, want %d", n, writers*per)
	}
	if !sync {
		// An idle lane without sync: the caller commits its write itself,
		// and is told before commitNoWait returns.
		w := getWrite()
		w.add(entrySet, []byte("idle"), []byte("v"))
		var idle error = errors.New("not told")
		w.then = thenFunc(func(err error) { idle = err })
		l.commitNoWait(w)
		if idle != nil {
			t.Fatalf("commitNoWait on an idle lane: told %v before it returned, want nil", idle)
		}
	}
	// The goroutines that led groups of their own end with the store.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if leaders() > 0 {
		t.Fatal("a goroutine leading lane groups is still running after Close")
	}
}

// A goroutine that led a group nobody waited for leads the next ones too:
// one after the other, a thousand groups take a few goroutines, not one
// each.
func TestLaneLeadersReused(t *testing.T) {
	s := openPebble(t, t.TempDir())
	defer s.Close()
	const groups = 1000
	told := make(chan error)
	for i := range groups {
		w := getWrite()
		w.add(entrySet, []byte(fmt.Sprintf("k%04d", i)), []byte("v"))
		w.then = thenFunc(func(err error) { told <- err })
		s.synced.commitAsync(w)
		if err := <-told; err != nil {
			t.Fatal(err)
		}
		putWrite(w)
	}
	// Leaders park until Close: one started per group would all be here.
	if n := leaders(); n > groups/10 {
		t.Fatalf("%d leader goroutines for %d groups one after the other, want a few", n, groups)
	}
}

// order puts a group's entries in key order, each key's entries in their
// place's order, as a sort of the whole group would.
func TestLaneOrder(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var l lane
	for round := range 200 {
		var refs []entryRef
		for n := range rnd.IntN(300) {
			// Few kinds and few keys: runs of one kind, keys written twice,
			// runs in order and out of it, and now and then an empty key.
			key := []byte(fmt.Sprintf("%c%03d", "dfmqtu"[rnd.IntN(6)], rnd.IntN(50)))
			if round%2 == 0 {
				key = []byte(fmt.Sprintf("%c%03d", "dfmqtu"[n%6], n/6)) // each kind ascending
			}
			if rnd.IntN(100) == 0 {
				key = nil
			}
			refs = append(refs, entryRef{key: key, n: n})
		}
		want := slices.Clone(refs)
		slices.SortStableFunc(want, func(a, b entryRef) int { return bytes.Compare(a.key, b.key) })
		got := l.order(slices.Clone(refs))
		if !slices.EqualFunc(got, want, func(a, b entryRef) bool { return bytes.Equal(a.key, b.key) && a.n == b.n }) {
			t.Fatalf("round %d: order gave %v, want %v", round, got, want)
		}
	}
}

// A write joins a synced group only while one is being committed: it is
// then committed with the next group and told by its leader; on an idle
// lane join leaves it to the caller.
func TestLaneJoin(t *testing.T) {
	s := openPebble(t, t.TempDir())
	defer s.Close()
	l := s.synced
	idle := getWrite()
	if l.join(idle) {
		t.Fatal("join on an idle lane queued the write")
	}
	putWrite(idle)

	l.mu.Lock()
	l.leading = true // a group is being committed
	l.mu.Unlock()
	w := getWrite()
	w.add(entrySet, []byte("joined"), []byte("v"))
	told := make(chan error, 1)
	w.then = thenFunc(func(err error) { told <- err })
	if !l.join(w) {
		t.Fatal("join while a group is being committed: not queued")
	}
	select {
	case err := <-told:
		t.Fatalf("told %v before the next group was committed", err)
	default:
	}
	if n := keysFrom(t, s, "joined", "joinee"); n != 0 {
		t.Fatalf("the joined write is in the DB before the next group was committed (%d keys)", n)
	}
	l.leadAlone() // the group being committed hands the lane on to the next
	if err := <-told; err != nil {
		t.Fatal(err)
	}
	if n := keysFrom(t, s, "joined", "joinee"); n != 1 {
		t.Fatalf("%d keys after the joined write was told, want 1", n)
	}
	putWrite(w)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leading || len(l.queue) > 0 {
		t.Fatalf("lane after the group: leading %v, %d queued; want idle and empty", l.leading, len(l.queue))
	}
}

// The synced lane waits its interval after a sync before the next group:
// the writes that arrive meanwhile are committed together, in one group
// (one log write, one sync), and none before the interval has passed.
func TestLaneSyncInterval(t *testing.T) {
	const interval = time.Second
	s := openPebbleWith(t, t.TempDir(), PebbleOptions{SyncInterval: interval})
	defer s.Close()
	l := s.synced
	first := getWrite()
	first.add(entrySet, []byte("first"), []byte("v"))
	if err := s.commit(first, true); err != nil {
		t.Fatal(err)
	}
	synced := time.Now() // the first group's sync ended before this
	l.mu.Lock()
	before := l.groups
	l.mu.Unlock()

	const writers = 20
	parallel(t, writers, func(g int) error {
		w := getWrite()
		w.add(entrySet, []byte(fmt.Sprintf("w%02d", g)), []byte("v"))
		return s.commit(w, true)
	})
	if waited := time.Since(synced); waited < interval/2 {
		t.Errorf("the writes after a sync were committed %v after it, want no sooner than the interval (%v)", waited, interval)
	}
	l.mu.Lock()
	groups := l.groups - before
	l.mu.Unlock()
	if groups != 1 {
		t.Errorf("%d writes arriving within the interval were committed in %d groups, want 1", writers, groups)
	}
	if n := keysFrom(t, s, "w", "x"); n != writers {
		t.Fatalf("%d keys, want %d", n, writers)
	}
}

// Under load the synced lane waits longer after a sync: twice its interval
// after a group of busyGroup writes or more, its interval after a small
// group.
func TestLaneWaitGrowsWithGroup(t *testing.T) {
	const interval = 10 * time.Millisecond
	s := openPebbleWith(t, t.TempDir(), PebbleOptions{SyncInterval: interval})
	defer s.Close()
	l := s.synced
	for n, want := range map[int]time.Duration{0: interval, 1: interval, busyGroup / 2: interval,
		busyGroup * 3 / 4: interval * 3 / 2, busyGroup: 2 * interval, 10 * busyGroup: 2 * interval} {
		if got := l.wait(n); got != want {
			t.Errorf("wait(%d) = %v, want %v", n, got, want)
		}
	}

	l.mu.Lock()
	l.leading = true // a group is being committed: the writes below queue for the next
	l.mu.Unlock()
	var told sync.WaitGroup
	for i := range busyGroup {
		w := getWrite()
		w.add(entrySet, []byte(fmt.Sprintf("big%03d", i)), []byte("v"))
		told.Add(1)
		w.then = thenFunc(func(err error) {
			if err != nil {
				t.Error(err)
			}
			told.Done()
		})
		if !l.join(w) {
			t.Fatal("join while a group is being committed: not queued")
		}
	}
	before := time.Now()
	l.leadAlone() // commits the big group
	told.Wait()
	if next := l.nextGroup.Sub(before); next < 2*interval {
		t.Errorf("after a group of %d writes the next may go %v later, want at least %v", busyGroup, next, 2*interval)
	}

	w := getWrite()
	w.add(entrySet, []byte("small"), []byte("v"))
	if err := s.commit(w, true); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	if next := l.nextGroup.Sub(after); next > interval {
		t.Errorf("after a group of one write the next may go %v later, want at most %v", next, interval)
	}
}

// keysFrom counts the keys of s's DB from lo up to hi.
func keysFrom(t *testing.T, s *Pebble, lo, hi string) int {
	t.Helper()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte(lo), UpperBound: []byte(hi)})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for it.First(); it.Valid(); it.Next() {
		n++
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}

// thenFunc is a committer that calls the function.
type thenFunc func(error)

func (f thenFunc) committed(err error) { f(err) }

// leaders counts the goroutines leading lane groups or parked to lead
// the next ones (commitAsync's).
func leaders() int {
	buf := make([]byte, 1<<22)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "store.(*lane).leader(")
}
