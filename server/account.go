package server

import (
	"context"
	"crypto/tls"
	"net"
	"sync/atomic"

	"golang.org/x/time/rate"

	"github.com/esmsafrica/smpp/pdu"
)

// BindMode is a set of bind types, used to restrict what an account may bind as.
type BindMode uint8

// The bind modes.
const (
	ModeTransmitter BindMode = 1 << iota // bind_transmitter
	ModeReceiver                         // bind_receiver
	ModeTransceiver                      // bind_transceiver

	// AllModes allows every bind type.
	AllModes = ModeTransmitter | ModeReceiver | ModeTransceiver
)

// ModeOf returns the mode of a bind command id (0 for anything else).
func ModeOf(id pdu.CommandID) BindMode {
	switch id {
	case pdu.BindTransmitterID:
		return ModeTransmitter
	case pdu.BindReceiverID:
		return ModeReceiver
	case pdu.BindTransceiverID:
		return ModeTransceiver
	}
	return 0
}

// BindRequest is what an Authenticate hook sees of a bind.
type BindRequest struct {
	// Bind is the request: SystemID, Password, SystemType, InterfaceVersion,
	// AddrTON, AddrNPI, AddressRange, and ID (the bind type). It stays valid
	// after the hook returns.
	Bind *pdu.Bind
	// Mode is the bind type as a BindMode.
	Mode BindMode
	// RemoteAddr is the peer's address.
	RemoteAddr net.Addr
	// TLS is the connection's TLS state, or nil on a plaintext connection.
	TLS *tls.ConnectionState
	// Conn is the connection (not bound yet): the hook may store values on
	// it for the handlers (Conn.SetValue).
	Conn *Conn
}

// Account is what an Authenticate hook returns for an accepted bind: the
// settings of the system_id, shared by all its binds. The zero value has no
// limits.
type Account struct {
	// Rate is the most submit_sm, submit_multi and data_sm per second accepted
	// from all binds of this system_id together; more are answered with
	// ESME_RTHROTTLED. Zero means unlimited. The values of the newest bind
	// apply to every bind of the system_id.
	Rate float64
	// Burst is how many of those requests may arrive at once above Rate. Zero
	// means max(1, Rate).
	Burst int
	// MaxBinds is the most sessions bound at once with this system_id; a bind
	// beyond it gets ESME_RALYBND. Zero means unlimited.
	MaxBinds int
	// Modes are the bind types allowed; another gets ESME_RBINDFAIL. Zero means
	// AllModes.
	Modes BindMode
	// Value is the application's own data about the account, for handlers:
	// r.Conn().Account().Value. Nil means none.
	Value any
}

// An Authenticator decides whether a bind is accepted: it returns the account
// settings and ESME_ROK, or a non-zero status (ESME_RINVSYSID, ESME_RINVPASWD,
// ESME_RBINDFAIL...) that refuses the bind. A nil account with ESME_ROK accepts
// with no limits. It runs on the connection's read loop; ctx ends with the
// connection.
type Authenticator func(ctx context.Context, r *BindRequest) (*Account, pdu.Status)

// systemState is the shared state of every bind of one system_id.
type systemState struct {
	id      string
	limiter atomic.Pointer[rate.Limiter] // nil: unlimited
	conns   []*Conn                      // bound (or binding) connections, in bind order
	rr      atomic.Uint32                // round robin for pushes
}

// allow reports whether one more throttled request may pass now.
func (st *systemState) allow() bool {
	l := st.limiter.Load()
	return l == nil || l.Allow()
}

// limit applies an account's rate to the shared limiter. Called under Server.mu.
func (st *systemState) limit(a *Account) {
	if a == nil || a.Rate <= 0 {
		st.limiter.Store(nil)
		return
	}
	burst := a.Burst
	if burst <= 0 {
		burst = max(1, int(a.Rate))
	}
	l := st.limiter.Load()
	if l == nil {
		st.limiter.Store(rate.NewLimiter(rate.Limit(a.Rate), burst))
		return
	}
	if l.Limit() != rate.Limit(a.Rate) {
		l.SetLimit(rate.Limit(a.Rate))
	}
	if l.Burst() != burst {
		l.SetBurst(burst)
	}
}
