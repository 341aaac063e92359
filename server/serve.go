package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"
)

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
