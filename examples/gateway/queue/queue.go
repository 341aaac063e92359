package queue

import (
	"context"
	"time"
)

// Ticket is a message waiting for an upstream, as the queue holds it: a
// reference to the message's record in the state part, not the message.
// A ticket never changes once enqueued (a JetStream message cannot).
type Ticket struct {
	// ID is the message id. It must not be empty.
	ID string
	// Rev is the revision of the message's record the ticket was made for.
	// A claimer that reads an older revision is behind (a replica or a
	// projection lagging) and tries again shortly; a newer one means the
	// record changed while the ticket waited, and the record decides (see
	// the package documentation). Zero when revisions are not used.
	Rev uint64
	// Due is the earliest time the ticket is handed out. The zero value
	// means as soon as it is enqueued.
	Due time.Time
}

// Claim is a ticket handed to one claimer, leased to it until it acks or
// naks the ticket or the lease ends; then the ticket is handed out again.
// What the methods of a claim whose lease ended do depends on the backend
// (see ErrLeaseLost): the claim protocol of the package documentation
// makes them harmless.
type Claim interface {
	// Ticket returns the ticket as it was enqueued.
	Ticket() Ticket
	// Deliveries is how many times the ticket has been handed out, this
	// time included: 1 the first time. On a single node a restart forgets
	// the hand-outs since the ticket was last naked. Nothing depends on it
	// for correctness.
	Deliveries() int
	// Ack removes the ticket: the message no longer needs it.
	Ack() error
	// Nak gives the ticket back, to be handed out again not before delay
	// from now (at once for zero or less).
	Nak(delay time.Duration) error
	// Extend renews the lease for the queue's full lease time from now,
	// for a claimer that needs longer (an upstream slow to answer).
	Extend() error
}

// Queue holds the tickets of accepted messages waiting for an upstream,
// durably: a ticket enqueued is kept until a claimer acks it, across
// restarts and crashes of the process and of its claimers. Tickets are
// handed out in the order of their due time, and in the order they were
// enqueued among tickets due at the same time; a ticket naked with a delay
// is due again at the end of the delay; a ticket whose lease ended is
// handed out again, before the tickets that became due after it.
//
// Methods are safe for concurrent use.
type Queue interface {
	// Enqueue adds a ticket. When it returns nil the ticket is durable as
	// the implementation promises (on disk, or replicated). It fails with
	// ErrFull when the queue holds as many tickets as it may.
	Enqueue(ctx context.Context, t Ticket) error
	// Claim waits until at least one ticket is due, or ctx ends, then
	// leases up to max due tickets and appends them to dst, in order.
	// It returns ctx's error when ctx ends first, and ErrClosed once the
	// queue is closed.
	Claim(ctx context.Context, dst []Claim, max int) ([]Claim, error)
	// Len returns how many tickets the queue holds: every ticket enqueued
	// and not acked, leased or not, due or not.
	Len() (int, error)
	// Close stops the queue: a waiting Claim returns ErrClosed, and the
	// methods of the queue and of its claims fail with ErrClosed. The
	// tickets not acked stay for the next open, their leases void.
	Close() error
}
