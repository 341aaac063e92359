package server

import (
	"context"

	"github.com/esmsafrica/smpp/session"
)

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
