// Package store is the gateway's durable message store: every accepted message,
// its state through routing and delivery, the index from upstream message ids
// back to gateway ids, and the receipts and MO messages waiting for an ESME to
// bind. The interface has two implementations in mind: Pebble (embedded,
// single node, this package) and NATS JetStream (active-active, later).
package store

import (
	"errors"
	"time"
)

// ErrNotFound is returned for an unknown message id or upstream id.
var ErrNotFound = errors.New("gateway store: not found")

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
	Body       []byte    // the request body exactly as received, forwarded verbatim
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

	// Kept by the Pebble store in the values it writes and returns; a copy
	// of a Message carries them along.
	stored State  // the state this store last wrote for the message; 0 if unknown
	upKey  string // the upstream index key of the last MapUpstream (for Purge)
	upMore bool   // earlier MapUpstreams of the message left other index keys
}

// copyState sets m's state fields from src.
func (m *Message) copyState(src *Message) {
	m.State, m.Route, m.UpstreamID, m.Attempts = src.State, src.Route, src.UpstreamID, src.Attempts
	m.Error, m.NextTry, m.Done = src.Error, src.NextTry, src.Done
}

// The fields of a Message fall in two groups. Accept and Replace store them
// all; Update, MapUpstream and UpdateWithDelivery store only the state
// fields (State, Route, UpstreamID, Attempts, Error, NextTry, Done), so that
// a message's body, written once when it is accepted, is not written again at
// every step of its way.

// Delivery is a deliver_sm waiting for the ESME: a receipt (with the id
// already rewritten) or an MO message. It is removed once the ESME acknowledged it.
type Delivery struct {
	Account string    // system_id it goes to
	Seq     uint64    // assigned by AddDelivery; orders an account's deliveries
	Body    []byte    // the deliver_sm body to send
	Created time.Time // when it was queued
}

// Store is the gateway's durable state. Methods are safe for concurrent use;
// concurrent synced writes are committed together (group commit).
type Store interface {
	// Accept stores a new message durably (synced) before it returns: only
	// then may the ESME be told ESME_ROK.
	Accept(m *Message) error
	// Update stores m's state fields (see Message). sync makes it durable
	// before returning. Updating a message that was never accepted stores
	// nothing that Get returns.
	Update(m *Message, sync bool) error
	// Replace stores every field of m, like Accept, for a message that is
	// already stored (replace_sm changes its body).
	Replace(m *Message, sync bool) error
	// Get returns the message with this id.
	Get(id string) (*Message, error)
	// LastID returns the greatest message id stored (ids compare as
	// strings), or "" when there is none.
	LastID() (string, error)
	// MapUpstream stores m's state fields (with Route and UpstreamID set) and records the
	// index entry (m.Route, upstreamKey) -> m.ID used to rewrite receipts, in one
	// atomic write. upstreamKey is the normalised upstream id.
	MapUpstream(m *Message, upstreamKey string, sync bool) error
	// LookupUpstream returns the gateway id for an upstream id of a route.
	// upstreamKey is the normalised id (see pdu.NormalizeMessageID).
	LookupUpstream(route, upstreamKey string) (string, error)
	// Pending calls fn for every message in state Queued or Inflight (at
	// start-up, to rebuild the routing queue), until fn returns false.
	Pending(fn func(*Message) bool) error
	// AddDelivery queues a deliver_sm for an account durably and sets d.Seq.
	AddDelivery(d *Delivery, sync bool) error
	// UpdateWithDelivery stores m's state fields and queues d in one atomic write (and sets
	// d.Seq): a receipt is either recorded and queued for the ESME, or
	// neither, whatever the moment of a crash.
	UpdateWithDelivery(m *Message, d *Delivery, sync bool) error
	// RemoveDelivery deletes an acknowledged delivery.
	RemoveDelivery(account string, seq uint64) error
	// Deliveries calls fn for an account's queued deliveries whose Seq is
	// from or more, in Seq order, until fn returns false.
	Deliveries(account string, from uint64, fn func(*Delivery) bool) error
	// Accounts returns the accounts that have queued deliveries.
	Accounts() ([]string, error)
	// Purge deletes final messages (and their index entries) that reached their
	// final state before the given time, and returns how many it deleted.
	Purge(before time.Time) (int, error)
	// Close flushes and closes the store.
	Close() error
}
