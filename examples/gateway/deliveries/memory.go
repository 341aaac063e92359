package deliveries

import (
	"bytes"
	"context"
	"slices"
	"time"
)

// Memory is a Queue held in memory: the reference behaviour of the
// interface without a disk, for tests of the parts that use it. It keeps a
// copy of each delivery's body. Nothing survives Close.
type Memory struct{ c *core }

var _ Queue = (*Memory)(nil)

// NewMemory returns an empty queue.
func NewMemory(opts Options) *Memory { return &Memory{newCore(opts)} }

// Add adds a copy of the delivery and sets d.Seq.
func (q *Memory) Add(ctx context.Context, d *Delivery) error {
	c := *d
	c.Body = bytes.Clone(d.Body)
	if err := q.c.add(ctx, &c); err != nil {
		return err
	}
	d.Seq = c.Seq
	return nil
}

// Claim leases up to max of the account's deliveries, waiting for the
// first.
func (q *Memory) Claim(ctx context.Context, account string, dst []Claim, max int) ([]Claim, error) {
	return q.c.claim(ctx, account, dst, max)
}

// Lease returns the queue's lease time.
func (q *Memory) Lease() time.Duration { return time.Duration(q.c.lease) }

// Close stops the queue and drops its deliveries.
func (q *Memory) Close() error { return q.c.close() }

// Pending returns how many deliveries the account has, from the count the
// queue keeps.
func (q *Memory) Pending(account string) (int, error) { return q.c.pending(account) }

// Accounts returns, sorted, the accounts that have deliveries.
func (q *Memory) Accounts() ([]string, error) { return q.c.accounts() }

// Scan calls fn with copies of the account's deliveries whose Seq is from
// or more (leased or not), in Seq order, until fn returns false. fn may
// call the queue.
func (q *Memory) Scan(account string, from uint64, fn func(*Delivery) bool) error {
	c := q.c
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	var ds []*Delivery
	if a := c.accts[account]; a != nil {
		for seq, e := range a.held {
			if seq >= from {
				d := e.Val
				d.Body = bytes.Clone(d.Body)
				ds = append(ds, &d)
			}
		}
	}
	c.mu.Unlock()
	slices.SortFunc(ds, func(a, b *Delivery) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	for _, d := range ds {
		if !fn(d) {
			break
		}
	}
	return nil
}

// Remove deletes a delivery outside the claim protocol (a leased one's
// claim loses its lease); removing an unknown one is not an error.
func (q *Memory) Remove(account string, seq uint64) error {
	c := q.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.forget(account, seq)
	return nil
}
