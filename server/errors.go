package server

import "errors"

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
)
