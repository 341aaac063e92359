package server

import (
	"errors"

	"github.com/esmsafrica/smpp/session"
)

var (
	// ErrServerClosed is returned by Serve, ListenAndServe and their TLS
	// variants after Shutdown or Close.
	ErrServerClosed = errors.New("smpp: server closed")
	// ErrNoReceiver is returned by Deliver and DataSM when no session of the
	// system_id is bound as receiver or transceiver.
	ErrNoReceiver = errors.New("smpp: no receiver bound for this system_id")
	// ErrMaxConns is reported to Observer.ConnRejected for a connection refused
	// because Server.MaxConns connections are open.
	ErrMaxConns = errors.New("smpp: too many connections")
	// ErrMaxUnboundConns is reported to Observer.ConnRejected for a
	// connection refused because Server.MaxUnboundConns connections have not
	// bound yet.
	ErrMaxUnboundConns = errors.New("smpp: too many connections not bound")
	// ErrMaxUnboundPerAddr is reported to Observer.ConnRejected for a
	// connection refused because Server.MaxUnboundPerAddr connections from
	// its address have not bound yet.
	ErrMaxUnboundPerAddr = errors.New("smpp: too many connections not bound from this address")

	// ErrTimeout completes a push the ESME did not answer within the
	// session's response timeout: it may or may not have been processed.
	// It is session.ErrTimeout.
	ErrTimeout = session.ErrTimeout
	// ErrResponded is returned by a second ResponseWriter.Respond for the
	// same request. It is session.ErrResponded.
	ErrResponded = session.ErrResponded
)

// LostError completes a push whose connection ended before its response;
// Sent tells whether it may have reached the ESME (true: it may have been
// processed; false: it was never written, so it is safe to send again, to
// another receiver).
type LostError = session.LostError

// CanceledError completes a push whose context ended before its response;
// Sent tells whether it may have reached the ESME.
type CanceledError = session.CanceledError
