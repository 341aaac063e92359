package deliveries

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/esmsafrica/smpp/examples/gateway/internal/diskseq"
	"github.com/esmsafrica/smpp/examples/gateway/internal/lease"
)

// PebbleOptions tunes OpenPebble. The zero value is a sensible default.
type PebbleOptions struct {
	Options
	// Prefix starts every key the queue writes, and the queue owns every
	// key that starts with it: in a DB shared with the store it must not
	// start one of the store's keys. Nil means "d".
	Prefix []byte
	// MaxHeld is the most deliveries an account keeps in memory besides
	// the leased ones; the others stay only on disk and are read back in Seq order as memory
	// empties, so that an ESME away for a day costs memory for MaxHeld.
	// Zero means 16,384.
	MaxHeld int
	// SeqKey is the key of the queue's Seq counter (the highest Seq
	// reserved, 8 bytes big-endian). It may lie outside Prefix: the store
	// keeps it at "s", where it was before this package. Nil means Prefix
	// followed by a zero byte.
	SeqKey []byte
	// NoSync makes Add return once its write is in the write-ahead log,
	// before the log is synced (see queue.PebbleOptions.NoSync).
	NoSync bool
}

const (
	defaultMaxHeld = 1 << 14
	// refillBatch is the most deliveries one refill reads from disk, with
	// the queue locked.
	refillBatch = 1024
	// ackBatch is the most acked deliveries whose removal from disk waits,
	// and ackDelay the longest.
	ackBatch = 256
	ackDelay = 5 * time.Millisecond
)

// Pebble is the single-node Queue: the deliveries in a keyspace of a
// Pebble DB (see PebbleOptions.Prefix), the scheduling in memory. Add is
// one synced write (or Stage, in a writer's batch); an Ack is removed from
// disk with the acks around it, unsynced; a Nak and a lease are in memory
// only. After a crash an acked delivery may be handed out again (sent to
// the ESME twice), and after a restart every delivery not acked is handed
// out at once, whatever its delay.
type Pebble struct{ c *core }

var _ Queue = (*Pebble)(nil)

// OpenPebble opens the queue kept in db under opts.Prefix, with the
// deliveries found there. The queue does not own db: close the queue
// before db.
func OpenPebble(db *pebble.DB, opts PebbleOptions) (*Pebble, error) {
	c := newCore(opts.Options)
	c.db = db
	c.prefix = append([]byte(nil), opts.Prefix...)
	if len(c.prefix) == 0 {
		c.prefix = []byte("d")
	}
	c.maxHeld = opts.MaxHeld
	if c.maxHeld <= 0 {
		c.maxHeld = defaultMaxHeld
	}
	sk := seqKey(c.prefix)
	if len(opts.SeqKey) > 0 {
		sk = append([]byte(nil), opts.SeqKey...)
	}
	c.writeOpt = pebble.Sync
	if opts.NoSync {
		c.writeOpt = pebble.NoSync
	}
	var err error
	if c.seqs, err = diskseq.Open(db, sk, errCorrupt); err != nil {
		return nil, fmt.Errorf("gateway deliveries: open: %w", err)
	}
	if err := c.countOnDisk(); err != nil {
		return nil, fmt.Errorf("gateway deliveries: open: %w", err)
	}
	return &Pebble{c}, nil
}

// countOnDisk sets the pending counts of the accounts from the deliveries
// on disk: one pass over their keys, the values left unread, so that
// Pending never reads the disk afterwards. The accounts it makes start
// spilled, their deliveries read back by the first claims.
func (c *core) countOnDisk() error {
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: append(slices.Clip(c.prefix), 1), UpperBound: prefixEnd(c.prefix)})
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var a *account
	for it.First(); it.Valid(); it.Next() {
		acc, _, ok := splitKey(c.prefix, it.Key())
		if !ok {
			// Not a delivery: Scan skips it too, and no account's range
			// holds it.
			continue
		}
		// An account's keys are together: a lookup per account, not per key.
		if a == nil || a.name != string(acc) {
			a = c.account(string(acc))
		}
		a.pending++
	}
	return it.Close()
}

// ackLater schedules the removal of an acked delivery from disk. c.mu is
// held.
func (c *core) ackLater(account string, seq uint64) error {
	c.acked = append(c.acked, ackedKey{account, seq})
	if len(c.acked) >= ackBatch {
		return c.removeAcked()
	}
	if c.flush == nil {
		c.flush = time.AfterFunc(ackDelay, c.flushAcked)
	}
	return nil
}

// flushAcked removes the acked deliveries from disk when ackDelay has
// passed since the first of them.
func (c *core) flushAcked() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flush = nil
	if c.closed {
		return
	}
	if err := c.removeAcked(); err != nil {
		// They stay acked in memory and listed for removal: tried again
		// after ackDelay, and by the next reading from disk and by Close,
		// which return the error (a reading must not hand them out again).
		c.flush = time.AfterFunc(ackDelay, c.flushAcked)
	}
}

// removeAcked removes the acked deliveries from disk, in one unsynced
// batch. c.mu is held.
func (c *core) removeAcked() error {
	if c.flush != nil {
		c.flush.Stop()
		c.flush = nil
	}
	if len(c.acked) == 0 {
		return nil
	}
	b := c.db.NewBatch()
	defer b.Close()
	var buf []byte
	for _, k := range c.acked {
		buf = appendKey(buf[:0], c.prefix, k.account, k.seq)
		if err := b.SingleDelete(buf, nil); err != nil {
			return err
		}
	}
	if c.failRemoval != nil {
		if err := c.failRemoval(); err != nil {
			return err
		}
	}
	if err := c.db.Apply(b, pebble.NoSync); err != nil {
		return err
	}
	c.acked = c.acked[:0]
	return nil
}

// refill reads from disk into memory the account's deliveries from the
// horizon on, as many as memory has room for. It skips those memory holds
// and those in transit (written, or being written, and placed when done:
// in memory then, unless the account is still spilled below them). c.mu
// is held.
func (c *core) refill(a *account) error {
	room := min(refillBatch, c.maxHeld-a.waiting())
	if room <= 0 {
		return nil
	}
	if err := c.removeAcked(); err != nil {
		return err
	}
	prefix := appendPrefix(nil, c.prefix, a.name)
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: appendKey(nil, c.prefix, a.name, a.horizon), UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	read, more := 0, false
	var next uint64
	for it.First(); it.Valid(); it.Next() {
		_, seq, ok := splitKey(c.prefix, it.Key())
		if !ok {
			it.Close()
			return errCorrupt
		}
		if _, ok := a.held[seq]; ok || slices.Contains(a.transit, seq) {
			continue
		}
		if read == room {
			more, next = true, seq
			break
		}
		e := &entry{Key: lease.Key{Seq: seq}, State: stFresh}
		if err := decodeValueInto(&e.Val, it.Value(), a.name, seq); err != nil {
			it.Close()
			return fmt.Errorf("%w: account %q, seq %d", err, a.name, seq)
		}
		a.fresh.Push(e)
		a.held[seq] = e
		read++
	}
	if err := it.Close(); err != nil {
		return err
	}
	if more {
		a.horizon = next
	} else {
		a.spilled = false
	}
	return nil
}

// prefixEnd returns the smallest key greater than every key with prefix p.
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

// Add adds a delivery with one write, synced unless NoSync.
func (q *Pebble) Add(ctx context.Context, d *Delivery) error { return q.c.add(ctx, d) }

// Claim leases up to max of the account's deliveries, waiting for the
// first.
func (q *Pebble) Claim(ctx context.Context, account string, dst []Claim, max int) ([]Claim, error) {
	return q.c.claim(ctx, account, dst, max)
}

// Lease returns the queue's lease time.
func (q *Pebble) Lease() time.Duration { return time.Duration(q.c.lease) }

// Close stops the queue once the writes under way are done, and removes
// the acked deliveries from disk. The DB stays open.
func (q *Pebble) Close() error { return q.c.close() }

// flushed removes the acked deliveries from disk, so that a reading of the
// disk finds none of them.
func (c *core) flushed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	return c.removeAcked()
}

// Pending returns the account's count of deliveries added and not acked
// or removed, kept in memory (set at open from the keys on disk): it does
// not read the disk. It does remove the acked deliveries from disk first,
// a write usually done already, so that the disk agrees with the count
// for a reader of it after Pending (tools and tests).
func (q *Pebble) Pending(account string) (int, error) {
	if err := q.c.flushed(); err != nil {
		return 0, err
	}
	return q.c.pending(account)
}

// Scan calls fn for the account's deliveries whose Seq is from or more,
// as on disk (leased or not), in Seq order, until fn returns false. It is
// the store's reading of the deliveries, for tools and tests; fn may call
// the queue.
func (q *Pebble) Scan(account string, from uint64, fn func(*Delivery) bool) error {
	c := q.c
	if err := c.flushed(); err != nil {
		return err
	}
	prefix := appendPrefix(nil, c.prefix, account)
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: appendKey(nil, c.prefix, account, from), UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		_, seq, ok := splitKey(c.prefix, it.Key())
		if !ok {
			continue
		}
		d, err := decodeValue(it.Value(), account, seq)
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

// Accounts returns, sorted, the accounts that have deliveries pending, from
// the counts Pending reads: no disk read.
func (q *Pebble) Accounts() ([]string, error) { return q.c.accounts() }

// Remove deletes a delivery outside the claim protocol (a leased one's
// claim loses its lease); removing an unknown one is not an error. The
// delete is not synced.
func (q *Pebble) Remove(account string, seq uint64) error {
	c := q.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	key := appendKey(nil, c.prefix, account, seq)
	if !c.forget(account, seq) {
		if err := c.uncountOnDisk(account, seq, key); err != nil {
			return err
		}
	}
	return c.db.Delete(key, pebble.NoSync)
}

// uncountOnDisk takes a delivery that memory does not hold out of its
// account's pending count if it is on disk only (spilled, or not read back
// since open). An acked one waiting for its removal from disk was counted
// out by its Ack, and one in transit is not counted yet. c.mu is held.
func (c *core) uncountOnDisk(account string, seq uint64, key []byte) error {
	a := c.accts[account]
	if a == nil || slices.Contains(a.transit, seq) || slices.Contains(c.acked, ackedKey{account, seq}) {
		return nil
	}
	_, closer, err := c.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil // unknown, or removed already
	}
	if err != nil {
		return err
	}
	a.pending-- // found: it was counted, and the delete below takes it
	return closer.Close()
}

// Stage is Add in two halves, for a writer that commits the delivery in a
// batch of its own with other writes: the state's record of a message
// whose final state the receipt reports, so that state and receipt are
// one atomic write with one sync. The writer sets s.Key to s.Value in a
// batch of the queue's DB, commits it, and then calls s.Done with the
// commit's error; s.Seq is the delivery's Seq once committed. Until Done
// the delivery is not handed out and Close waits.
func (q *Pebble) Stage(d *Delivery) (Staged, error) {
	e, err := q.c.stage(d)
	if err != nil {
		return Staged{}, err
	}
	b := appendKey(make([]byte, 0, keyLen(q.c.prefix, d.Account)+valueLen(&e.Val)), q.c.prefix, d.Account, e.Val.Seq)
	kn := len(b)
	b = appendValue(b, &e.Val)
	e.Val.Body = bodyIn(b, &e.Val) // the queue's own copy
	return Staged{Key: b[:kn:kn], Value: b[kn:], Seq: e.Val.Seq, c: q.c, e: e}, nil
}

// Staged is a delivery staged for a writer's batch (see Pebble.Stage). Its
// zero value stages nothing.
type Staged struct {
	// Key and Value are the delivery's entry in the queue's DB.
	Key, Value []byte
	// Seq is the delivery's Seq.
	Seq uint64

	c *core
	e *entry
}

// Done ends the staging: with a nil err the delivery was committed and may
// be handed out; otherwise it was not written and is forgotten. Later
// calls do nothing.
func (s *Staged) Done(err error) {
	if s.e == nil {
		return
	}
	s.c.done(s.e, err)
	s.e = nil
}
