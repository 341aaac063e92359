package queue

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/esmsafrica/smpp/examples/gateway/internal/diskseq"
	"github.com/esmsafrica/smpp/examples/gateway/internal/lease"
)

// Options tunes a single-node queue. The zero value is a sensible default.
type Options struct {
	// Lease is how long a claim holds its ticket before the ticket is
	// handed out again. Zero means 30 s.
	Lease time.Duration
	// MaxLen is the most tickets the queue holds; Enqueue fails with
	// ErrFull beyond. Zero means no limit.
	MaxLen int
}

const defaultLease = 30 * time.Second

// core is the single-node queue: the scheduling in memory, and, when db is
// set, the tickets on disk (pebble.go).
//
// Every ticket in memory has its key on disk (with a DB): an enqueued
// ticket enters memory only once its write is committed, and a nak writes
// the new key before the entry moves. When the tickets are more than
// memory may hold, memory holds the ready ones whose key is below horizon
// (about maxHeld of them, those due first) and the others are only on
// disk, read back in key order (refill) as memory empties; leased tickets
// are always in memory.
type core struct {
	lease  int64 // in nanoseconds
	maxLen int

	mu     sync.Mutex
	idle   sync.Cond // signalled when transit empties (Close waits for it)
	closed bool
	ready  entryHeap // not leased: due, or waiting for their time
	leased entryHeap // by lease end
	total  int       // tickets held: in memory, only on disk, or in transit
	gen    uint64    // hand-outs so far
	// seqs hands out the sequence numbers: reserved on disk in blocks
	// with a DB (pebble.go), in memory only without.
	seqs diskseq.Counter
	// transit holds the keys of the tickets being written: not on disk
	// yet (or not synced), so neither in memory nor to be read back.
	transit []key
	// wait wakes the claimers when a ticket may have become claimable.
	wait lease.Signal

	// With a DB (pebble.go).
	db       *pebble.DB
	prefix   []byte
	writeOpt *pebble.WriteOptions // of Enqueue's write
	// acked holds the keys of tickets acked and not yet removed from
	// disk: they are removed together, at the next Claim, at Close, or
	// when there are ackBatch of them.
	acked   []key
	maxHeld int  // ready tickets kept in memory
	spilled bool // tickets from horizon on may be only on disk
	horizon key
}

func newCore(opts Options) *core {
	c := &core{lease: int64(opts.Lease), maxLen: opts.MaxLen}
	if c.lease <= 0 {
		c.lease = int64(defaultLease)
	}
	c.idle.L = &c.mu
	c.leased.Order = lease.ByLease
	return c
}

func nowNano() int64 { return lease.Now() }

// unixNano returns t in Unix nanoseconds, clamped to what an int64 holds.
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// stage reserves a ticket's place: its key, and its count against MaxLen.
// The ticket is in transit until done.
func (c *core) stage(t Ticket) (*entry, error) {
	if t.ID == "" {
		return nil, errEmptyID
	}
	e := &entry{Val: ticket{id: t.ID, rev: t.Rev}}
	if !t.Due.IsZero() {
		e.Val.due, e.Val.hasDue = unixNano(t.Due), true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.maxLen > 0 && c.total >= c.maxLen {
		return nil, ErrFull
	}
	seq, err := c.nextSeq()
	if err != nil {
		return nil, err
	}
	e.Key = key{At: e.Val.due, Seq: seq}
	if !e.Val.hasDue {
		e.Key.At = nowNano()
	}
	c.total++
	c.transit = append(c.transit, e.Key)
	return e, nil
}

// done ends the transit of a staged ticket: written (err nil), it can be
// handed out; otherwise it is forgotten.
func (c *core) done(e *entry, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range c.transit {
		if k == e.Key {
			last := len(c.transit) - 1
			c.transit[i] = c.transit[last]
			c.transit = c.transit[:last]
			break
		}
	}
	if len(c.transit) == 0 {
		c.idle.Broadcast()
	}
	// Waiting claimers look again, also when the ticket stays on disk
	// (a refill may read it) or failed (a refill may read past it).
	c.notify()
	if err != nil {
		c.total--
		return
	}
	if !c.closed {
		c.place(e)
	}
}

// nextSeq returns a sequence number never used before, on disk or in
// memory. c.mu is held.
func (c *core) nextSeq() (uint64, error) { return c.seqs.Next() }

// place puts an entry that is not leased, and whose key is on disk (or
// that has no disk), where it belongs: in the ready heap, or only on disk
// when memory holds the tickets due before it and no more. c.mu is held.
func (c *core) place(e *entry) {
	if c.spilled && !e.Key.Less(c.horizon) {
		e.State = stGone
		return
	}
	e.State = stReady
	c.ready.Push(e)
	if c.db != nil && c.ready.Len() > c.maxHeld+c.slack() {
		c.shrink()
	}
}

// slack is how far past maxHeld memory may grow before it is shrunk: a
// shrink costs a pass over memory, once per slack tickets placed.
func (c *core) slack() int { return max(1, c.maxHeld/8) }

// shrink keeps in memory the maxHeld ready tickets due first: the others
// stay only on disk, and are read back from the horizon on. c.mu is held.
func (c *core) shrink() {
	cut := c.ready.Shrink(c.maxHeld, stGone)
	if !c.spilled || cut.Less(c.horizon) {
		c.spilled, c.horizon = true, cut
	}
}

// notify wakes the claimers waiting. c.mu is held.
func (c *core) notify() { c.wait.Notify() }

func (c *core) enqueue(ctx context.Context, t Ticket) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e, err := c.stage(t)
	if err != nil {
		return err
	}
	if c.db != nil {
		b := c.appendKey(make([]byte, 0, keyLen(c.prefix)+valueLen(e)), e.Key)
		kn := len(b)
		b = appendValue(b, e)
		err = c.db.Set(b[:kn], b[kn:], c.writeOpt)
	}
	c.done(e, err)
	return err
}

func (c *core) claim(ctx context.Context, dst []Claim, limit int) ([]Claim, error) {
	var t lease.Timer
	defer t.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return dst, err
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return dst, ErrClosed
		}
		if len(c.acked) > 0 {
			if err := c.removeAcked(); err != nil {
				c.mu.Unlock()
				return dst, err
			}
		}
		now := nowNano()
		c.expire(now)
		if c.spilled && c.ready.Len() < max(1, c.maxHeld/2) {
			if err := c.refill(); err != nil {
				c.mu.Unlock()
				return dst, err
			}
		}
		n := 0
		for n < limit && c.ready.Len() > 0 && c.ready.Min().Key.At <= now {
			e := c.ready.Pop()
			c.gen++
			e.Gen, e.Val.deliv, e.Lease, e.State = c.gen, e.Val.deliv+1, now+c.lease, stLeased
			c.leased.Push(e)
			dst = append(dst, &claim{c: c, e: e, gen: e.Gen, deliv: e.Val.deliv})
			n++
		}
		if n > 0 || limit <= 0 {
			c.mu.Unlock()
			return dst, nil
		}
		next := lease.NextWake(&c.ready, &c.leased)
		wait := c.wait.Chan()
		c.mu.Unlock()
		if err := t.Wait(ctx, wait, now, next); err != nil {
			return dst, err
		}
	}
}

// expire returns the tickets whose lease ended to the ready ones, with
// their keys: they come before the tickets due after them. c.mu is held.
func (c *core) expire(now int64) {
	for c.leased.Len() > 0 && c.leased.Min().Lease <= now {
		c.place(c.leased.Pop())
	}
}

func (c *core) len() (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	return c.total - len(c.transit), nil
}

func (c *core) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.closed = true
	c.notify()
	// The writes under way finish before the DB may be closed.
	for len(c.transit) > 0 {
		c.idle.Wait()
	}
	var err error
	if len(c.acked) > 0 {
		err = c.removeAcked()
	}
	c.ready, c.leased = entryHeap{}, entryHeap{Order: lease.ByLease}
	return err
}

// claim is a lease of one hand-out of an entry.
type claim struct {
	c     *core
	e     *entry
	gen   uint64
	deliv int32
}

func (cl *claim) Ticket() Ticket {
	e := cl.e // id, rev and due never change
	t := Ticket{ID: e.Val.id, Rev: e.Val.rev}
	if e.Val.hasDue {
		t.Due = time.Unix(0, e.Val.due)
	}
	return t
}

func (cl *claim) Deliveries() int { return int(cl.deliv) }

// held reports why the claim no longer holds its ticket. c.mu is held.
func (cl *claim) held() error {
	if cl.c.closed {
		return ErrClosed
	}
	if cl.e.State != stLeased || cl.e.Gen != cl.gen {
		return ErrLeaseLost
	}
	return nil
}

func (cl *claim) Ack() error {
	c, e := cl.c, cl.e
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := cl.held(); err != nil {
		return err
	}
	if c.db != nil {
		// Removed from disk with the acks around it, before the next
		// refill reads the disk (see acked).
		c.acked = append(c.acked, e.Key)
		if len(c.acked) >= ackBatch {
			if err := c.removeAcked(); err != nil {
				return err
			}
		}
	}
	c.leased.Remove(e)
	e.State = stGone
	c.total--
	return nil
}

func (cl *claim) Nak(delay time.Duration) error {
	c, e := cl.c, cl.e
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := cl.held(); err != nil {
		return err
	}
	seq, err := c.nextSeq()
	if err != nil {
		return err
	}
	k := key{At: lease.After(nowNano(), delay), Seq: seq}
	if c.db != nil {
		if err := c.moveKey(e, k); err != nil {
			return err
		}
	}
	c.leased.Remove(e)
	e.Key = k
	c.place(e)
	c.notify()
	return nil
}

func (cl *claim) Extend() error {
	c, e := cl.c, cl.e
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := cl.held(); err != nil {
		return err
	}
	e.Lease = nowNano() + c.lease
	c.leased.Fix(e)
	return nil
}
