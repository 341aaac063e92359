package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble"
)

// ErrClosed is returned by the methods of a store that has been closed.
var ErrClosed = errors.New("gateway store: closed")

// errEmptyID is returned for a message without an id.
var errEmptyID = errors.New("gateway store: empty message id")

// PebbleOptions tunes OpenPebble. The zero value is a sensible default.
type PebbleOptions struct {
	// CacheSize is the block cache size in bytes (default 64 MiB).
	CacheSize int64
	// MemTableSize is the size of one memtable in bytes (default 32 MiB); up
	// to two may be held while one is flushed.
	MemTableSize uint64
	// SyncInterval is the shortest time between two syncs of the write-ahead
	// log: synced writes that arrive within it wait for the same sync (group
	// commit with a short wait). Under load this trades up to that much
	// latency per synced write for fewer syncs, less CPU and a shorter tail;
	// a lone write is not delayed. Zero syncs as soon as one is asked for.
	SyncInterval time.Duration
	// Logger receives Pebble's log messages. If nil, informational messages
	// are dropped and background errors go to the standard logger.
	Logger pebble.Logger
}

// Key layout. Every key starts with a one-byte kind; variable-length parts
// that are followed by more key material carry a uvarint length prefix so
// that a prefix of one key is never a prefix of another entity's key.
//
//	m<id>                                       -> Message record (as accepted or replaced)
//	t<id>                                       -> state record (newer state fields than m's)
//	p<id>                                       -> "" (Queued or Inflight)
//	f<done sec+2^63 BE8><done nsec BE4><id>     -> "" (final, for Purge)
//	u<len route><route><upstreamKey>            -> id
//	x<len id><id><len route><route><upstreamKey> -> "" (u entries of id that its
//	                                               state record no longer names, for Purge)
//	d<len account><account><seq BE8>            -> Delivery record
//	s                                           -> highest reserved Seq (BE8)
const (
	kindMessage  = 'm'
	kindState    = 't'
	kindPending  = 'p'
	kindFinal    = 'f'
	kindUpstream = 'u'
	kindUpOfID   = 'x'
	kindDelivery = 'd'
	kindSeq      = 's'
)

// seqBlock is how many delivery sequence numbers are reserved at a time.
const seqBlock = 1 << 20

// Pebble is a Store kept in a Pebble database on local disk. Concurrent
// writes are committed in groups, in one batch each (see lane), and a
// group's synced writes share one WAL fsync.
type Pebble struct {
	db *pebble.DB

	// Every operation counts itself in ops and then checks closed; Close
	// sets closed and waits for ops to drain. Unlike a RWMutex this cannot
	// deadlock when a Pending or Deliveries callback calls back into the
	// store while Close waits.
	ops    atomic.Int64
	closed atomic.Bool

	seqMu    sync.Mutex
	seq      uint64 // last Seq handed out
	seqLimit uint64 // highest Seq reserved in the database

	synced, unsynced lane // group commit of the writes with and without sync
}

var _ Store = (*Pebble)(nil)

// OpenPebble opens (creating if needed) the store in directory dir.
func OpenPebble(dir string, opts PebbleOptions) (*Pebble, error) {
	if opts.CacheSize <= 0 {
		opts.CacheSize = 64 << 20
	}
	if opts.MemTableSize == 0 {
		opts.MemTableSize = 32 << 20
	}
	cache := pebble.NewCache(opts.CacheSize)
	popts := &pebble.Options{
		Cache:        cache,
		MemTableSize: opts.MemTableSize,
		Logger:       opts.Logger,
	}
	if d := opts.SyncInterval; d > 0 {
		popts.WALMinSyncInterval = func() time.Duration { return d }
	}
	if popts.Logger == nil {
		// Pebble's informational messages (WAL replay at every open, ...)
		// are dropped; background errors still reach the standard logger.
		popts.Logger = quietLogger{}
		popts.EventListener = &pebble.EventListener{
			BackgroundError: func(err error) { log.Printf("gateway store: pebble background error: %v", err) },
		}
	}
	db, err := pebble.Open(dir, popts)
	cache.Unref() // the DB holds its own reference
	if err != nil {
		return nil, fmt.Errorf("gateway store: open %s: %w", dir, err)
	}
	p := &Pebble{db: db}
	p.synced = lane{db: db, sync: true}
	p.unsynced = lane{db: db}
	v, closer, err := db.Get([]byte{kindSeq})
	switch {
	case err == nil:
		if len(v) == 8 {
			p.seq = binary.BigEndian.Uint64(v)
		} else {
			err = errCorrupt
		}
		closer.Close()
	case errors.Is(err, pebble.ErrNotFound):
		err = nil
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("gateway store: open %s: %w", dir, err)
	}
	p.seqLimit = p.seq
	return p, nil
}

// quietLogger drops Pebble's informational messages.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	log.Fatalf("gateway store: pebble: "+format, args...)
}

// commit commits w, synced or not, and recycles it.
func (p *Pebble) commit(w *write, sync bool) error {
	l := &p.unsynced
	if sync {
		l = &p.synced
	}
	err := l.commit(w)
	putWrite(w)
	return err
}

// keyBuf is a scratch buffer for building keys and records.
type keyBuf struct{ b []byte }

var bufPool = sync.Pool{New: func() any { return &keyBuf{b: make([]byte, 0, 512)} }}

func getBuf() *keyBuf { kb := bufPool.Get().(*keyBuf); kb.b = kb.b[:0]; return kb }
func putBuf(kb *keyBuf) {
	if cap(kb.b) <= 64<<10 {
		bufPool.Put(kb)
	}
}

func appendMsgKey(b []byte, kind byte, id string) []byte {
	b = append(b, kind)
	return append(b, id...)
}

func appendFinalKey(b []byte, done time.Time, id string) []byte {
	b = append(b, kindFinal)
	b = binary.BigEndian.AppendUint64(b, uint64(done.Unix())^1<<63)
	b = binary.BigEndian.AppendUint32(b, uint32(done.Nanosecond()))
	return append(b, id...)
}

func appendUpKey(b []byte, route, upstreamKey string) []byte {
	b = append(b, kindUpstream)
	b = appendString(b, route)
	return append(b, upstreamKey...)
}

func appendUpOfIDPrefix(b []byte, id string) []byte {
	b = append(b, kindUpOfID)
	return appendString(b, id)
}

func appendDeliveryPrefix(b []byte, account string) []byte {
	b = append(b, kindDelivery)
	return appendString(b, account)
}

// prefixEnd returns the smallest key greater than every key with prefix p.
// appendDeliveryKey appends the key of an account's delivery seq.
func appendDeliveryKey(b []byte, account string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(appendDeliveryPrefix(b, account), seq)
}

func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil // p is all 0xff: no upper bound
}

// begin registers an operation; it fails once the store is closed.
func (p *Pebble) begin() error {
	p.ops.Add(1)
	if p.closed.Load() {
		p.ops.Add(-1)
		return ErrClosed
	}
	return nil
}

func (p *Pebble) end() { p.ops.Add(-1) }

func isPending(st State) bool { return st == Queued || st == Inflight }

// What a write of a message stores: everything (Accept), the state fields
// (Update), or both over an existing message (Replace).
const (
	writeAll = iota
	writeState
	writeReplace
)

// putMessage adds m's records and index entries to w, by what (see above).
// A final message without Done gets Done = now.
func putMessage(w *write, m *Message, what int) {
	if m.State.Final() && m.Done.IsZero() {
		m.Done = time.Now()
	}
	if what != writeState {
		putRecord(w, kindMessage, m, appendMessage)
	}
	if what != writeAll {
		putRecord(w, kindState, m, appendState)
	}
	// The pending entry changes only when the message enters or leaves the
	// pending states; when the state last stored is not known, it is set or
	// deleted blindly (no read on the write path; a tombstone is dropped by
	// compaction).
	pending := isPending(m.State)
	if m.stored == 0 || pending != isPending(m.stored) {
		k0 := len(w.buf)
		w.buf = appendMsgKey(w.buf, kindPending, m.ID)
		kind := uint8(entryDelete)
		if pending {
			kind = entrySet
		}
		w.end(kind, k0, len(w.buf))
	}
	if m.State.Final() {
		// A stale entry (if Done later changes) is cleaned up by Purge,
		// which checks the record.
		k0 := len(w.buf)
		w.buf = appendFinalKey(w.buf, m.Done, m.ID)
		w.end(entrySet, k0, len(w.buf))
	}
}

// putRecord adds the setting of m's record of this kind, encoded by enc.
func putRecord(w *write, kind byte, m *Message, enc func([]byte, *Message) []byte) {
	k0 := len(w.buf)
	w.buf = appendMsgKey(w.buf, kind, m.ID)
	k1 := len(w.buf)
	w.buf = enc(w.buf, m)
	w.end(entrySet, k0, k1)
}

func (p *Pebble) writeMessage(m *Message, upstreamKey string, what int, mapUp, sync bool) error {
	if m.ID == "" {
		return errEmptyID
	}
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	w := getWrite()
	upKey, upMore := m.upKey, m.upMore
	if mapUp {
		k0 := len(w.buf)
		w.buf = appendUpKey(w.buf, m.Route, upstreamKey)
		k1 := len(w.buf)
		w.buf = append(w.buf, m.ID...)
		w.end(entrySet, k0, k1)
		if k := string(w.buf[k0+1 : k1]); k != m.upKey {
			if m.upKey != "" {
				// The index entry the record named stays until
				// Purge, which finds it here.
				x0 := len(w.buf)
				w.buf = append(appendUpOfIDPrefix(w.buf, m.ID), m.upKey...)
				w.end(entrySet, x0, len(w.buf))
				m.upMore = true
			}
			m.upKey = k
		}
	}
	putMessage(w, m, what)
	if err := p.commit(w, sync); err != nil {
		m.upKey, m.upMore = upKey, upMore
		return err
	}
	m.stored = m.State
	return nil
}

// Accept stores a new message and syncs it to disk before returning.
func (p *Pebble) Accept(m *Message) error {
	return p.writeMessage(m, "", writeAll, false, true)
}

// Update stores m's state fields; with sync they are on disk before Update
// returns. A final message with a zero Done gets Done set to now.
func (p *Pebble) Update(m *Message, sync bool) error {
	return p.writeMessage(m, "", writeState, false, sync)
}

// Replace stores every field of m.
func (p *Pebble) Replace(m *Message, sync bool) error {
	return p.writeMessage(m, "", writeReplace, false, sync)
}

// MapUpstream stores m's state fields and the index entry (m.Route,
// upstreamKey) -> m.ID in one atomic batch.
func (p *Pebble) MapUpstream(m *Message, upstreamKey string, sync bool) error {
	return p.writeMessage(m, upstreamKey, writeState, true, sync)
}

// Get returns the message with this id, or ErrNotFound.
func (p *Pebble) Get(id string) (*Message, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	return p.get(id)
}

func (p *Pebble) get(id string) (*Message, error) {
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
	kb.b = appendMsgKey(kb.b[:0], kindState, id)
	v, closer, err = p.db.Get(kb.b)
	switch {
	case err == nil:
		err = decodeState(v, m)
		closer.Close()
	case errors.Is(err, pebble.ErrNotFound):
		err = nil
	}
	if err != nil {
		return nil, err
	}
	m.stored = m.State
	return m, nil
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

// LookupUpstream returns the gateway id recorded by MapUpstream for
// (route, upstreamKey), or ErrNotFound.
func (p *Pebble) LookupUpstream(route, upstreamKey string) (string, error) {
	if err := p.begin(); err != nil {
		return "", err
	}
	defer p.end()
	kb := getBuf()
	defer putBuf(kb)
	kb.b = appendUpKey(kb.b, route, upstreamKey)
	v, closer, err := p.db.Get(kb.b)
	if errors.Is(err, pebble.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	id := string(v)
	closer.Close()
	return id, nil
}

// Pending calls fn, in id order, for every message in state Queued or
// Inflight until fn returns false. fn may call other methods of the store.
func (p *Pebble) Pending(fn func(*Message) bool) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	it, err := p.db.NewIter(&pebble.IterOptions{
		LowerBound: []byte{kindPending},
		UpperBound: []byte{kindPending + 1},
	})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		m, err := p.get(string(it.Key()[1:]))
		if errors.Is(err, ErrNotFound) {
			continue // purged or never written; the index entry is stale
		}
		if err != nil {
			it.Close()
			return err
		}
		if m.State != Queued && m.State != Inflight {
			continue
		}
		if !fn(m) {
			break
		}
	}
	return it.Close()
}

// AddDelivery stores d under a new Seq (set in d.Seq). Seqs increase across
// all accounts and across restarts.
func (p *Pebble) AddDelivery(d *Delivery, sync bool) error {
	return p.writeDelivery(nil, d, sync)
}

// UpdateWithDelivery stores m and queues d in one batch.
func (p *Pebble) UpdateWithDelivery(m *Message, d *Delivery, sync bool) error {
	if m.ID == "" {
		return errEmptyID
	}
	return p.writeDelivery(m, d, sync)
}

// writeDelivery queues d under a new Seq, with m (when not nil) in the same
// batch, and sets d.Seq once committed.
func (p *Pebble) writeDelivery(m *Message, d *Delivery, sync bool) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	seq, err := p.nextSeq()
	if err != nil {
		return err
	}
	w := getWrite()
	if m != nil {
		putMessage(w, m, writeState)
	}
	k0 := len(w.buf)
	w.buf = appendDeliveryKey(w.buf, d.Account, seq)
	k1 := len(w.buf)
	w.buf = appendDelivery(w.buf, d)
	w.end(entrySet, k0, k1)
	if err := p.commit(w, sync); err != nil {
		return err
	}
	if m != nil {
		m.stored = m.State
	}
	d.Seq = seq
	return nil
}

// nextSeq hands out the next delivery Seq, reserving a new block in the
// database when the current one is used up. The reservation is written
// without sync: it precedes in the WAL every delivery that uses a Seq from
// it, so any delivery that survives a crash implies its reservation did.
func (p *Pebble) nextSeq() (uint64, error) {
	p.seqMu.Lock()
	defer p.seqMu.Unlock()
	if p.seq >= p.seqLimit {
		limit := p.seq + seqBlock
		if err := p.db.Set([]byte{kindSeq}, binary.BigEndian.AppendUint64(nil, limit), pebble.NoSync); err != nil {
			return 0, err
		}
		p.seqLimit = limit
	}
	p.seq++
	return p.seq, nil
}

// RemoveDelivery deletes an acknowledged delivery. A delivery key is written
// once (Seqs are never reused), so the delete is a single delete: meeting
// its write in a flush, both vanish instead of leaving a tombstone to
// compact. The delete is not synced:
// after a crash the delivery may be sent again (at-least-once).
func (p *Pebble) RemoveDelivery(account string, seq uint64) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	w := getWrite()
	w.buf = appendDeliveryKey(w.buf, account, seq)
	w.end(entrySingleDelete, 0, len(w.buf))
	return p.commit(w, false)
}

// Deliveries calls fn for the account's queued deliveries from Seq from on,
// in Seq order, until fn returns false. fn may call other methods of the
// store.
func (p *Pebble) Deliveries(account string, from uint64, fn func(*Delivery) bool) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	prefix := appendDeliveryPrefix(nil, account)
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: appendDeliveryKey(nil, account, from), UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != len(prefix)+8 {
			continue
		}
		d, err := decodeDelivery(it.Value(), account, binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			it.Close()
			return err
		}
		if !fn(d) {
			break
		}
	}
	return it.Close()
}

// Accounts returns, sorted, the accounts that have queued deliveries.
func (p *Pebble) Accounts() ([]string, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	it, err := p.db.NewIter(&pebble.IterOptions{
		LowerBound: []byte{kindDelivery},
		UpperBound: []byte{kindDelivery + 1},
	})
	if err != nil {
		return nil, err
	}
	var accounts []string
	for valid := it.First(); valid; {
		d := decoder{b: it.Key()[1:]}
		acc := d.raw()
		if d.err {
			it.Close()
			return nil, errCorrupt
		}
		accounts = append(accounts, string(acc))
		// Skip the rest of this account's deliveries.
		valid = it.SeekGE(prefixEnd(appendDeliveryPrefix(nil, string(acc))))
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	// Keys order accounts by length first; callers expect name order.
	slices.Sort(accounts)
	return accounts, nil
}

// Purge deletes the final messages whose Done is before the given time,
// with their upstream index entries, and returns how many it deleted.
func (p *Pebble) Purge(before time.Time) (int, error) {
	if err := p.begin(); err != nil {
		return 0, err
	}
	defer p.end()
	upper := appendFinalKey(nil, before, "")
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: []byte{kindFinal}, UpperBound: upper})
	if err != nil {
		return 0, err
	}
	const fkeyLen = 1 + 8 + 4
	n := 0
	b := p.db.NewBatch()
	flush := func() error {
		if b.Empty() {
			return nil
		}
		err := b.Commit(pebble.NoSync)
		b.Close()
		b = p.db.NewBatch()
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		fk := it.Key()
		if len(fk) < fkeyLen {
			continue
		}
		id := string(fk[fkeyLen:])
		m, err := p.get(id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			it.Close()
			b.Close()
			return n, err
		}
		b.Delete(fk, nil)
		if m != nil && m.State.Final() && string(appendFinalKey(nil, m.Done, id)) == string(fk) {
			if err := p.deleteMessage(b, m); err != nil {
				it.Close()
				b.Close()
				return n, err
			}
			n++
		}
		if b.Count() >= 1000 {
			if err := flush(); err != nil {
				it.Close()
				b.Close()
				return n, err
			}
		}
	}
	err = it.Close()
	if ferr := flush(); err == nil {
		err = ferr
	}
	b.Close()
	return n, err
}

// deleteMessage adds the deletion of message m (as read from the store),
// its pending entry and its upstream index entries to b.
func (p *Pebble) deleteMessage(b *pebble.Batch, m *Message) error {
	id := m.ID
	b.Delete(appendMsgKey(nil, kindMessage, id), nil)
	b.Delete(appendMsgKey(nil, kindState, id), nil)
	// Usually gone already: read before writing a tombstone.
	pk := appendMsgKey(nil, kindPending, id)
	if _, closer, err := p.db.Get(pk); err == nil {
		closer.Close()
		b.Delete(pk, nil)
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return err
	}
	if m.upKey != "" {
		if err := p.deleteUpKey(b, append([]byte{kindUpstream}, m.upKey...), id); err != nil {
			return err
		}
	}
	// A record written before state records existed names no index key
	// (all of them are under x), like one mapped more than once.
	if !m.upMore && (m.upKey != "" || m.UpstreamID == "") {
		return nil
	}
	prefix := appendUpOfIDPrefix(nil, id)
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		xk := it.Key()
		upKey := append([]byte{kindUpstream}, xk[len(prefix):]...)
		if err := p.deleteUpKey(b, upKey, id); err != nil {
			it.Close()
			return err
		}
		b.Delete(xk, nil)
	}
	return it.Close()
}

// deleteUpKey adds the deletion of upstream index entry upKey to b if it
// still points at id: the same upstream id may have been reused for a later
// message.
func (p *Pebble) deleteUpKey(b *pebble.Batch, upKey []byte, id string) error {
	v, closer, err := p.db.Get(upKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if string(v) == id {
		b.Delete(upKey, nil)
	}
	return closer.Close()
}

// Close flushes and closes the store. Later calls return ErrClosed.
func (p *Pebble) Close() error {
	if p.closed.Swap(true) {
		return ErrClosed
	}
	for p.ops.Load() != 0 {
		time.Sleep(time.Millisecond)
	}
	err := p.db.Flush()
	if cerr := p.db.Close(); err == nil {
		err = cerr
	}
	return err
}
