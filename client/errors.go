package client

import (
	"errors"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

var (
	// ErrClosed is the error of requests made after Close, and of requests
	// still waiting (for a bind, the window or a retry) when Close ran. Such a
	// request was not sent.
	ErrClosed = errors.New("smpp: client closed")
	// ErrNotBound is wrapped, with the context's error, by the error of a
	// request whose context ended while no bind that could carry it was up.
	// It was not sent.
	ErrNotBound = errors.New("smpp: no bind available")
	// ErrWindowFull is wrapped, with the context's error, by the error of a
	// request whose context ended while it waited for room in the window. It
	// was not sent.
	ErrWindowFull = errors.New("smpp: window full")
	// ErrRateLimited is wrapped, with the context's error, by the error of a
	// request whose context ended while it waited for the rate limiter or a
	// back-off after throttling. It was not sent.
	ErrRateLimited = errors.New("smpp: waiting for the rate limit")
	// ErrTimeout means no response arrived within the response timeout: the
	// request may or may not have been processed. It is session.ErrTimeout.
	ErrTimeout = session.ErrTimeout
)

// LostError completes a request whose connection ended before its response;
// Sent tells whether it may have reached the SMSC. The client resends a lost
// request that was not sent by itself, so the errors callers see have Sent
// set ("maybe sent": do not resend blindly, query_sm or wait for a receipt).
type LostError = session.LostError

// CanceledError completes a request whose context ended after it was queued;
// Sent tells whether it may have reached the SMSC.
type CanceledError = session.CanceledError

// notSentError is a request that never left the client: the reason
// (ErrNotBound, ErrWindowFull, ErrRateLimited, ErrClosed) and the cause.
type notSentError struct {
	reason error
	cause  error
	id     pdu.CommandID
}

// Error implements error.
func (e *notSentError) Error() string {
	if e.cause == nil || e.cause == e.reason {
		return e.reason.Error() + ": " + e.id.String() + " not sent"
	}
	return e.reason.Error() + ": " + e.id.String() + " not sent: " + e.cause.Error()
}

func (e *notSentError) Unwrap() []error {
	if e.cause == nil || e.cause == e.reason {
		return []error{e.reason}
	}
	return []error{e.reason, e.cause}
}

// NotSent reports whether err says the request never reached the SMSC, so
// that sending it again cannot duplicate it: the client was closed, no bind
// came up, the window or the rate limiter did not open in time, the request
// was not allowed in the session's state or could not be encoded, or the
// connection ended before it was written. It is false for a response status
// (the SMSC saw the request and refused it), a timeout and a *LostError or
// *CanceledError with Sent set.
func NotSent(err error) bool {
	if err == nil {
		return false
	}
	var ns *notSentError
	if errors.As(err, &ns) {
		return true
	}
	var le *session.LostError
	if errors.As(err, &le) {
		return !le.Sent
	}
	var ce *session.CanceledError
	if errors.As(err, &ce) {
		return !ce.Sent
	}
	var se *session.StateError
	if errors.As(err, &se) {
		return true
	}
	var fe *pdu.FieldError
	return errors.As(err, &fe)
}

// throttled reports whether a status asks the client to slow down.
func throttled(err error) bool {
	s, ok := err.(pdu.Status)
	return ok && (s == pdu.ESME_RTHROTTLED || s == pdu.ESME_RMSGQFUL)
}
