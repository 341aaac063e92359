package store

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/cockroachdb/pebble"
)

// A lane commits the writes handed to it in groups: while one group is being
// committed, the writes that arrive queue up, and the first of them then
// commits them all in one batch. The entries of a group are written in key
// order, so that each insert into Pebble's in-memory skiplist starts next to
// the previous one instead of searching it from the top: under load the
// gateway writes tens of messages per group, whose keys (time-ordered ids)
// sit next to each other. A write's own entries keep their order, and so do
// writes of one key (a stable sort), so a group has the effect of its writes
// committed one after the other in the order they arrived. One lane commits
// with sync and one without, so that writes that need not wait for the disk
// do not.
//
// The synced lane commits a group only once the group before it is synced,
// and not before interval has passed since that sync: the writes that arrive
// meanwhile go to the log in one write and one commit, instead of one
// each. (Letting each group go to the log while the one before it waits for
// its sync, with Pebble's WALMinSyncInterval spacing the syncs, costs the
// same number of syncs but about five log writes and commits a sync under
// load, each a system call.) A write that finds the lane idle long enough is
// committed at once. Under load the wait grows with the group just
// committed, up to twice the interval for groups of busyGroup writes or
// more: at a light load a write waits no longer than the interval, at a
// heavy one (where groups are large and every sync and log write costs
// CPU that the load needs) the syncs are fewer.
type lane struct {
	db       *pebble.DB
	sync     bool
	interval time.Duration // the synced lane's shortest time from a sync to the next group (see wait); 0 in the other

	// nextGroup is when the synced lane's next group may be committed (wait
	// after the last sync); only the group's leader reads or sets it.
	nextGroup time.Time

	// Goroutines that led a group nobody waited for (commitAsync's) stay,
	// parked on wake, to lead the next such group: a group costs a
	// goroutine start and its stack's growth otherwise. They end when quit
	// is closed (close).
	wake    chan struct{}
	quit    chan struct{}
	leaders sync.WaitGroup

	mu      sync.Mutex
	leading bool     // a writer is applying a group
	groups  int      // groups committed, for tests
	queue   []*write // waiting for the next group
	spare   []*write // a group's slice, for the next queue

	// The leader's scratch space (one group is applied at a time).
	refs, byKind []entryRef
	count, next  [256]int32 // order's, per kind; count is zero between groups
}

// write is one atomic write: its entries are committed together or not at
// all.
type write struct {
	buf  []byte // keys and values, back to back
	ents []entry
	err  error
	lead bool          // woken to commit the next group
	done chan struct{} // signalled when committed, or when it is to lead
	// then, for a write handed over with commitAsync or commitNoWait, is
	// told by the group's leader once the write is committed, instead of
	// done.
	then committer
}

// A committer is told that its write was committed, with err (nil: it
// was). An interface, not a func: the message write that is told (msgWrite)
// is one object with its write, no closure.
type committer interface {
	committed(err error)
}

type entry struct {
	kind       uint8 // entrySet, entryDelete, entrySingleDelete
	k0, k1, v1 int32 // key buf[k0:k1], value buf[k1:v1]
	_          [3]byte
}

const (
	entrySet = iota
	entryDelete
	entrySingleDelete
)

var writePool = sync.Pool{New: func() any { return &write{buf: make([]byte, 0, 512), done: make(chan struct{}, 1)} }}

func getWrite() *write {
	w := writePool.Get().(*write)
	w.buf, w.ents, w.err, w.lead, w.then = w.buf[:0], w.ents[:0], nil, false, nil
	return w
}

func putWrite(w *write) {
	if cap(w.buf) <= 64<<10 {
		writePool.Put(w)
	}
}

// An entry is built in place: its key is appended to w.buf from k0 to k1,
// then its value (none for a delete) up to the end, and end records it.
func (w *write) end(kind uint8, k0, k1 int) {
	w.ents = append(w.ents, entry{kind: kind, k0: int32(k0), k1: int32(k1), v1: int32(len(w.buf))})
}

// add adds an entry with a copy of key and value.
func (w *write) add(kind uint8, key, value []byte) {
	k0 := len(w.buf)
	w.buf = append(w.buf, key...)
	k1 := len(w.buf)
	w.buf = append(w.buf, value...)
	w.end(kind, k0, k1)
}

// entryRef is an entry of a group with its key, and its place in the group
// (n), which orders the entries of one key.
type entryRef struct {
	key []byte
	e   *entry
	w   *write
	n   int
}

// compareRefs orders entries by key, then by their place in the group.
func compareRefs(a, b entryRef) int {
	if c := bytes.Compare(a.key, b.key); c != 0 {
		return c
	}
	return a.n - b.n
}

// commit commits w, in a group with the writes around it, and returns when it
// is committed (durably, in the sync lane).
func (l *lane) commit(w *write) error {
	l.mu.Lock()
	l.queue = append(l.queue, w)
	if l.leading {
		l.mu.Unlock()
		<-w.done
		if !w.lead {
			return w.err
		}
		l.mu.Lock()
	}
	return l.lead(w)
}

// commitAsync hands w over to be committed in a group like commit, without
// waiting: w.then is told once it is committed, by the goroutine that led
// its group (a goroutine of its own when no group is being committed), and
// must not block. The caller does not touch w afterwards.
func (l *lane) commitAsync(w *write) {
	if l.handOver(w) {
		l.spawn()
	}
}

// commitNoWait hands w over like commitAsync, in the lane without sync:
// when no group is being committed, the caller commits one itself (there is
// no sync to wait for), telling the writes' then, its own included;
// otherwise the goroutine committing the current group commits w with the
// next one.
func (l *lane) commitNoWait(w *write) {
	if l.handOver(w) {
		l.leadAlone()
	}
}

// join queues w for the next group if a group is being committed, and
// reports whether it did; it then goes like a write of commitAsync, told
// through w.then by the goroutine that leads that group. A write that
// needs no sync (the unsynced lane's) joins a busy synced lane this way at
// no cost of its own, where the unsynced lane would commit it as a group
// of one (see Pebble.writeAsync). On an idle lane join does nothing.
func (l *lane) join(w *write) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.leading {
		return false
	}
	l.queue = append(l.queue, w)
	return true
}

// handOver queues w and reports whether the caller is to lead the next
// group (leadAlone): no group was being committed, and the lane is now
// marked as leading. Otherwise the goroutine committing the current group
// hands w's group on.
func (l *lane) handOver(w *write) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queue = append(l.queue, w)
	if l.leading {
		return false
	}
	l.leading = true
	return true
}

// newLane returns a lane committing to db, with sync or without; a synced
// lane waits interval after a sync before its next group (see wait).
func newLane(db *pebble.DB, sync bool, interval time.Duration) *lane {
	if !sync {
		interval = 0 // nothing to wait for
	}
	return &lane{db: db, sync: sync, interval: interval, wake: make(chan struct{}), quit: make(chan struct{})}
}

// spawn has the group queued led by a parked leader, or by a new one when
// none is parked. The lane is marked as leading.
func (l *lane) spawn() {
	select {
	case l.wake <- struct{}{}:
	default:
		l.leaders.Add(1)
		go l.leader()
	}
}

// leader leads a group each time spawn wakes it, until close.
func (l *lane) leader() {
	defer l.leaders.Done()
	for {
		l.leadAlone()
		select {
		case <-l.wake:
		case <-l.quit:
			return
		}
	}
}

// close ends the parked leaders, once every write handed over has been
// told (a leader still finishing its group ends when it is done).
func (l *lane) close() {
	close(l.quit)
	l.leaders.Wait()
}

// leadAlone leads the next group for writes whose callers do not wait
// (commitAsync, commitNoWait).
func (l *lane) leadAlone() {
	l.mu.Lock()
	l.lead(nil) // the group's writes get its error
}

// lead commits the writes queued, as one group, with l.mu held (released
// here), and returns the group's error. self is the caller's write (nil for
// leadAlone), told by the return value; the others are told through done or
// then.
func (l *lane) lead(self *write) error {
	l.leading = true
	if wait := time.Until(l.nextGroup); wait > 0 {
		// The writes that arrive meanwhile join this group.
		l.mu.Unlock()
		time.Sleep(wait)
		l.mu.Lock()
	}
	group := l.queue
	l.queue, l.spare = l.spare, nil
	l.mu.Unlock()

	// The group is written to the log, applied and (in the synced lane)
	// synced before the next group is led. Readers may see its entries
	// before the sync: nobody has been told they are durable.
	err := l.apply(group)
	if l.interval > 0 {
		l.nextGroup = time.Now().Add(l.wait(len(group)))
	}

	l.mu.Lock()
	l.groups++
	if len(l.queue) > 0 {
		if next := l.queue[0]; next.then != nil {
			l.spawn()
		} else {
			next.lead = true
			next.done <- struct{}{}
		}
	} else {
		l.leading = false
	}
	l.mu.Unlock()

	for _, o := range group {
		switch {
		case o == self:
		case o.then != nil:
			o.then.committed(err)
		default:
			o.err = err
			o.done <- struct{}{}
		}
	}
	clear(group)
	l.mu.Lock()
	if l.spare == nil {
		l.spare = group[:0]
	}
	l.mu.Unlock()
	return err
}

// busyGroup is the size of a group (in writes) from which the synced lane
// waits twice its interval before the next one; below it the wait scales
// down to the interval for a group of half as many or fewer. A message
// brings three writes to this lane (two synced, and the upstream's id
// joining them); at 20,000 messages a second with the default interval the
// log was synced about 900 times a second (perf stat), some 65 writes a
// group; at 5,000, with groups at most about 0.8 ms apart (the interval
// and a sync), a dozen or so.
const busyGroup = 64

// wait returns how long the synced lane waits after committing a group of
// n writes: its interval, up to twice that for a group of busyGroup or more.
func (l *lane) wait(n int) time.Duration {
	scale := min(max(float64(n)/(busyGroup/2), 1), 2)
	return time.Duration(scale * float64(l.interval))
}

// apply commits the entries of a group in key order, in one batch, synced
// in the synced lane.
func (l *lane) apply(group []*write) error {
	refs, size, sorted := l.refs[:0], 0, true
	for _, w := range group {
		for i := range w.ents {
			e := &w.ents[i]
			r := entryRef{key: w.buf[e.k0:e.k1], e: e, w: w, n: len(refs)}
			if sorted && len(refs) > 0 && bytes.Compare(refs[len(refs)-1].key, r.key) > 0 {
				sorted = false
			}
			refs = append(refs, r)
		}
		size += len(w.buf) + 16*len(w.ents)
	}
	if !sorted {
		refs = l.order(refs)
	}
	b := l.db.NewBatchWithSize(size)
	var err error
	for _, r := range refs {
		e := r.e
		k, v := r.key, r.w.buf[e.k1:e.v1]
		switch e.kind {
		case entrySet:
			err = b.Set(k, v, nil)
		case entryDelete:
			err = b.Delete(k, nil)
		default:
			err = b.SingleDelete(k, nil)
		}
		if err != nil {
			break
		}
	}
	clear(refs)
	l.refs = refs[:0]
	if err == nil {
		opt := pebble.NoSync
		if l.sync {
			opt = pebble.Sync
		}
		err = b.Commit(opt)
	}
	return errors.Join(err, b.Close())
}

// order returns refs in key order, each key's entries in their place's
// order. The entries are first spread by their key's first byte (the kind
// of record: a few kinds, each entry's place kept), and each kind's run is
// then sorted unless it already is: within a kind, the keys of successive
// writes mostly ascend (time-ordered ids), so that most runs need no sort
// and the others few comparisons. The result uses l.byKind's memory, and
// refs's becomes l.byKind.
func (l *lane) order(refs []entryRef) []entryRef {
	// Only the kinds from lo to hi are looked at: a handful of the 256.
	count, next := &l.count, &l.next
	lo, hi := 255, 0
	for _, r := range refs {
		k := kindOf(r.key)
		count[k]++
		lo, hi = min(lo, k), max(hi, k)
	}
	for k, at := lo, int32(0); k <= hi; k++ {
		next[k] = at
		at += count[k]
	}
	out := slices.Grow(l.byKind[:0], len(refs))[:len(refs)]
	for _, r := range refs {
		k := kindOf(r.key)
		out[next[k]] = r
		next[k]++
	}
	for k := lo; k <= hi; k++ {
		run := out[next[k]-count[k] : next[k]]
		if len(run) > 1 && !slices.IsSortedFunc(run, compareRefs) {
			// Unique (key, place) pairs: an unstable sort keeps the
			// order of the entries of one key.
			slices.SortFunc(run, compareRefs)
		}
		count[k] = 0
	}
	clear(refs)
	l.byKind = refs[:0]
	return out
}

// kindOf returns the first byte of key (0 for an empty key, which sorts
// first among the keys starting with 0).
func kindOf(key []byte) int {
	if len(key) == 0 {
		return 0
	}
	return int(key[0])
}
