package server

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/esmsafrica/smpp/internal/future"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// Conns returns the connections bound with systemID, in bind order.
func (s *Server) Conns(systemID string) []*Conn {
	return s.bound(systemID, session.State.Bound)
}

// Receivers returns the connections bound with systemID as receiver or
// transceiver, in bind order: those that take deliveries.
func (s *Server) Receivers(systemID string) []*Conn {
	return s.bound(systemID, session.State.CanReceive)
}

func (s *Server) bound(systemID string, keep func(session.State) bool) []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.systems[systemID]
	if st == nil {
		return nil
	}
	var list []*Conn
	for _, c := range st.conns {
		if sess := c.session(); sess != nil && keep(sess.State()) {
			list = append(list, c)
		}
	}
	return list
}

// Future is a push in flight (a deliver_sm or data_sm sent to an ESME). It
// completes exactly once: with the ESME's response (a non-zero status is
// the error, as a pdu.Status), ErrTimeout, a *CanceledError
// when the context it was sent with ended first, or a *LostError
// when the connection ended first (its Sent field tells whether the ESME may
// have received it). Wait for it (Wait, Done), or have it call a function
// (OnDone).
type Future[T pdu.PDU] struct {
	call session.Call
	st   future.State[T]
}

// Done returns a channel closed when the push has completed.
func (f *Future[T]) Done() <-chan struct{} { return f.st.Done() }

// Result returns the outcome once Done is closed (before that, the zero T
// and nil). On a non-zero command_status the error is the pdu.Status and the
// response is the body the ESME sent (nil for a generic_nack).
func (f *Future[T]) Result() (T, error) { return f.st.Result() }

// Wait waits until the push completes or ctx ends, whichever comes first,
// and returns its outcome (see Result). ctx bounds only the waiting: when it
// ends first, Wait returns ctx's error and the push goes on, to complete
// later like any other. To give up the push itself, cancel the context it
// was sent with.
func (f *Future[T]) Wait(ctx context.Context) (T, error) { return f.st.Wait(ctx) }

// OnDone arranges for done to be called exactly once with the outcome: on
// the goroutine that completes the push (the connection's read loop, its
// timer, or the closer), or at once, on the caller's goroutine, when it has
// completed already. done must not block: it holds up the connection's
// reading. It may be called once per Future; a second call panics.
func (f *Future[T]) OnDone(done func(T, error)) { f.st.OnDone(done) }

// Request returns the request pushed.
func (f *Future[T]) Request() pdu.PDU { return f.call.Request() }

// Sequence returns the sequence_number the request was sent with (0 when it
// could not be sent).
func (f *Future[T]) Sequence() uint32 { return f.call.Sequence() }

// notifier is a Future as the session's Notifier.
type notifier[T pdu.PDU] Future[T]

func (n *notifier[T]) CallDone(c *session.Call) {
	resp, err := c.Result()
	var t T
	if resp != nil {
		t, _ = resp.PDU.(T)
	}
	n.st.Finish(t, err)
}

// push sends p on sess and returns its Future: one allocation.
func push[T pdu.PDU](sess *session.Session, ctx context.Context, p pdu.PDU) *Future[T] {
	f := &Future[T]{}
	sess.SendNotify(ctx, p, (*notifier[T])(f), &f.call)
	return f
}

// Deliver sends a deliver_sm (a receipt or a mobile-originated message) to
// this ESME and waits for its deliver_sm_resp. It waits for room in the
// connection's window first. ctx bounds both: when it ends first, the push
// fails with a *CanceledError. A non-zero status is returned as the
// error (a pdu.Status), with the response. The connection must be bound as
// receiver or transceiver (else a *session.StateError).
func (c *Conn) Deliver(ctx context.Context, d *pdu.DeliverSM) (*pdu.DeliverSMResp, error) {
	f := c.DeliverAsync(ctx, d)
	<-f.Done()
	return f.Result()
}

// DeliverAsync sends a deliver_sm to this ESME and returns its Future without
// waiting for the response. It blocks only while the connection's window is
// full (honouring ctx). ctx bounds the push, as for Deliver. d must not
// change until the Future completes. For a callback instead of a future:
//
//	c.DeliverAsync(ctx, d).OnDone(func(r *pdu.DeliverSMResp, err error) { ... })
//
// A ctx that can be cancelled costs each push a registration with it; the
// session's response timeout and the connection's end complete what is in
// flight, so a pusher that needs no per-push cancellation passes
// context.Background().
func (c *Conn) DeliverAsync(ctx context.Context, d *pdu.DeliverSM) *Future[*pdu.DeliverSMResp] {
	return push[*pdu.DeliverSMResp](c.session(), ctx, d)
}

// DataSM is Deliver for a data_sm.
func (c *Conn) DataSM(ctx context.Context, d *pdu.DataSM) (*pdu.DataSMResp, error) {
	f := c.DataSMAsync(ctx, d)
	<-f.Done()
	return f.Result()
}

// DataSMAsync is DeliverAsync for a data_sm.
func (c *Conn) DataSMAsync(ctx context.Context, d *pdu.DataSM) *Future[*pdu.DataSMResp] {
	return push[*pdu.DataSMResp](c.session(), ctx, d)
}

// retryable reports whether a push failed before the request left, on a
// session that is no longer usable, so another receiver may be tried.
func retryable(err error) bool {
	if errors.Is(err, session.ErrNotAllowed) {
		return true
	}
	var lost *session.LostError
	return errors.As(err, &lost) && !lost.Sent
}

// Deliver sends a deliver_sm (a receipt or a mobile-originated message) to one
// bound receiver of systemID, round robin, and waits for deliver_sm_resp, like
// Conn.Deliver. A receiver that ends before the request could be sent is
// skipped for the next one. It returns ErrNoReceiver when none is bound. To
// choose the receiver, or not to wait, use Receivers and the Conn's methods.
// A handler may call it (see Handler for an inline one).
func (s *Server) Deliver(ctx context.Context, systemID string, d *pdu.DeliverSM) (*pdu.DeliverSMResp, error) {
	return pushAny[*pdu.DeliverSMResp](s, ctx, systemID, d)
}

// DataSM is Deliver for a data_sm.
func (s *Server) DataSM(ctx context.Context, systemID string, d *pdu.DataSM) (*pdu.DataSMResp, error) {
	return pushAny[*pdu.DataSMResp](s, ctx, systemID, d)
}

func pushAny[T pdu.PDU](s *Server, ctx context.Context, systemID string, p pdu.PDU) (T, error) {
	var zero T
	s.mu.Lock()
	st := s.systems[systemID]
	s.mu.Unlock()
	list := s.Receivers(systemID)
	if len(list) == 0 || st == nil {
		return zero, fmt.Errorf("%w: %q", ErrNoReceiver, systemID)
	}
	start := int(st.rr.Add(1))
	var err error
	for i := range list {
		f := push[T](list[(start+i)%len(list)].session(), ctx, p)
		<-f.Done() // ctx, which it was sent with, bounds it
		var r T
		if r, err = f.Result(); err == nil || !retryable(err) {
			return r, err
		}
	}
	return zero, err
}

// Outbind dials the ESME at addr (with Server.Dial, or plain TCP), sends
// outbind and serves the session the ESME binds on the same connection, as
// any accepted one: Authenticate decides the bind. It returns the connection
// once bound, or an error when the ESME closes, the bind timeout passes or
// ctx ends first (the connection is then closed).
func (s *Server) Outbind(ctx context.Context, addr string, o *pdu.Outbind) (*Conn, error) {
	dial := s.Dial
	if dial == nil {
		dial = func(ctx context.Context, addr string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	nc, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c := &Conn{srv: s, nc: nc, bound: make(chan struct{})}
	if err := s.track(c, false); err != nil {
		nc.Close()
		return nil, err
	}
	if !s.start(c, nc) {
		nc.Close()
		s.untrack(c)
		return nil, ErrServerClosed
	}
	s.release(c)
	sess := c.session()
	if err := sess.Outbind(o); err != nil {
		sess.Close()
		return nil, err
	}
	select {
	case <-c.bound:
		return c, nil
	case <-sess.Done():
		if err := sess.Err(); err != nil {
			return nil, fmt.Errorf("smpp: outbind to %s: %w", addr, err)
		}
		return nil, session.ErrClosed
	case <-ctx.Done():
		sess.Close()
		return nil, ctx.Err()
	}
}
