package queue

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble"

	"github.com/esmsafrica/smpp/examples/gateway/internal/diskseq"
)

// PebbleOptions tunes OpenPebble. The zero value is a sensible default.
type PebbleOptions struct {
	Options
	// Prefix starts every key the queue writes, and the queue owns every
	// key that starts with it: in a DB shared with the store it must not
	// start one of the store's keys. Nil means "q".
	Prefix []byte
	// MaxHeld is the most tickets kept in memory besides the leased ones;
	// the others stay only on disk and are read back in order as memory
	// empties, so that a queue of millions (an upstream down for an hour)
	// costs memory for MaxHeld. Zero means 131,072 (about 12 MiB, at 90
	// bytes a ticket with a 16-digit id).
	MaxHeld int
	// NoSync makes Enqueue return once its write is in the write-ahead log,
	// before the log is synced: the ticket is durable once any later
	// synced write to the same DB returns (one log, synced in order). For a
	// queue sharing its DB with a state whose synced write of the record
	// follows the ticket's; with a DB of its own, leave it false.
	NoSync bool
}

const (
	defaultMaxHeld = 1 << 17
	// refillBatch is the most tickets one refill reads from disk, with the
	// queue locked.
	refillBatch = 4096
	// ackBatch is the most acked tickets whose removal from disk waits.
	ackBatch = 256
)

// Pebble is the single-node Queue: the tickets in a keyspace of a Pebble
// DB (see PebbleOptions.Prefix), the scheduling in memory. Enqueue is one
// synced write (Pebble commits concurrent syncs together); a Nak is one
// write, and Acks are written together at the next Claim, neither synced:
// after a crash a ticket acked in its last moments may be handed out
// again, and one naked may come back before its delay, both of which the
// claim protocol tolerates. Leases live in
// memory: after a restart every ticket not acked is handed out again.
type Pebble struct{ c *core }

var _ Queue = (*Pebble)(nil)

// OpenPebble opens the queue kept in db under opts.Prefix, with the
// tickets found there. The queue does not own db: close the queue before
// db.
func OpenPebble(db *pebble.DB, opts PebbleOptions) (*Pebble, error) {
	c := newCore(opts.Options)
	c.db = db
	c.prefix = append([]byte(nil), opts.Prefix...)
	if len(c.prefix) == 0 {
		c.prefix = []byte("q")
	}
	c.maxHeld = opts.MaxHeld
	if c.maxHeld <= 0 {
		c.maxHeld = defaultMaxHeld
	}
	c.writeOpt = pebble.Sync
	if opts.NoSync {
		c.writeOpt = pebble.NoSync
	}
	if err := c.load(); err != nil {
		return nil, fmt.Errorf("gateway queue: open: %w", err)
	}
	return &Pebble{c}, nil
}

// load reads the reserved sequence numbers, counts the tickets on disk
// and holds the first in memory.
func (c *core) load() error {
	var err error
	if c.seqs, err = diskseq.Open(c.db, c.seqKey(), errCorrupt); err != nil {
		return err
	}
	lower, upper := c.ticketBounds()
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		k, ok := c.decodeKey(it.Key())
		if !ok {
			it.Close()
			return errCorrupt
		}
		c.total++
		if c.spilled {
			continue
		}
		if c.ready.Len() >= c.maxHeld {
			c.spilled, c.horizon = true, k
			continue
		}
		e, err := decodeEntry(k, it.Value())
		if err != nil {
			it.Close()
			return err
		}
		e.State = stReady
		c.ready.Push(e)
	}
	return it.Close()
}

// removeAcked removes the acked tickets from disk, in one batch. Acks are
// not synced, so keeping them a moment changes nothing after a crash; what
// must not happen is a refill reading an acked ticket back, and a refill
// runs only after removeAcked. c.mu is held.
func (c *core) removeAcked() error {
	b := c.db.NewBatch()
	defer b.Close()
	kl := keyLen(c.prefix)
	buf := make([]byte, 0, kl*len(c.acked))
	for _, k := range c.acked {
		buf = c.appendKey(buf, k)
		if err := b.SingleDelete(buf[len(buf)-kl:], nil); err != nil {
			return err
		}
	}
	if err := c.db.Apply(b, pebble.NoSync); err != nil {
		return err
	}
	c.acked = c.acked[:0]
	return nil
}

// moveKey writes e under key k and removes it from its current key, in one
// batch. c.mu is held.
func (c *core) moveKey(e *entry, k key) error {
	b := c.db.NewBatch()
	defer b.Close()
	buf := c.appendKey(make([]byte, 0, 2*keyLen(c.prefix)+valueLen(e)), k)
	kn := len(buf)
	buf = appendValue(buf, e)
	vn := len(buf)
	buf = c.appendKey(buf, e.Key)
	if err := b.Set(buf[:kn], buf[kn:vn], nil); err != nil {
		return err
	}
	if err := b.SingleDelete(buf[vn:], nil); err != nil {
		return err
	}
	return c.db.Apply(b, pebble.NoSync)
}

// refill reads from disk into memory the tickets from the horizon on, as
// many as memory has room for. It reads no key at or beyond one in
// transit (not written, or not synced, yet), nor the keys of leased
// tickets (in memory already). c.mu is held.
func (c *core) refill() error {
	room := min(refillBatch, c.maxHeld-c.ready.Len())
	if room <= 0 {
		return nil
	}
	var bound key
	bounded := false
	for _, k := range c.transit {
		if !k.Less(c.horizon) && (!bounded || k.Less(bound)) {
			bound, bounded = k, true
		}
	}
	var skip map[uint64]struct{}
	for _, e := range c.leased.Entries() {
		if !e.Key.Less(c.horizon) {
			if skip == nil {
				skip = map[uint64]struct{}{}
			}
			skip[e.Key.Seq] = struct{}{}
		}
	}
	_, upper := c.ticketBounds()
	if bounded {
		upper = c.appendKey(nil, bound)
	}
	it, err := c.db.NewIter(&pebble.IterOptions{LowerBound: c.appendKey(nil, c.horizon), UpperBound: upper})
	if err != nil {
		return err
	}
	read, more := 0, false
	var next key
	for it.First(); it.Valid(); it.Next() {
		k, ok := c.decodeKey(it.Key())
		if !ok {
			it.Close()
			return errCorrupt
		}
		if _, ok := skip[k.Seq]; ok {
			continue
		}
		if read == room {
			more, next = true, k
			break
		}
		e, err := decodeEntry(k, it.Value())
		if err != nil {
			it.Close()
			return err
		}
		e.State = stReady
		c.ready.Push(e)
		read++
	}
	if err := it.Close(); err != nil {
		return err
	}
	switch {
	case more:
		c.horizon = next
	case bounded:
		c.horizon = bound
	default:
		c.spilled = false
	}
	return nil
}

// Enqueue adds a ticket with one write, synced unless NoSync.
func (q *Pebble) Enqueue(ctx context.Context, t Ticket) error { return q.c.enqueue(ctx, t) }

// Claim leases up to max due tickets, waiting for the first.
func (q *Pebble) Claim(ctx context.Context, dst []Claim, max int) ([]Claim, error) {
	return q.c.claim(ctx, dst, max)
}

// Len returns how many tickets the queue holds.
func (q *Pebble) Len() (int, error) { return q.c.len() }

// Close stops the queue once the writes under way are done. The DB stays
// open.
func (q *Pebble) Close() error { return q.c.close() }

// Stage is Enqueue in two halves, for a writer that commits the ticket in
// a batch of its own with other writes: the state's record of the message,
// so that record and ticket are one atomic write with one sync. The writer
// sets the key s.AppendKey gives to the value s.AppendValue gives in a
// batch of the queue's DB, commits it, and then calls s.Done with the
// commit's error. Until Done the ticket is not handed out and Close waits.
func (q *Pebble) Stage(t Ticket) (Staged, error) {
	e, err := q.c.stage(t)
	if err != nil {
		return Staged{}, err
	}
	return Staged{c: q.c, e: e}, nil
}

// Staged is a ticket staged for a writer's batch (see Pebble.Stage). Its
// zero value stages nothing.
type Staged struct {
	c *core
	e *entry
}

// AppendKey appends the key of the ticket's entry in the queue's DB to dst.
func (s *Staged) AppendKey(dst []byte) []byte { return s.c.appendKey(dst, s.e.Key) }

// AppendValue appends the value of the ticket's entry to dst.
func (s *Staged) AppendValue(dst []byte) []byte { return appendValue(dst, s.e) }

// Done ends the staging: with a nil err the ticket was committed and may be
// handed out; otherwise it was not written and is forgotten. Later calls do
// nothing.
func (s *Staged) Done(err error) {
	if s.e == nil {
		return
	}
	s.c.done(s.e, err)
	s.e = nil
}
