package deliveries

import (
	"context"
	"errors"
	"time"
)

// Delivery is a deliver_sm waiting for an ESME: a receipt (its id already
// the gateway's) or an MO message, for the binds of one account.
type Delivery struct {
	// Account is the system_id of the ESME it goes to. It must not be
	// empty.
	Account string
	// Seq is set by Add: it grows with every delivery added (across the
	// accounts and restarts, on one node; the stream sequence on
	// JetStream), so it orders an account's deliveries, and together with
	// Account it names one.
	Seq uint64
	// Body is the deliver_sm body to send, as encoded. The queue keeps it
	// as given: it must not be modified once added.
	Body []byte
	// Created is when the delivery was made.
	Created time.Time
	// Bind names the ESME bind the delivery is for first (a receipt: the
	// bind that submitted its message, store.Message.Bind): the claimer
	// sends it there while that bind can take it, to any bind of the
	// account otherwise. Empty: any bind. The queue keeps it as given.
	Bind string
}

// Claim is a delivery handed to one claimer (a pusher, for one send to one
// bind), leased to it until it acks or naks it or the lease ends; then the
// delivery is handed out again, maybe to another claimer or node.
type Claim interface {
	// Delivery returns the delivery as it was added. It is shared: do not
	// modify it.
	Delivery() *Delivery
	// Ack removes the delivery: the ESME acknowledged it.
	Ack() error
	// Nak gives the delivery back, to be handed out again not before delay
	// from now (at once for zero or less): the ESME refused it, did not
	// answer in time, or its bind went away.
	Nak(delay time.Duration) error
	// Extend renews the lease for the queue's full lease time from now.
	Extend() error
}

// Queue holds the deliveries waiting for ESMEs, per account, durably: a
// delivery added is kept until a claimer acks it, across restarts and
// crashes of the process and of its claimers. An account's deliveries are
// handed out in Seq order, except that a delivery naked, or whose lease
// ended, is handed out again once due before those not handed out yet.
// The accounts are independent: a claim names one, and nothing of another
// account delays it.
//
// Methods are safe for concurrent use.
type Queue interface {
	// Add adds a delivery and sets d.Seq. When it returns nil the delivery
	// is durable as the implementation promises (on disk, or replicated).
	Add(ctx context.Context, d *Delivery) error
	// Claim waits until at least one of the account's deliveries can be
	// handed out, or ctx ends, then leases up to max of them and appends
	// them to dst, in order. It returns ctx's error when ctx ends first,
	// and ErrClosed once the queue is closed.
	Claim(ctx context.Context, account string, dst []Claim, max int) ([]Claim, error)
	// Pending returns how many deliveries the account has: added and not
	// acked, leased or not. Its cost depends on the implementation: Memory
	// and Pebble keep a count per account in memory (Pebble sets it at
	// open from one pass over the keys on disk), so it reads no disk and
	// is cheap enough for every poll of a status page or scrape of the
	// metrics. The JetStream queue asks the server: two requests (the
	// stream's count of the account's subject, the account's consumer)
	// or more, repeated for up to 200 ms while the two disagree on a
	// cluster; call it for status pages and tests, not for every delivery.
	Pending(account string) (int, error)
	// Accounts returns, sorted, the accounts that have deliveries pending.
	Accounts() ([]string, error)
	// Lease returns how long a claim holds its delivery: a claimer that may
	// take longer (a deliver_timeout above it) extends its claims.
	Lease() time.Duration
	// Close stops the queue: a waiting Claim returns ErrClosed, and the
	// methods of the queue and of its claims fail with ErrClosed. The
	// deliveries not acked stay for the next open, their leases void.
	Close() error
}

var (
	// ErrClosed is returned by the methods of a closed queue and of its
	// claims.
	ErrClosed = errors.New("gateway deliveries: closed")
	// ErrLeaseLost is returned by the methods of a claim whose delivery was
	// acked, naked, removed, or handed out again since (its lease ended):
	// the call changes nothing. The single-node queue always tells; a
	// JetStream queue cannot (an ack names the stream sequence, not the
	// hand-out), so no claimer may depend on it.
	ErrLeaseLost = errors.New("gateway deliveries: lease lost")
	// errEmptyAccount is returned by Add for a delivery without an account.
	errEmptyAccount = errors.New("gateway deliveries: empty account")
	// errCorrupt is returned when a stored delivery cannot be decoded.
	errCorrupt = errors.New("gateway deliveries: corrupt delivery")
)

// Options tunes a single-node queue. The zero value is a sensible default.
type Options struct {
	// Lease is how long a claim holds its delivery before the delivery is
	// handed out again. It must be longer than the time a claimer takes
	// to hear from the ESME (the gateway's deliver_timeout), or the
	// claimer extends. Zero means DefaultLease.
	Lease time.Duration
}

// DefaultLease is the lease of a queue whose Options leave it zero: four
// times the gateway's default deliver_timeout.
const DefaultLease = 2 * time.Minute
