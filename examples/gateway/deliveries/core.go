package deliveries

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/esmsafrica/smpp/examples/gateway/internal/diskseq"
	"github.com/esmsafrica/smpp/examples/gateway/internal/lease"
)

// core is the single-node queue: the scheduling in memory, and, when db is
// set, the deliveries on disk (pebble.go).
//
// Every delivery in memory has its key on disk (with a DB): an added
// delivery enters memory only once its write is committed. An account's
// deliveries are all in memory (in held) unless the account is spilled:
// then those whose Seq is horizon or more may be only on disk, and are
// read back in Seq order (refill) as memory empties. A reading of the disk
// skips what memory holds and the deliveries being written (transit,
// placed when done), and finds no acked delivery (the acks are removed from disk
// first): so no delivery is ever held twice, and none is handed out twice
// while leased.
type core struct {
	lease int64 // in nanoseconds

	mu      sync.Mutex
	idle    sync.Cond // signalled when transit reaches zero (Close waits for it)
	closed  bool
	accts   map[string]*account
	transit int    // deliveries being written, all accounts
	gen     uint64 // hand-outs so far
	// seqs hands out the Seqs: reserved on disk in blocks with a DB
	// (pebble.go), in memory only without.
	seqs diskseq.Counter

	// With a DB (pebble.go).
	db       *pebble.DB
	prefix   []byte
	writeOpt *pebble.WriteOptions // of Add's write
	maxHeld  int                  // deliveries an account keeps in memory
	// acked holds the deliveries acked and not yet removed from disk: they
	// are removed together, ackDelay later, or when there are ackBatch of
	// them, and always before the disk is read.
	acked []ackedKey
	flush *time.Timer // the removal of acked, when scheduled
	// failRemoval, in tests, fails a removal of acked deliveries from disk
	// (before it is written) when it returns an error; nil: never.
	failRemoval func() error
}

// account is one account's deliveries in memory: those not leased are
// bounded by maxHeld. Guarded by core.mu.
type account struct {
	name   string
	fresh  entryHeap         // not handed out since added or read back, by Seq
	later  entryHeap         // naked, or their lease ended, by due time
	leased entryHeap         // by lease end
	held   map[uint64]*entry // every entry of the heaps, by Seq
	wait   lease.Signal      // wakes the claimers when a delivery may have become claimable
	// spilled: deliveries from Seq horizon on may be only on disk.
	spilled bool
	horizon uint64
	// transit holds the Seqs being written: neither in memory nor to be
	// read back yet.
	transit []uint64
	// pending counts the deliveries committed and not acked or removed,
	// in memory or on disk only: Pending answers from it, so that a status
	// page polling it never reads the disk.
	pending int
}

type ackedKey struct {
	account string
	seq     uint64
}

func newCore(opts Options) *core {
	c := &core{lease: int64(opts.Lease), accts: map[string]*account{}}
	if c.lease <= 0 {
		c.lease = int64(DefaultLease)
	}
	c.idle.L = &c.mu
	return c
}

func nowNano() int64 { return lease.Now() }

// account returns the account's state, made on first use: with a DB, it
// starts spilled (everything may be on disk only). c.mu is held.
func (c *core) account(name string) *account {
	a := c.accts[name]
	if a == nil {
		a = &account{name: name, held: map[uint64]*entry{}, spilled: c.db != nil}
		a.fresh.Order, a.later.Order, a.leased.Order = lease.BySeq, lease.ByKey, lease.ByLease
		c.accts[name] = a
	}
	return a
}

// stage reserves a delivery's Seq and puts it in transit until done.
func (c *core) stage(d *Delivery) (*entry, error) {
	if d.Account == "" {
		return nil, errEmptyAccount
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	seq, err := c.nextSeq()
	if err != nil {
		return nil, err
	}
	// The entry and its delivery in one allocation.
	e := &entry{
		Key: lease.Key{Seq: seq},
		Val: Delivery{Account: d.Account, Seq: seq, Body: d.Body, Created: d.Created, Bind: d.Bind},
	}
	a := c.account(d.Account)
	a.transit = append(a.transit, seq)
	c.transit++
	return e, nil
}

// done ends the transit of a staged delivery: written (err nil), it can be
// handed out; otherwise it is forgotten.
func (c *core) done(e *entry, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.accts[e.Val.Account]
	if i := slices.Index(a.transit, e.Val.Seq); i >= 0 {
		a.transit = slices.Delete(a.transit, i, i+1)
	}
	if c.transit--; c.transit == 0 {
		c.idle.Broadcast()
	}
	// Waiting claimers look again, also when the delivery stays on disk (a
	// refill may read it) or failed (a refill may read past it).
	a.notify()
	if err == nil {
		// Committed: counted even when closed (it is on disk for the next
		// open, which counts it again from there).
		a.pending++
		if !c.closed {
			c.place(a, e)
		}
	}
}

// nextSeq returns a Seq never used before, on disk or in memory. c.mu is
// held.
func (c *core) nextSeq() (uint64, error) { return c.seqs.Next() }

// place puts a delivery just written in memory, or leaves it on disk only
// when memory holds the account's bound or the account is spilled below
// it. c.mu is held.
func (c *core) place(a *account, e *entry) {
	seq := e.Val.Seq
	if a.spilled && seq >= a.horizon {
		e.State = stGone
		return
	}
	if c.db != nil && a.waiting() >= c.maxHeld {
		// Read back later, with what follows it.
		a.spilled, a.horizon = true, seq
		e.State = stGone
		return
	}
	e.State = stFresh
	a.fresh.Push(e)
	a.held[seq] = e
}

// waiting returns how many of the account's deliveries memory holds that
// are not leased: what MaxHeld bounds (a claimer bounds its claims).
func (a *account) waiting() int { return a.fresh.Len() + a.later.Len() }

// notify wakes the account's waiting claimers. c.mu is held.
func (a *account) notify() { a.wait.Notify() }

func (c *core) add(ctx context.Context, d *Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e, err := c.stage(d)
	if err != nil {
		return err
	}
	if c.db != nil {
		b := appendKey(make([]byte, 0, keyLen(c.prefix, d.Account)+valueLen(&e.Val)), c.prefix, d.Account, e.Val.Seq)
		kn := len(b)
		b = appendValue(b, &e.Val)
		e.Val.Body = bodyIn(b, &e.Val) // the queue's own copy
		err = c.db.Set(b[:kn], b[kn:], c.writeOpt)
	}
	c.done(e, err)
	if err == nil {
		d.Seq = e.Val.Seq
	}
	return err
}

func (c *core) claim(ctx context.Context, name string, dst []Claim, limit int) ([]Claim, error) {
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
		a := c.account(name)
		now := nowNano()
		c.expire(a, now)
		if a.spilled && a.fresh.Len() < max(1, c.maxHeld/2) {
			if err := c.refill(a); err != nil {
				c.mu.Unlock()
				return dst, err
			}
		}
		n := 0
		for n < limit {
			var e *entry
			switch {
			case a.later.Len() > 0 && a.later.Min().Key.At <= now:
				e = a.later.Pop()
			case a.fresh.Len() > 0:
				e = a.fresh.Pop()
			}
			if e == nil {
				break
			}
			c.gen++
			e.Gen, e.Lease, e.State = c.gen, now+c.lease, stLeased
			a.leased.Push(e)
			dst = append(dst, &claim{c: c, a: a, e: e, gen: e.Gen})
			n++
		}
		if n > 0 || limit <= 0 {
			c.mu.Unlock()
			return dst, nil
		}
		next := lease.NextWake(&a.later, &a.leased)
		wait := a.wait.Chan()
		c.mu.Unlock()
		if err := t.Wait(ctx, wait, now, next); err != nil {
			return dst, err
		}
	}
}

// expire hands the deliveries whose lease ended back, due at once: they
// come before the fresh ones. c.mu is held.
func (c *core) expire(a *account, now int64) {
	for a.leased.Len() > 0 && a.leased.Min().Lease <= now {
		e := a.leased.Pop()
		e.Key.At, e.State = e.Lease, stLater
		a.later.Push(e)
	}
}

// forget takes the account's delivery seq out of memory, if memory holds
// it, and reports whether it did (the delivery was pending). c.mu is held.
func (c *core) forget(account string, seq uint64) bool {
	if a := c.accts[account]; a != nil {
		if e := a.held[seq]; e != nil {
			a.drop(e)
			a.pending--
			return true
		}
	}
	return false
}

// pending returns the account's count of deliveries added and not acked
// or removed, without reading the disk.
func (c *core) pending(account string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	if a := c.accts[account]; a != nil {
		return a.pending, nil
	}
	return 0, nil
}

// accounts returns, sorted, the accounts whose count of deliveries pending
// is above zero: no disk read.
func (c *core) accounts() ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	var names []string
	for name, a := range c.accts {
		if a.pending > 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// drop takes an entry out of memory, wherever it is. c.mu is held.
func (a *account) drop(e *entry) {
	switch e.State {
	case stFresh:
		a.fresh.Remove(e)
	case stLater:
		a.later.Remove(e)
	case stLeased:
		a.leased.Remove(e)
	}
	delete(a.held, e.Val.Seq)
	e.State = stGone
}

func (c *core) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.closed = true
	for _, a := range c.accts {
		a.notify()
	}
	// The writes under way finish before the DB may be closed.
	for c.transit > 0 {
		c.idle.Wait()
	}
	var err error
	if c.db != nil {
		err = c.removeAcked()
	}
	c.accts = nil
	return err
}

// claim is a lease of one hand-out of an entry.
type claim struct {
	c   *core
	a   *account
	e   *entry
	gen uint64
}

func (cl *claim) Delivery() *Delivery { return &cl.e.Val }

// held reports why the claim no longer holds its delivery. c.mu is held.
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
	c, a, e := cl.c, cl.a, cl.e
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := cl.held(); err != nil {
		return err
	}
	a.drop(e)
	a.pending--
	if c.db != nil {
		return c.ackLater(a.name, e.Val.Seq)
	}
	return nil
}

func (cl *claim) Nak(delay time.Duration) error {
	c, a, e := cl.c, cl.a, cl.e
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := cl.held(); err != nil {
		return err
	}
	a.leased.Remove(e)
	e.Key.At, e.State = lease.After(nowNano(), delay), stLater
	a.later.Push(e)
	a.notify()
	return nil
}

func (cl *claim) Extend() error {
	c, a, e := cl.c, cl.a, cl.e
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := cl.held(); err != nil {
		return err
	}
	e.Lease = nowNano() + c.lease
	a.leased.Fix(e)
	return nil
}
