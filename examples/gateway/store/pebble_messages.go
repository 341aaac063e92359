package store

import (
	"errors"
	"sync"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// What a write of a message stores: everything (Accept), the state fields
// (Update), or both over an existing message (Replace).
const (
	writeAll = iota
	writeState
	writeReplace
)

// How a write of a message reaches the disk.
const (
	durable  = iota // synced before the write returns
	logged          // in the write-ahead log, synced with the next durable write
	inMemory        // in memory only, when the message is held there (Mark)
)

// putMessage adds m's records, with the bookkeeping mt, to w, by what (see
// above). A final message without Done gets Done = now.
func putMessage(w *write, m *Message, mt *meta, what int) {
	if m.State.Final() && m.Done.IsZero() {
		m.Done = time.Now()
	}
	if what != writeState {
		k0 := len(w.buf)
		w.buf = appendMsgKey(w.buf, kindMessage, m.ID)
		k1 := len(w.buf)
		w.buf = appendMessage(w.buf, m)
		w.end(entrySet, k0, k1)
	}
	if what != writeAll {
		k0 := len(w.buf)
		w.buf = appendMsgKey(w.buf, kindState, m.ID)
		k1 := len(w.buf)
		w.buf = appendState(w.buf, m, mt)
		w.end(entrySet, k0, k1)
	}
	if m.State.Final() {
		// A stale entry (if Done later changes) is cleaned up by Purge,
		// which checks the record.
		k0 := len(w.buf)
		w.buf = appendFinalKey(w.buf, m.Done, m.ID)
		w.end(entrySet, k0, len(w.buf))
	}
}

// change is one compare-and-set write of a message: what it stores, how
// durably, an upstream index entry to record (mapUp), a delivery to queue
// (d) and a ticket to stage (accept).
type change struct {
	what        int
	how         int
	mapUp       bool
	upstreamKey string
	d           *Delivery
}

// writeMessage writes m by compare-and-set on its revision (Accept: a new
// message, revision 1) and sets m.Rev to the revision written.
func (p *Pebble) writeMessage(m *Message, c change) error {
	mw, ok, err := p.start(m, c)
	if !ok {
		return err
	}
	defer p.end()
	return mw.finish(p.commit(mw.w, c.how == durable))
}

// start registers a write of m as an operation (begin) and prepares it.
// ok false: nothing to commit, the operation ended, and err is the
// outcome; otherwise the caller ends it (end) once the write is finished.
func (p *Pebble) start(m *Message, c change) (mw msgWrite, ok bool, err error) {
	if m.ID == "" {
		return mw, false, errEmptyID
	}
	if err := p.begin(); err != nil {
		return mw, false, err
	}
	if mw, ok, err = p.prepare(m, c); !ok {
		p.end()
	}
	return mw, ok, err
}

// msgWrite is a write of a message that prepare built: its entries (w), and
// what finish does once w is committed.
type msgWrite struct {
	p       *Pebble
	m       *Message
	c       change
	e       *tracked // held by the writer until finish
	next    *version
	staged  queue.Staged      // the ticket of an accepted message (zero: none)
	dstaged deliveries.Staged // the receipt, in the same batch (zero: none)
	unmapUp string            // an index entry the tracker holds that the record no longer names
	w       *write
	then    func(error) // writeAsync's caller
}

// prepare checks m's revision against the stored one and builds its write.
// ok false: nothing to commit, and err is the write's outcome (a conflict,
// a failure, or nil for a mark kept in memory).
func (p *Pebble) prepare(m *Message, c change) (mw msgWrite, ok bool, err error) {
	e := p.track.acquire(m.ID)
	var cur *version
	if c.what != writeAll {
		cur = e.cur.Load()
		if cur == nil {
			v, err := p.read(m.ID)
			if err != nil {
				p.track.release(m.ID, e, nil)
				return mw, false, err
			}
			cur = v
		}
		if m.Rev != cur.m.Rev {
			p.track.release(m.ID, e, cur)
			return mw, false, ErrConflict
		}
	}
	next := &version{m: *m}
	if cur != nil {
		next.meta = cur.meta
		if c.what == writeState {
			// Only the state fields are written: the others stay as stored.
			next.m = cur.m
			next.m.State, next.m.Route, next.m.UpstreamID, next.m.Attempts = m.State, m.Route, m.UpstreamID, m.Attempts
			next.m.Error, next.m.NextTry, next.m.Done = m.Error, m.NextTry, m.Done
		}
	}
	next.m.Rev = m.Rev + 1
	if c.what == writeAll {
		next.m.Rev = 1
	}
	if c.how == inMemory && cur != nil && !m.State.Final() && e.kept {
		// Held in memory: the mark stays there; the disk keeps the state
		// before it, which a crash policy covers.
		m.Rev = next.m.Rev
		p.track.release(m.ID, e, next)
		return mw, false, nil
	}
	w := getWrite()
	var unmapUp string // an index entry the tracker holds that the record no longer names
	if c.mapUp {
		k0 := len(w.buf)
		w.buf = appendUpKey(w.buf, m.Route, c.upstreamKey)
		k1 := len(w.buf)
		w.buf = append(w.buf, m.ID...)
		w.end(entrySet, k0, k1)
		if k := string(w.buf[k0+1 : k1]); k != next.upKey {
			if next.upKey != "" {
				// The index entry the record named stays until
				// Purge, which finds it here.
				x0 := len(w.buf)
				w.buf = append(appendUpOfIDPrefix(w.buf, m.ID), next.upKey...)
				w.end(entrySet, x0, len(w.buf))
				next.upMore = true
				unmapUp = next.upKey
			}
			next.upKey = k
		}
	}
	putMessage(w, &next.m, &next.meta, c.what)
	var dstaged deliveries.Staged // the receipt, in the same batch (zero: none)
	if c.d != nil {
		var err error
		if dstaged, err = p.dels.Stage(c.d); err != nil {
			putWrite(w)
			p.track.release(m.ID, e, cur)
			return mw, false, deliveryErr(err)
		}
		w.add(entrySet, dstaged.Key, dstaged.Value)
	}
	var staged queue.Staged // the ticket of an accepted message (zero: none)
	if c.what == writeAll {
		var err error
		if staged, err = p.queue.Stage(queue.Ticket{ID: m.ID, Rev: 1, Due: m.NextTry}); err != nil {
			if errors.Is(err, queue.ErrClosed) {
				err = ErrClosed // closed since begin
			}
			dstaged.Done(err)
			putWrite(w)
			p.track.release(m.ID, e, nil)
			return mw, false, err
		}
		k0 := len(w.buf)
		w.buf = staged.AppendKey(w.buf)
		k1 := len(w.buf)
		w.buf = staged.AppendValue(w.buf)
		w.end(entrySet, k0, k1)
	}
	return msgWrite{p: p, m: m, c: c, e: e, next: next, staged: staged, dstaged: dstaged, unmapUp: unmapUp, w: w}, true, nil
}

// finish ends a write committed with err: the new version becomes the one
// readers get (or, after a failure, none: the next writer reads the disk),
// then the ticket and the receipt are handed out. It returns err.
func (mw *msgWrite) finish(err error) error {
	p, m, c, e, next, staged, dstaged, unmapUp := mw.p, mw.m, mw.c, mw.e, mw.next, mw.staged, mw.dstaged, mw.unmapUp
	if err != nil {
		// What is on disk is not known: the next writer reads it.
		p.track.release(m.ID, e, nil)
		staged.Done(err)
		dstaged.Done(err)
		return err
	}
	// The ticket and the receipt are handed out only once the new version
	// is the one readers get: an ESME that queries a message on its
	// receipt reads the state the receipt reports.
	defer dstaged.Done(nil)
	defer staged.Done(nil)
	next.stored = next.m.State
	m.Rev, m.Done = next.m.Rev, next.m.Done
	if c.d != nil {
		c.d.Seq = dstaged.Seq
	}
	if c.mapUp {
		// Recorded (and the waiting receipts woken) before the next
		// writer of the message can make it final and forget the entry.
		p.track.mapped(m.Route, c.upstreamKey, m.ID, true)
	}
	if kept := p.track.release(m.ID, e, next); c.mapUp && !kept {
		// Not held in memory: read from disk.
		p.track.unmap(m.Route, c.upstreamKey, m.ID)
	}
	if unmapUp != "" {
		// Still on disk (for a late receipt) until Purge: read from there.
		route, key := splitUpKey(unmapUp)
		p.track.unmap(route, key, m.ID)
	}
	if next.m.State.Final() && next.upKey != "" {
		route, key := splitUpKey(next.upKey)
		p.track.unmap(route, key, m.ID)
	}
	return nil
}

// Accept stores a new message and its ticket, synced, and sets m.Rev to 1.
func (p *Pebble) Accept(m *Message) error {
	return p.writeMessage(m, change{what: writeAll, how: durable})
}

// AcceptAsync is Accept without waiting: the write joins the next group of
// synced writes and then is called, with Accept's error, by the goroutine
// that committed the group (at once for a write refused before it).
func (p *Pebble) AcceptAsync(m *Message, then func(error)) {
	p.writeAsync(m, change{what: writeAll, how: durable}, then)
}

// writeAsync is writeMessage for a caller that does not wait: then is
// called with its outcome by the goroutine that committed its group, or at
// once when it is refused before. A durable write joins the next group of
// synced writes. A logged one joins it too when a synced group is being
// committed (under load, nearly always): it then costs no Pebble commit of
// its own, only its entries, and is told after that group's sync, a
// fraction of a millisecond later. Otherwise (an idle store) it is
// committed at once, without sync, by the caller itself (commitNoWait).
func (p *Pebble) writeAsync(m *Message, c change, then func(error)) {
	mw, ok, err := p.start(m, c)
	if !ok {
		then(err)
		return
	}
	a := msgWritePool.Get().(*msgWrite)
	*a = mw
	a.then = then
	a.w.then = a
	switch {
	case c.how == durable:
		p.synced.commitAsync(a.w)
	case !p.synced.join(a.w):
		p.unsynced.commitNoWait(a.w)
	}
}

// msgWritePool keeps the msgWrites of writeAsync, each told once.
var msgWritePool = sync.Pool{New: func() any { return new(msgWrite) }}

// committed finishes a writeAsync once its group is committed (the lane's
// committer).
func (mw *msgWrite) committed(err error) {
	putWrite(mw.w)
	mw.w = nil
	err = mw.finish(err)
	p, then := mw.p, mw.then
	*mw = msgWrite{}
	msgWritePool.Put(mw)
	p.end()
	then(err)
}

// Update stores m's state fields by compare-and-set, synced.
func (p *Pebble) Update(m *Message) error {
	return p.writeMessage(m, change{what: writeState, how: durable})
}

// Mark stores m's state fields by compare-and-set, in memory when the
// message is held there, else in the log without a sync.
func (p *Pebble) Mark(m *Message) error {
	return p.writeMessage(m, change{what: writeState, how: inMemory})
}

// Replace stores every field of m by compare-and-set, synced.
func (p *Pebble) Replace(m *Message) error {
	return p.writeMessage(m, change{what: writeReplace, how: durable})
}

// Get returns the message with this id, or ErrNotFound.
func (p *Pebble) Get(id string) (*Message, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	if v := p.track.get(id); v != nil {
		m := v.m
		return &m, nil
	}
	v, err := p.read(id)
	if err != nil {
		return nil, err
	}
	return &v.m, nil
}

// read reads a message's newest version from disk.
func (p *Pebble) read(id string) (*version, error) {
	kb := getBuf()
	defer putBuf(kb)
	kb.b = appendMsgKey(kb.b, kindMessage, id)
	v, closer, err := p.db.Get(kb.b)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	m, err := decodeMessage(v)
	closer.Close()
	if err != nil {
		return nil, err
	}
	r := &version{m: *m}
	kb.b = appendMsgKey(kb.b[:0], kindState, id)
	v, closer, err = p.db.Get(kb.b)
	switch {
	case err == nil:
		err = decodeState(v, &r.m, &r.meta)
		closer.Close()
	case errors.Is(err, pebble.ErrNotFound):
		err = nil
	}
	if err != nil {
		return nil, err
	}
	r.stored = r.m.State
	return r, nil
}

// LastID returns the greatest message id stored, or "".
func (p *Pebble) LastID() (string, error) {
	if err := p.begin(); err != nil {
		return "", err
	}
	defer p.end()
	it, err := p.db.NewIter(&pebble.IterOptions{
		LowerBound: []byte{kindMessage},
		UpperBound: []byte{kindMessage + 1},
	})
	if err != nil {
		return "", err
	}
	last := ""
	if it.Last() {
		last = string(it.Key()[1:])
	}
	return last, it.Close()
}
