// Package server implements the SMSC role of SMPP 3.4, shaped like net/http: a
// Server accepts connections (TLS 1.3 by default), authenticates binds through
// an Authenticate hook that returns per-account settings, and hands every
// request to a Handler, typically a ServeMux keyed by command id. An SMSC
// needs this package and pdu only.
//
// Each connection is a Conn: handlers find it from their Request
// (Request.Conn), and Conns and Receivers list those bound with a system_id.
// Until a connection has bound, it is held to little: at most
// MaxUnboundConns such connections at once (MaxUnboundPerAddr from one
// address), HandshakeTimeout for the TLS handshake, the session's bind
// timeout, and PDUs of at most its MaxUnboundPDULen octets; an idle one costs
// a goroutine and a few KiB. Before the handler, the server answers
// ESME_RTHROTTLED to submit_sm, submit_multi and data_sm beyond the account's
// rate, which is shared by every bind of a system_id. Server.Deliver and
// Server.DataSM push to the bound receivers of a system_id, round robin; a
// Conn pushes to one receiver and offers the three forms every request has
// in this module: wait for the response (Conn.Deliver), hold a future
// (Conn.DeliverAsync), or have the future call a function (Future.OnDone).
// Shutdown stops accepting, lets the requests being handled finish, unbinds
// every session and waits for them.
//
// A minimal SMSC:
//
//	mux := server.NewServeMux()
//	mux.HandleFunc(pdu.SubmitSMID, func(w server.ResponseWriter, r *server.Request) {
//		w.Respond(&pdu.SubmitSMResp{MessageID: nextID()}, pdu.ESME_ROK)
//	})
//	srv := &server.Server{Addr: ":2775", Handler: mux, Authenticate: auth}
//	log.Fatal(srv.ListenAndServeTLS("cert.pem", "key.pem"))
package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// Defaults used for the zero values of Server.
const (
	DefaultAddr              = ":2775"
	DefaultSystemID          = "SMSC"
	DefaultHandshakeTimeout  = 10 * time.Second
	DefaultMaxUnboundConns   = 1024
	DefaultMaxUnboundPerAddr = 64
)

// Server is an SMPP server (SMSC). The zero value of every field is a
// documented default; fields must not change once the server is serving.
type Server struct {
	// Addr is the TCP address ListenAndServe listens on. Empty means ":2775".
	Addr string

	// Handler answers the requests of bound ESMEs (submit_sm, query_sm, ...);
	// bind, unbind and enquire_link are answered by the session. Nil answers
	// every request with DefaultStatus (ESME_RSUBMITFAIL for a submission).
	Handler Handler

	// SystemID is the SMSC's system_id in bind responses, and in the
	// bind_transceiver_resp that refuses a bind: gosmpp reads system_id from
	// every bind_transceiver_resp and reports a malformed response instead of
	// the status when there is none (it reads the body of a refused
	// bind_transmitter_resp or bind_receiver_resp as TLVs, and fails on a
	// system_id there: those stay header-only, as SMPP 3.4 writes every
	// refusal; ESMEs that follow it accept both forms). It is the same for
	// every ESME and every refusal, so it tells an ESME nothing about why its
	// bind failed or whether its account exists. Empty means "SMSC".
	SystemID string

	// Authenticate decides each bind. Nil accepts every bind without limits.
	Authenticate Authenticator

	// TLSConfig configures ListenAndServeTLS and ServeTLS. A zero MinVersion is
	// raised to TLS 1.3; set MinVersion explicitly to allow older versions.
	TLSConfig *tls.Config

	// HandshakeTimeout bounds the TLS handshake, which completes before any
	// SMPP byte is read; a peer that has not finished it by then is
	// disconnected. Zero means DefaultHandshakeTimeout (10 s).
	HandshakeTimeout time.Duration

	// MaxUnboundConns is the most connections open at once that have not
	// bound: in their TLS handshake, or waiting to bind. A connection
	// accepted beyond it is closed at once, before any TLS or SMPP byte, and
	// counted in Stats.RejectedUnbound (and logged, at most once every 10 s).
	// Bound sessions do not count, nor those Outbind dials. Zero means
	// DefaultMaxUnboundConns (1,024); negative means no limit.
	MaxUnboundConns int

	// MaxUnboundPerAddr is MaxUnboundConns for the connections from one
	// remote IP address (for IPv6, from one /64 prefix, which one host
	// usually holds whole), so that one source cannot take every unbound
	// slot: while it floods, other addresses still bind. Zero means
	// DefaultMaxUnboundPerAddr (64); negative means no limit.
	MaxUnboundPerAddr int

	// Session configures the session of every connection: its windows
	// (Window: deliver_sm in flight; InboundWindow: ESME requests handled at
	// once, beyond which ESME_RTHROTTLED), timers (bind, enquire_link,
	// response, inactivity, unbind), PDU size limits (MaxUnboundPDULen before
	// the bind: 512 octets when zero, as for any SMSC-role session),
	// decoding, InlineHandler and RecycleRequests, and its Observer. The zero
	// value of each field is the session package's default (see
	// session.Config). The server sets Role, Handler, OnBind and OnOutbind
	// itself (what they hold here is ignored), and Logger to Server.Logger
	// when nil.
	Session session.Config

	// MaxConns is the most connections open at once (bound or not); a
	// connection beyond it is closed at once. Zero means unlimited.
	MaxConns int

	// Dial dials the ESME for Outbind. Nil dials plain TCP.
	Dial func(ctx context.Context, addr string) (net.Conn, error)

	// Logger receives structured logs. Nil means slog.Default().
	Logger *slog.Logger

	// ErrorLog, when set, also receives accept and handshake errors, as in
	// net/http. Nil logs them to Logger only.
	ErrorLog *log.Logger

	// Observer receives events for metrics. Its nil fields are skipped.
	Observer Observer

	mu        sync.Mutex
	listeners map[*net.Listener]struct{}
	conns     map[*Conn]struct{}
	systems   map[string]*systemState
	unbound   map[netip.Addr]int // connections counted against MaxUnboundPerAddr, by addrKey
	closing   bool
	wg        sync.WaitGroup // connections not yet released
	stats     stats

	refusedLogAt atomic.Int64  // unix nanos of the last log of refused connections
	refusedLogN  atomic.Uint64 // Stats.RejectedUnbound at that log
}

// Observer is a set of hooks for metrics and logs. They run on the server's
// and sessions' goroutines and must not block. The hooks of each session
// (every PDU, state changes) are in Server.Session.Observer.
type Observer struct {
	// ConnAccepted is called for every connection accepted (after TLS).
	ConnAccepted func(remote net.Addr)
	// ConnRejected is called for a connection refused: ErrMaxConns,
	// ErrMaxUnboundConns, ErrMaxUnboundPerAddr, a failed TLS handshake, or
	// the server closing.
	ConnRejected func(remote net.Addr, err error)
	// Bind is called for every bind with the status it is answered with.
	Bind func(r *BindRequest, status pdu.Status)
	// Throttled is called for every request answered ESME_RTHROTTLED by the
	// account's rate or by Shutdown's drain.
	Throttled func(c *Conn, id pdu.CommandID)
	// ConnClosed is called when a connection accepted (or dialled by
	// Outbind) has ended and its handlers have returned, with why it ended.
	ConnClosed func(c *Conn, err error)
}

type stats struct {
	accepted, rejected, rejectedUnbound, binds, bindsRefused, throttled atomic.Uint64
	open, unbound, bound                                                atomic.Int64
}

// Stats are counters since the server was created.
type Stats struct {
	Accepted        uint64 // connections accepted
	Rejected        uint64 // connections refused (MaxConns, the unbound limits, TLS, closing)
	RejectedUnbound uint64 // connections refused by MaxUnboundConns or MaxUnboundPerAddr (also in Rejected)
	Binds           uint64 // binds accepted
	BindsRefused    uint64 // binds refused
	Throttled       uint64 // requests answered ESME_RTHROTTLED by the rate limit or a drain
	Open            int64  // connections open now
	Unbound         int64  // connections open now that count against MaxUnboundConns (not bound yet)
	Bound           int64  // sessions bound now
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Accepted:        s.stats.accepted.Load(),
		Rejected:        s.stats.rejected.Load(),
		RejectedUnbound: s.stats.rejectedUnbound.Load(),
		Binds:           s.stats.binds.Load(),
		BindsRefused:    s.stats.bindsRefused.Load(),
		Throttled:       s.stats.throttled.Load(),
		Open:            s.stats.open.Load(),
		Unbound:         s.stats.unbound.Load(),
		Bound:           s.stats.bound.Load(),
	}
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) logError(msg string, args ...any) {
	s.logger().Warn(msg, args...)
	if s.ErrorLog != nil {
		s.ErrorLog.Print(msg, " ", fmt.Sprint(args...))
	}
}

func (s *Server) systemID() string {
	if s.SystemID != "" {
		return s.SystemID
	}
	return DefaultSystemID
}
