package server

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// Sessions returns the sessions bound with systemID, in bind order.
func (s *Server) Sessions(systemID string) []*session.Session {
	list, _ := s.bound(systemID, func(st session.State) bool { return st.Bound() })
	return list
}

// Receivers returns the sessions bound with systemID as receiver or
// transceiver, in bind order.
func (s *Server) Receivers(systemID string) []*session.Session {
	list, _ := s.bound(systemID, session.State.CanReceive)
	return list
}

func (s *Server) bound(systemID string, keep func(session.State) bool) ([]*session.Session, *systemState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.systems[systemID]
	if st == nil {
		return nil, nil
	}
	var list []*session.Session
	for _, c := range st.conns {
		if c.sess != nil && keep(c.sess.State()) {
			list = append(list, c.sess)
		}
	}
	return list, st
}

// Push sends a request (deliver_sm, data_sm, alert_notification) to one bound
// receiver of systemID, chosen round robin, through its window, and returns
// the call without waiting for the response. A receiver that ends before the
// request could be sent is skipped for the next one. It returns ErrNoReceiver
// when none is bound.
func (s *Server) Push(ctx context.Context, systemID string, p pdu.PDU) (*session.Call, error) {
	list, st := s.bound(systemID, session.State.CanReceive)
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrNoReceiver, systemID)
	}
	start := int(st.rr.Add(1))
	var err error
	for i := range list {
		sess := list[(start+i)%len(list)]
		c := sess.SendAsync(ctx, p)
		if _, err = c.Result(); err == nil || !retryable(err) {
			return c, err
		}
	}
	return nil, err
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

// pushWait is Push followed by waiting for the response.
func (s *Server) pushWait(ctx context.Context, systemID string, p pdu.PDU) (*session.Response, error) {
	c, err := s.Push(ctx, systemID, p)
	if err != nil {
		return nil, err
	}
	<-c.Done() // ctx, which c was sent with, bounds it
	return c.Result()
}

// Deliver sends a deliver_sm (a receipt or a mobile-originated message) to one
// bound receiver of systemID, round robin, and waits for deliver_sm_resp. A
// non-zero status is returned as the error (a pdu.Status), with the response.
// It returns ErrNoReceiver when no receiver is bound.
func (s *Server) Deliver(ctx context.Context, systemID string, d *pdu.DeliverSM) (*pdu.DeliverSMResp, error) {
	return pushAs[*pdu.DeliverSMResp](s, ctx, systemID, d)
}

// DataSM is Deliver for a data_sm.
func (s *Server) DataSM(ctx context.Context, systemID string, d *pdu.DataSM) (*pdu.DataSMResp, error) {
	return pushAs[*pdu.DataSMResp](s, ctx, systemID, d)
}

// pushAs is pushWait with the response's body as its type T (nil when the
// peer answered otherwise, with generic_nack for instance).
func pushAs[T pdu.PDU](s *Server, ctx context.Context, systemID string, p pdu.PDU) (T, error) {
	resp, err := s.pushWait(ctx, systemID, p)
	if resp != nil {
		if r, ok := resp.PDU.(T); ok {
			return r, err
		}
	}
	var zero T
	return zero, err
}

// Outbind dials the ESME at addr (with Server.Dial, or plain TCP), sends
// outbind and serves the session the ESME binds on the same connection, as
// any accepted one: Authenticate decides the bind. It returns the session once
// bound, or an error when the ESME closes, the bind timeout passes or ctx ends
// first (the connection is then closed).
func (s *Server) Outbind(ctx context.Context, addr string, o *pdu.Outbind) (*session.Session, error) {
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
	handler := s.Handler
	if handler == nil {
		handler = session.DefaultHandler
	}
	c := &conn{srv: s, nc: nc, handler: handler, bound: make(chan struct{})}
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
	sess := c.sess
	if err := sess.Outbind(o); err != nil {
		sess.Close()
		return nil, err
	}
	select {
	case <-c.bound:
		return sess, nil
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
