package session

import (
	"errors"
	"fmt"

	"github.com/esmsafrica/smpp/pdu"
)

var (
	// ErrClosed is returned for work asked of a session that has ended.
	ErrClosed = errors.New("smpp: session closed")
	// ErrTimeout means no response arrived within the response timeout. The
	// request may or may not have been processed by the peer.
	ErrTimeout = errors.New("smpp: response timeout")
	// ErrNotAllowed means the PDU may not be sent in the session's current state
	// (for example submit_sm before bind, or deliver_sm to a transmitter). Nothing
	// was sent.
	ErrNotAllowed = errors.New("smpp: PDU not allowed in this session state")
	// ErrResponded is returned by a second Respond for the same request.
	ErrResponded = errors.New("smpp: request already answered")
	// ErrNoResponse is returned by Respond for a request that has no response
	// (outbind, alert_notification).
	ErrNoResponse = errors.New("smpp: this request has no response")
)

// LostError completes a request whose session ended before its response came.
// Sent tells whether the request had been handed to the connection: when false
// the peer never saw it and it is safe to send again; when true the peer may
// have processed it ("maybe sent"). It wraps ErrClosed.
type LostError struct {
	Request pdu.PDU // the request, so the caller can send it again
	Sent    bool
}

// Error implements error.
func (e *LostError) Error() string {
	if e.Sent {
		return fmt.Sprintf("smpp: session closed before the %s response: it was sent and may have been processed", e.Request.CommandID())
	}
	return fmt.Sprintf("smpp: session closed before the %s was sent: safe to send again", e.Request.CommandID())
}

// Unwrap returns ErrClosed.
func (e *LostError) Unwrap() error { return ErrClosed }

// StateError reports a PDU not allowed in a state. It wraps ErrNotAllowed.
type StateError struct {
	ID    pdu.CommandID
	State State
	Role  Role
}

// Error implements error.
func (e *StateError) Error() string {
	return fmt.Sprintf("smpp: an %s may not send %s in state %s", e.Role, e.ID, e.State)
}

// Unwrap returns ErrNotAllowed and ESME_RINVBNDSTS.
func (e *StateError) Unwrap() []error { return []error{ErrNotAllowed, pdu.ESME_RINVBNDSTS} }
