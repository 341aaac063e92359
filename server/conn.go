package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// Conn is one ESME's connection to the server, as the Authenticate hook,
// handlers (Request.Conn), the Observer and pushes see it. Conns and
// Receivers list the connections bound with a system_id; a bound receiver
// or transceiver takes deliveries (Deliver, DeliverAsync, DataSM,
// DataSMAsync). Its methods are safe for concurrent use; once the
// connection has ended they report its last state, and pushes fail with a
// *LostError.
type Conn struct {
	srv      *Server
	nc       net.Conn                        // the raw connection, until the session exists
	sess     atomic.Pointer[session.Session] // set when the session starts
	tls      *tls.ConnectionState
	acct     atomic.Pointer[Account]
	sys      *systemState // set by the bind, on the read loop, before any handler runs
	draining atomic.Bool
	closed   bool          // guarded by Server.mu: no more registration
	addr     netip.Addr    // the remote address's addrKey
	unbound  bool          // guarded by Server.mu: counted against the unbound limits
	bound    chan struct{} // outbind only: closed when bound
	boundMu  sync.Once
}

// session returns c's session (nil during the TLS handshake, before which
// no Conn is seen outside the server).
func (c *Conn) session() *session.Session { return c.sess.Load() }

// SystemID returns the system_id the ESME bound with ("" before the bind).
func (c *Conn) SystemID() string { return c.session().SystemID() }

// State returns the state of the connection's session: session.Open before
// the bind, session.BoundTX, BoundRX or BoundTRX once bound (State.Bound,
// State.CanReceive), then session.Unbound and session.Closed.
func (c *Conn) State() session.State { return c.session().State() }

// RemoteAddr returns the ESME's address.
func (c *Conn) RemoteAddr() net.Addr { return c.session().RemoteAddr() }

// TLS returns the state of the connection's TLS, or nil for plaintext.
func (c *Conn) TLS() *tls.ConnectionState { return c.tls }

// InterfaceVersion returns the interface_version the ESME bound with (0
// before the bind or when it did not say).
func (c *Conn) InterfaceVersion() uint8 { return c.session().InterfaceVersion() }

// Account returns the Account the Authenticate hook accepted the bind with:
// nil before the bind, or when the server has no Authenticate hook or the
// hook accepted it with a nil account.
func (c *Conn) Account() *Account { return c.acct.Load() }

// SetValue stores an application value on the connection, under a key of
// the application's own type (as with context.WithValue); Value returns it.
// The Authenticate hook may set values for the handlers.
func (c *Conn) SetValue(key, value any) { c.session().SetValue(key, value) }

// Value returns a value stored with SetValue, or nil.
func (c *Conn) Value(key any) any { return c.session().Value(key) }

// InFlight returns the number of pushes sent on this connection and not yet
// answered.
func (c *Conn) InFlight() int { return c.session().InFlight() }

// Unbind sends unbind to the ESME, waits for unbind_resp (at most the
// session's UnbindTimeout, or until ctx ends) and closes the connection.
// Pushes in flight are given the same time to complete first.
func (c *Conn) Unbind(ctx context.Context) error { return c.session().Unbind(ctx) }

// Close closes the connection at once, without unbind. Pushes in flight
// complete with a *LostError.
func (c *Conn) Close() error { return c.session().Close() }

// Done returns a channel closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.session().Done() }

// Err returns why the connection ended: nil while it lasts, io.EOF after a
// clean unbind or close.
func (c *Conn) Err() error { return c.session().Err() }

// connKey is the session value under which a session's Conn is kept.
type connKey struct{}

// connOf returns the Conn of a session the server made.
func connOf(s *session.Session) *Conn {
	c, _ := s.Value(connKey{}).(*Conn)
	return c
}

// connHandler is the Handler of c's session: it applies the account's rate
// and Shutdown's drain to submissions, then calls the server's handler.
type connHandler Conn

func (h *connHandler) ServeSMPP(w session.ResponseWriter, r *session.Request) {
	c := (*Conn)(h)
	switch r.Header.ID {
	case pdu.SubmitSMID, pdu.SubmitMultiID, pdu.DataSMID:
		if c.draining.Load() || (c.sys != nil && !c.sys.allow()) {
			c.srv.stats.throttled.Add(1)
			if f := c.srv.Observer.Throttled; f != nil {
				f(c, r.Header.ID)
			}
			w.Respond(nil, pdu.ESME_RTHROTTLED)
			return
		}
	}
	handler := c.srv.Handler
	if handler == nil {
		handler = defaultHandler{}
	}
	handler.ServeSMPP(w, (*Request)(r))
}

// onBind authenticates a bind and registers the session under its system_id.
func (c *Conn) onBind(ctx context.Context, sess *session.Session, b *pdu.Bind) (*pdu.BindResp, pdu.Status) {
	s := c.srv
	c.sess.CompareAndSwap(nil, sess) // before New has returned to start
	sess.SetValue(connKey{}, c)
	req := &BindRequest{Bind: b, Mode: ModeOf(b.ID), RemoteAddr: sess.RemoteAddr(), TLS: c.tls, Conn: c}
	var acct *Account
	status := pdu.ESME_ROK
	if s.Authenticate != nil {
		acct, status = s.authenticate(ctx, req)
	}
	if status == pdu.ESME_ROK && acct != nil && acct.Modes != 0 && acct.Modes&req.Mode == 0 {
		status = pdu.ESME_RBINDFAIL
	}
	if status == pdu.ESME_ROK {
		status = s.register(c, b.SystemID, acct)
	}
	if f := s.Observer.Bind; f != nil {
		f(req, status)
	}
	if status != pdu.ESME_ROK {
		s.stats.bindsRefused.Add(1)
		s.logger().Info("smpp: bind refused", "system_id", b.SystemID, "bind", b.ID.String(), "remote", sess.RemoteAddr().String(), "status", status.String())
		// See Server.SystemID: a refused bind_transceiver gets the body.
		return &pdu.BindResp{SystemID: s.systemID(), BodyOnError: b.ID == pdu.BindTransceiverID}, status
	}
	s.stats.binds.Add(1)
	if acct != nil {
		c.acct.Store(acct)
	}
	resp := &pdu.BindResp{SystemID: s.systemID()}
	if b.InterfaceVersion >= 0x34 {
		resp.TLVs.SetScInterfaceVersion(0x34)
	}
	return resp, pdu.ESME_ROK
}

// authenticate calls the Authenticate hook; a panic refuses the bind with
// ESME_RBINDFAIL, and the connection lives on.
func (s *Server) authenticate(ctx context.Context, req *BindRequest) (acct *Account, status pdu.Status) {
	defer func() {
		if p := recover(); p != nil {
			s.logger().Error("smpp: Authenticate panicked", "system_id", req.Bind.SystemID, "panic", fmt.Sprint(p))
			acct, status = nil, pdu.ESME_RBINDFAIL
		}
	}()
	return s.Authenticate(ctx, req)
}

// shutdown drains and unbinds one connection.
func (c *Conn) shutdown(ctx context.Context) {
	c.srv.mu.Lock()
	nc := c.nc
	c.srv.mu.Unlock()
	sess := c.session()
	if sess == nil {
		nc.Close()
		return
	}
	if !sess.State().Bound() {
		sess.Close()
		return
	}
	c.draining.Store(true)
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for sess.Handling() > 0 {
		select {
		case <-t.C:
		case <-sess.Done():
			return
		case <-ctx.Done():
			sess.Close()
			return
		}
	}
	sess.Unbind(ctx)
}
