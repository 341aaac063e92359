package server_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/smpptest"
)

func TestTLS(t *testing.T) {
	checkLeaks(t)
	var rejected atomic.Int32
	ts := smpptest.NewTLSServer(t, smpptest.Options{Configure: func(s *server.Server) {
		s.HandshakeTimeout = 2 * time.Second
		s.Observer.ConnRejected = func(net.Addr, error) { rejected.Add(1) }
	}})

	t.Run("TLS 1.3", func(t *testing.T) {
		e := dialESME(t, ts.Addr, ts.ClientTLSConfig())
		if _, err := e.BindAs(bg, pdu.BindTransceiverID, "a", "pw"); err != nil {
			t.Fatal(err)
		}
		if v := e.NetConn().(*tls.Conn).ConnectionState().Version; v != tls.VersionTLS13 {
			t.Fatalf("version %x", v)
		}
		if _, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"}); err != nil {
			t.Fatal(err)
		}
		bs := ts.Binds()
		if len(bs) == 0 || !bs[len(bs)-1].TLS {
			t.Fatalf("bind request without TLS state: %+v", bs)
		}
	})
	t.Run("without SNI", func(t *testing.T) {
		cfg := ts.ClientTLSConfig()
		cfg.ServerName = ""
		cfg.InsecureSkipVerify = true // no name to verify; the point is that a certificate is served
		c, err := tls.Dial("tcp", ts.Addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if len(c.ConnectionState().PeerCertificates) != 1 {
			t.Fatal("no certificate served without SNI")
		}
	})
	t.Run("TLS 1.2 refused", func(t *testing.T) {
		cfg := ts.ClientTLSConfig()
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		c, err := tls.Dial("tcp", ts.Addr, cfg)
		if err == nil {
			c.Close()
			t.Fatal("TLS 1.2 handshake succeeded")
		}
	})
	t.Run("plaintext refused", func(t *testing.T) {
		c := dialRaw(t, ts.Addr)
		c.send(&pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "a"})
		// No SMPP answer: at most a TLS alert, then the close.
		c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 64)
		n, _ := c.c.Read(buf)
		if n >= 16 && buf[0] == 0 && buf[4] == 0x80 {
			t.Fatalf("got an SMPP answer: %x", buf[:n])
		}
		for {
			if _, err := c.c.Read(buf); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatal("connection not closed")
				}
				break
			}
		}
	})
	t.Run("silent client times out", func(t *testing.T) {
		c, err := net.Dial("tcp", ts.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("read data from a handshake never started")
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("not closed by the handshake timeout")
		}
	})
	waitFor(t, "rejections counted", func() bool { return rejected.Load() >= 3 })
}

func TestTLSMinVersionLowered(t *testing.T) {
	checkLeaks(t)
	ts := smpptest.NewTLSServer(t, smpptest.Options{Configure: func(s *server.Server) {
		s.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}})
	cfg := ts.ClientTLSConfig()
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	e := dialESME(t, ts.Addr, cfg)
	if _, err := e.BindAs(bg, pdu.BindTransceiverID, "a", "pw"); err != nil {
		t.Fatalf("TLS 1.2 allowed explicitly: %v", err)
	}
}

// A server given a listener made with tls.NewListener completes the
// handshake itself, within HandshakeTimeout, and shows the TLS state to the
// bind hook, as ServeTLS does.
func TestServeTLSListener(t *testing.T) {
	checkLeaks(t)
	cert, pool, err := smpptest.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sawTLS := make(chan bool, 1)
	srv := &server.Server{HandshakeTimeout: time.Second, Authenticate: func(ctx context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
		sawTLS <- r.TLS != nil && r.TLS.Version == tls.VersionTLS13
		return nil, pdu.ESME_ROK
	}}
	go srv.Serve(tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}))
	defer srv.Close()
	e := dialESME(t, l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if _, err := e.BindAs(bg, pdu.BindTransceiverID, "a", "pw"); err != nil {
		t.Fatal(err)
	}
	if !<-sawTLS {
		t.Fatal("the bind hook saw no TLS state")
	}
	// A client that never starts the handshake is dropped after HandshakeTimeout.
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent client not dropped by the handshake timeout: %v", err)
	}
}
