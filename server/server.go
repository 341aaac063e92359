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
	"errors"
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

// ListenAndServe listens on Addr (":2775" when empty) and serves plaintext
// SMPP. It always returns a non-nil error; after Shutdown or Close,
// ErrServerClosed.
func (s *Server) ListenAndServe() error {
	if s.isClosing() {
		return ErrServerClosed
	}
	l, err := net.Listen("tcp", s.addr())
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// ListenAndServeTLS is ListenAndServe over TLS. certFile and keyFile name a
// PEM certificate chain and key; both may be empty when TLSConfig has
// certificates.
func (s *Server) ListenAndServeTLS(certFile, keyFile string) error {
	if s.isClosing() {
		return ErrServerClosed
	}
	cfg, err := s.tlsConfig(certFile, keyFile)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", s.addr())
	if err != nil {
		return err
	}
	return s.serve(l, cfg)
}

func (s *Server) addr() string {
	if s.Addr != "" {
		return s.Addr
	}
	return DefaultAddr
}

// Serve accepts connections on l and serves plaintext SMPP on each. It closes
// l when it returns, and returns ErrServerClosed after Shutdown or Close.
func (s *Server) Serve(l net.Listener) error { return s.serve(l, nil) }

// ServeTLS is Serve with a TLS handshake on each connection, completed (within
// HandshakeTimeout) before any SMPP byte is read. See ListenAndServeTLS for
// certFile and keyFile.
func (s *Server) ServeTLS(l net.Listener, certFile, keyFile string) error {
	cfg, err := s.tlsConfig(certFile, keyFile)
	if err != nil {
		l.Close()
		return err
	}
	return s.serve(l, cfg)
}

// tlsConfig returns the TLS configuration to serve with: a clone of TLSConfig
// with TLS 1.3 as the minimum unless MinVersion is set, and the certificate of
// the files if given.
func (s *Server) tlsConfig(certFile, keyFile string) (*tls.Config, error) {
	var cfg *tls.Config
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS13
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("smpp: loading the server certificate: %w", err)
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return nil, errors.New("smpp: TLS needs a certificate: give certFile and keyFile or set TLSConfig.Certificates")
	}
	return cfg, nil
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *Server) serve(l net.Listener, tlsCfg *tls.Config) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = make(map[*net.Listener]struct{})
	}
	s.listeners[&l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, &l)
		s.mu.Unlock()
		l.Close()
	}()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			if isTemporary(err) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logError("smpp: accept error; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := &Conn{srv: s, nc: nc, addr: addrKey(nc.RemoteAddr())}
		if err := s.track(c, true); err != nil {
			if err == ErrMaxUnboundConns || err == ErrMaxUnboundPerAddr {
				s.refusedUnbound(nc.RemoteAddr(), err) // counted before the peer sees the close
			}
			s.reject(nc, err)
			continue
		}
		go s.serveConn(c, tlsCfg)
	}
}

// isTemporary reports whether an accept error is worth retrying (EMFILE, a
// timeout and the like).
func isTemporary(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (s *Server) reject(nc net.Conn, err error) {
	s.stats.rejected.Add(1)
	if f := s.Observer.ConnRejected; f != nil {
		f(nc.RemoteAddr(), err)
	}
	nc.Close()
}

// refusedUnbound logs connections refused by the unbound limits, at most
// once every refusedLogEvery, with the number refused since the last log.
func (s *Server) refusedUnbound(remote net.Addr, err error) {
	s.stats.rejectedUnbound.Add(1)
	now := time.Now().UnixNano()
	last := s.refusedLogAt.Load()
	if last != 0 && now-last < int64(refusedLogEvery) || !s.refusedLogAt.CompareAndSwap(last, now) {
		return
	}
	n := s.stats.rejectedUnbound.Load()
	since := n - s.refusedLogN.Swap(n)
	s.logError("smpp: refusing connections that have not bound", "err", err, "refused", since,
		"unbound", s.stats.unbound.Load(), "last_remote", remote.String())
}

// refusedLogEvery is the shortest time between two logs of refused connections.
const refusedLogEvery = 10 * time.Second

// addrKey returns what MaxUnboundPerAddr counts the connections of a remote
// address under: its IP address, or for IPv6 its /64 prefix. Addresses that
// are not IP (a pipe) share the zero Addr.
func addrKey(a net.Addr) netip.Addr {
	var ip netip.Addr
	switch a := a.(type) {
	case nil:
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
	default:
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			ip = ap.Addr()
		}
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			ip = p.Addr()
		}
	}
	return ip
}

func (s *Server) maxUnbound() (total, perAddr int) {
	total, perAddr = s.MaxUnboundConns, s.MaxUnboundPerAddr
	if total == 0 {
		total = DefaultMaxUnboundConns
	}
	if perAddr == 0 {
		perAddr = DefaultMaxUnboundPerAddr
	}
	return total, perAddr
}

// track registers a new connection, counted against the unbound limits if
// unbound is set, or says why it is refused.
func (s *Server) track(c *Conn, unbound bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return ErrServerClosed
	}
	if s.MaxConns > 0 && len(s.conns) >= s.MaxConns {
		return ErrMaxConns
	}
	if unbound {
		total, perAddr := s.maxUnbound()
		if perAddr > 0 && s.unbound[c.addr] >= perAddr {
			return ErrMaxUnboundPerAddr
		}
		if total > 0 && s.stats.unbound.Load() >= int64(total) {
			return ErrMaxUnboundConns
		}
		if s.unbound == nil {
			s.unbound = make(map[netip.Addr]int)
		}
		s.unbound[c.addr]++
		s.stats.unbound.Add(1)
		c.unbound = true
	}
	if s.conns == nil {
		s.conns = make(map[*Conn]struct{})
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.stats.open.Add(1)
	return nil
}

// releaseUnbound stops counting c against the unbound limits: it has bound,
// or closed. s.mu is held.
func (s *Server) releaseUnbound(c *Conn) {
	if !c.unbound {
		return
	}
	c.unbound = false
	s.stats.unbound.Add(-1)
	if n := s.unbound[c.addr] - 1; n > 0 {
		s.unbound[c.addr] = n
	} else {
		delete(s.unbound, c.addr)
	}
}

func (s *Server) untrack(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.releaseUnbound(c)
	s.mu.Unlock()
	s.stats.open.Add(-1)
	s.wg.Done()
}

func (s *Server) handshakeTimeout() time.Duration {
	if s.HandshakeTimeout > 0 {
		return s.HandshakeTimeout
	}
	return DefaultHandshakeTimeout
}

// serveConn completes the TLS handshake, if any, and runs the session.
func (s *Server) serveConn(c *Conn, tlsCfg *tls.Config) {
	nc := c.nc
	tc, isTLS := nc.(*tls.Conn) // from a listener made with tls.NewListener
	if tlsCfg != nil {
		tc, isTLS = tls.Server(nc, tlsCfg), true
	}
	if isTLS {
		d := s.handshakeTimeout()
		ctx, cancel := context.WithTimeout(context.Background(), d)
		tc.SetDeadline(time.Now().Add(d))
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			s.logger().Debug("smpp: TLS handshake failed", "remote", nc.RemoteAddr().String(), "err", err)
			s.reject(tc, fmt.Errorf("smpp: TLS handshake: %w", err))
			s.untrack(c)
			return
		}
		tc.SetDeadline(time.Time{})
		st := tc.ConnectionState()
		c.tls = &st
		nc = tc
	}
	if !s.start(c, nc) {
		s.reject(nc, ErrServerClosed)
		s.untrack(c)
		return
	}
	s.stats.accepted.Add(1)
	if f := s.Observer.ConnAccepted; f != nil {
		f(nc.RemoteAddr())
	}
	s.release(c)
}

// start creates the session of c on nc, unless the server is closing.
func (s *Server) start(c *Conn, nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	c.nc = nc
	// The session's read loop may bind (and call onBind, which sets sess
	// too) before New returns.
	c.sess.CompareAndSwap(nil, session.New(nc, s.sessionConfig(c)))
	return true
}

// release arranges for what c holds to be released once its session has
// ended, without a goroutine waiting for it meanwhile.
func (s *Server) release(c *Conn) {
	sess := c.session()
	context.AfterFunc(sess.Context(), func() {
		<-sess.Done()
		s.unregister(c)
		sess.Wait()
		s.untrack(c)
		if f := s.Observer.ConnClosed; f != nil {
			f(c, sess.Err())
		}
	})
}

func (s *Server) sessionConfig(c *Conn) session.Config {
	cfg := s.Session
	cfg.Role = session.SMSC
	cfg.Handler = (*connHandler)(c)
	cfg.OnBind = c.onBind
	cfg.OnOutbind = nil
	if cfg.Logger == nil {
		cfg.Logger = s.logger()
	}
	if c.bound != nil {
		user := cfg.Observer.StateChange
		cfg.Observer.StateChange = func(sess *session.Session, from, to session.State) {
			if user != nil {
				user(sess, from, to)
			}
			if to.Bound() {
				c.boundMu.Do(func() { close(c.bound) })
			}
		}
	}
	return cfg
}

// register adds c to the bound connections of systemID.
func (s *Server) register(c *Conn, systemID string, acct *Account) pdu.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || c.closed {
		return pdu.ESME_RBINDFAIL
	}
	if s.systems == nil {
		s.systems = make(map[string]*systemState)
	}
	st := s.systems[systemID]
	if st == nil {
		st = &systemState{id: systemID}
	}
	if acct != nil && acct.MaxBinds > 0 && len(st.conns) >= acct.MaxBinds {
		return pdu.ESME_RALYBND
	}
	s.systems[systemID] = st
	st.limit(acct)
	st.conns = append(st.conns, c)
	c.sys = st
	s.stats.bound.Add(1)
	s.releaseUnbound(c)
	return pdu.ESME_ROK
}

// unregister removes c from its system_id, once its session has ended.
func (s *Server) unregister(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.closed = true
	st := c.sys
	if st == nil {
		return
	}
	for i, x := range st.conns {
		if x == c {
			st.conns = append(st.conns[:i:i], st.conns[i+1:]...)
			s.stats.bound.Add(-1)
			break
		}
	}
	if len(st.conns) == 0 && s.systems[st.id] == st {
		delete(s.systems, st.id)
	}
}

// Shutdown shuts the server down gracefully: it closes the listeners, then on
// every session answers new submissions ESME_RTHROTTLED, waits for the
// requests being handled to be answered, unbinds, and waits for the session to
// end. When ctx ends first, the remaining connections are closed at once and
// ctx's error is returned. Serve returns ErrServerClosed at once.
func (s *Server) Shutdown(ctx context.Context) error {
	conns := s.beginClose()
	for _, c := range conns {
		go c.shutdown(ctx)
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.closeConns()
		return ctx.Err()
	}
}

// Close closes the listeners and every connection at once, without unbind.
// Handlers still running finish on their own; their answers are dropped.
func (s *Server) Close() error {
	s.beginClose()
	s.closeConns()
	return nil
}

// beginClose marks the server closing, closes its listeners and returns its
// connections.
func (s *Server) beginClose() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	for l := range s.listeners {
		(*l).Close()
	}
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	return conns
}

func (s *Server) closeConns() {
	s.mu.Lock()
	var sessions []*session.Session
	for c := range s.conns {
		if sess := c.session(); sess != nil {
			sessions = append(sessions, sess)
		} else {
			c.nc.Close() // still in the TLS handshake
		}
	}
	s.mu.Unlock()
	for _, sess := range sessions {
		sess.Close()
	}
}
