package queue

import "errors"

var (
	// ErrClosed is returned by the methods of a closed queue and of its
	// claims.
	ErrClosed = errors.New("gateway queue: closed")
	// ErrFull is returned by Enqueue when the queue holds Options.MaxLen
	// tickets; the ESME side answers ESME_RMSGQFUL.
	ErrFull = errors.New("gateway queue: full")
	// ErrLeaseLost is returned by the methods of a claim whose ticket was
	// acked, naked, or handed out again since (its lease ended): the call
	// changes nothing. The single-node queue always tells; a JetStream
	// queue cannot (an ack names the stream sequence, not the delivery),
	// so no claimer may depend on it.
	ErrLeaseLost = errors.New("gateway queue: lease lost")
	// errEmptyID is returned by Enqueue for a ticket without an id.
	errEmptyID = errors.New("gateway queue: empty ticket id")
	// errCorrupt is returned when a stored ticket cannot be decoded.
	errCorrupt = errors.New("gateway queue: corrupt ticket")
)
