// Package store is the gateway's durable message store: every accepted message,
// its state through routing and delivery, the index from upstream message ids
// back to gateway ids, and the receipts and MO messages waiting for an ESME to
// bind. It has three implementations: Memory (tests), Pebble (embedded, a
// single node) and jsstore (NATS JetStream, a cluster of active-active
// nodes); package storetest is the suite every one of them passes.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// ErrNotFound is returned for an unknown message id or upstream id.
var ErrNotFound = errors.New("gateway store: not found")

// ErrConflict is returned by a compare-and-set whose message changed since
// it was read: read it again (Get) and decide anew.
var ErrConflict = errors.New("gateway store: the message changed since it was read; read it again")

// State is a message's state in the gateway.
type State uint8

// The message states. Queued and Inflight are the only non-final states held
// for routing; Enroute means the upstream accepted it and a receipt may follow.
const (
	Queued        State = iota + 1 // accepted from the ESME, waiting for an upstream
	Inflight                       // submit_sm sent upstream, response not yet recorded
	Enroute                        // upstream accepted it (UpstreamID set)
	Delivered                      // final: receipt DELIVRD
	Expired                        // final: validity period passed, or receipt EXPIRED
	Deleted                        // final: cancelled by cancel_sm, or receipt DELETED
	Undeliverable                  // final: receipt UNDELIV
	Accepted                       // final: receipt ACCEPTD
	Unknown                        // final as far as the gateway knows (see the crash policy)
	Rejected                       // final: upstream rejected it, or receipt REJECTD
)

// Final reports whether no further state change is expected from routing.
func (s State) Final() bool { return s >= Delivered }

// Message is one short message accepted from an ESME.
type Message struct {
	ID         string    // the id the ESME got in submit_sm_resp
	Account    string    // the ESME's system_id
	Command    uint32    // command_id of the request (submit_sm or data_sm)
	Body       []byte    // the request body as received, forwarded verbatim; never modified once stored
	Source     string    // source_addr (for query_sm/cancel_sm checks)
	Dest       string    // destination_addr (for routing)
	Registered uint8     // registered_delivery as received
	State      State     // current state
	Route      string    // upstream that has it (once Inflight)
	UpstreamID string    // upstream's message id (once Enroute)
	Attempts   int       // upstream submit attempts so far
	Error      uint8     // error code for query_sm_resp
	Created    time.Time // when accepted
	Expires    time.Time // validity deadline; zero = gateway default
	NextTry    time.Time // earliest next upstream attempt (retry back-off)
	Done       time.Time // when it reached a final state
	// Bind names the ESME bind that submitted the message, when that bind
	// can take deliveries (a transceiver): its receipt goes to that bind
	// while it is bound, to any receiver of the account otherwise. Empty
	// for a transmitter's submission, the HTTP API's, and messages stored
	// before the field existed. Written by Accept and Replace only.
	Bind string

	// Rev is the record's revision: 1 once accepted, one more at every
	// change. A change is a compare-and-set: it is refused (ErrConflict)
	// unless Rev is the stored revision, and on success Rev is the new
	// one. Two writers racing on one message (a cancel_sm and a dispatch,
	// a receipt and a repeat of it), on one node or on several, cannot
	// both win.
	Rev uint64
}

// The fields of a Message fall in two groups. Accept and Replace store them
// all; Update, Mark, MapUpstream and UpdateWithDelivery store only the state
// fields (State, Route, UpstreamID, Attempts, Error, NextTry, Done), so that
// a message's body, written once when it is accepted, is not written again at
// every step of its way.

// Delivery is a deliver_sm waiting for the ESME: a receipt (with the id
// already rewritten) or an MO message, in the deliveries part (see
// DeliveryQueue). It is removed once the ESME acknowledged it.
type Delivery = deliveries.Delivery

// Store is the gateway's durable state: message records changed by
// compare-and-set on their revision, the index from upstream ids to them,
// the queue of messages waiting for an upstream (Queue), and the deliveries
// waiting for an ESME (DeliveryQueue: added, claimed and acked there; only
// the receipt of a final state is written here, by UpdateWithDelivery).
// Methods are safe for concurrent use.
//
// Durability is the store's promise, not the caller's choice: every write
// is durable (on disk, or replicated) when it returns, except three whose
// loss in a crash the gateway's crash policy covers: Mark (the message is
// found Queued again and sent again with its dedupe key), MapUpstream (it
// is in the log in order, before the queue's ack of the message's ticket:
// a crash that loses it loses the ack too, and the ticket comes back). The
// deliveries part (DeliveryQueue) makes its own promises (see package
// deliveries). Concurrent writes are committed together (group commit), so
// that many writers share one sync.
type Store interface {
	// Accept stores a new message with Rev 1 and puts its ticket in the
	// queue (Queue), in one durable write: only then may the ESME be told
	// ESME_ROK.
	Accept(m *Message) error
	// AcceptAsync is Accept for a caller that must not block (a
	// session's read loop): it returns at once and calls then with
	// Accept's error once the message and its ticket are durable, or
	// refused; then may be called before AcceptAsync returns, or on
	// another goroutine, and must not block.
	AcceptAsync(m *Message, then func(error))
	// Update stores m's state fields (see Message) if m.Rev is the stored
	// revision (else ErrConflict; ErrNotFound for a message never
	// accepted or purged), and sets m.Rev to the new revision.
	Update(m *Message) error
	// Mark is Update for a change that a crash may forget: an Inflight
	// mark towards an upstream that recognises a message sent again (a
	// dedupe key), which needs no disk. It orders writers like Update; a
	// single-node backend may keep the change in memory only.
	Mark(m *Message) error
	// Replace stores every field of m, like Accept, over the stored
	// message, by compare-and-set like Update (replace_sm changes its body).
	Replace(m *Message) error
	// Get returns the message with this id, newest revision. Its Body is
	// shared and must not be modified.
	Get(id string) (*Message, error)
	// LastID returns the greatest message id stored (ids compare as
	// strings), or "" when there is none.
	LastID() (string, error)
	// MapUpstream is Update with Route and UpstreamID set, and records the
	// index entry (m.Route, upstreamKey) -> m.ID used to rewrite receipts,
	// in the same atomic write. It need not be durable when it returns,
	// only ordered before the writes that follow it (see above). upstreamKey is the normalised upstream id
	// (see pdu.NormalizeMessageID).
	MapUpstream(m *Message, upstreamKey string) error
	// MapUpstreamAsync is MapUpstream for a caller that must not block
	// (an SMSC client's read loop, on the answer to a submit_sm): then is
	// called once with its error, possibly before MapUpstreamAsync
	// returns, and must not block.
	MapUpstreamAsync(m *Message, upstreamKey string, then func(error))
	// LookupUpstream returns the gateway id for an upstream id of a route,
	// or ErrNotFound.
	LookupUpstream(route, upstreamKey string) (string, error)
	// WaitUpstream is LookupUpstream that waits, until ctx ends, for the
	// entry to be recorded: a receipt may come before the submit_sm_resp
	// of its message has been recorded (on any node). It returns
	// ErrNotFound when ctx ends first.
	WaitUpstream(ctx context.Context, route, upstreamKey string) (string, error)
	// DeliveryQueue returns the deliveries waiting for ESMEs, which the
	// pushers claim and ack (see package deliveries). It is closed with
	// the store.
	DeliveryQueue() deliveries.Queue
	// UpdateWithDelivery is Update and DeliveryQueue().Add in one atomic
	// write: a receipt is either recorded and queued for the ESME, or
	// neither, whatever the moment of a crash. It sets d.Seq.
	UpdateWithDelivery(m *Message, d *Delivery) error
	// UpdateWithDeliveryAsync is UpdateWithDelivery for a caller that
	// must not block (an SMSC client's read loop), as AcceptAsync is
	// Accept: then is called once with its error, and must not block.
	// d may be nil: an Update without waiting.
	UpdateWithDeliveryAsync(m *Message, d *Delivery, then func(error))
	// Purge deletes final messages (and their index entries) that reached their
	// final state before the given time, and returns how many it deleted.
	Purge(before time.Time) (int, error)
	// Queue returns the queue of the messages waiting for an upstream,
	// whose tickets Accept puts there (see package queue for the claim
	// protocol). It is closed with the store.
	Queue() queue.Queue
	// Close closes the queue, then flushes and closes the store.
	Close() error
}
