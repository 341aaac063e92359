package queue

import "context"

// Memory is a Queue held in memory: the reference behaviour of the
// interface without a disk, for tests of the parts that use a queue.
// Nothing survives Close.
type Memory struct{ c *core }

var _ Queue = (*Memory)(nil)

// NewMemory returns an empty queue.
func NewMemory(opts Options) *Memory { return &Memory{newCore(opts)} }

// Enqueue adds a ticket.
func (q *Memory) Enqueue(ctx context.Context, t Ticket) error { return q.c.enqueue(ctx, t) }

// Claim leases up to max due tickets, waiting for the first.
func (q *Memory) Claim(ctx context.Context, dst []Claim, max int) ([]Claim, error) {
	return q.c.claim(ctx, dst, max)
}

// Len returns how many tickets the queue holds.
func (q *Memory) Len() (int, error) { return q.c.len() }

// Close stops the queue and drops its tickets.
func (q *Memory) Close() error { return q.c.close() }
