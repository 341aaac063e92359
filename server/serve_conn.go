package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/esmsafrica/smpp/session"
)

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
