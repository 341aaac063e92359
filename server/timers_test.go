package server_test

import (
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

// bubbleServer serves srv on a pipe listener inside a synctest bubble and
// closes it when f returns.
func bubbleServer(t *testing.T, srv *server.Server, f func(l *pipeListener)) {
	srv.Logger = quiet
	l := newPipeListener()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	defer func() {
		srv.Close()
		if err := <-done; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		synctest.Wait()
	}()
	f(l)
}

func pipeRaw(t *testing.T, c net.Conn) *rawConn {
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, rd: codec.NewReader(c, 0), noDeadline: true}
}

func TestBindTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server.Server{Session: session.Config{BindTimeout: 30 * time.Second, EnquireLinkInterval: -1}}
		bubbleServer(t, srv, func(l *pipeListener) {
			c := pipeRaw(t, l.dial())
			start := time.Now()
			time.Sleep(29 * time.Second)
			synctest.Wait()
			if srv.Stats().Open != 1 {
				t.Fatal("closed before the bind timeout")
			}
			c.expectClosed()
			if d := time.Since(start); d < 30*time.Second || d > 31*time.Second {
				t.Fatalf("closed after %s", d)
			}
			// A bound session is not affected.
			b := pipeRaw(t, l.dial())
			b.bind(pdu.BindTransceiverID, "a")
			time.Sleep(5 * time.Minute)
			seq := b.send(&pdu.EnquireLink{})
			b.expect(pdu.EnquireLinkRespID, pdu.ESME_ROK, seq)
		})
	})
}

// TestEnquireLinkDeadPeer: a bound peer that answers nothing gets an
// enquire_link after every idle interval and is closed after the missed limit.
func TestEnquireLinkDeadPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server.Server{Session: session.Config{EnquireLinkInterval: 30 * time.Second, EnquireLinkMissed: 3, ResponseTimeout: -1}}
		bubbleServer(t, srv, func(l *pipeListener) {
			c := pipeRaw(t, l.dial())
			c.bind(pdu.BindTransceiverID, "a")
			start := time.Now()
			var at []time.Duration
			for {
				h, _, err := c.read()
				if err != nil {
					break
				}
				if h.ID != pdu.EnquireLinkID {
					t.Fatalf("unexpected %s", h.ID)
				}
				at = append(at, time.Since(start))
			}
			closed := time.Since(start)
			if len(at) != 3 {
				t.Fatalf("enquire_links at %v", at)
			}
			for i, d := range at {
				want := time.Duration(i+1) * 30 * time.Second
				if d < want || d > want+time.Second {
					t.Errorf("enquire_link %d after %s, want %s", i+1, d, want)
				}
			}
			if closed < 120*time.Second || closed > 121*time.Second {
				t.Errorf("closed after %s, want 2m0s", closed)
			}
		})
	})
}

// TestEnquireLinkAlivePeer: a peer that answers stays bound.
func TestEnquireLinkAlivePeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server.Server{Session: session.Config{EnquireLinkInterval: 30 * time.Second}}
		bubbleServer(t, srv, func(l *pipeListener) {
			e := smpptest.NewESME(l.dial(), session.Config{EnquireLinkInterval: -1, Logger: quiet})
			defer e.Close()
			if _, err := e.BindAs(bg, pdu.BindTransceiverID, "a", "pw"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Minute)
			synctest.Wait()
			if e.State() != session.BoundTRX || srv.Stats().Bound != 1 {
				t.Fatalf("state %s", e.State())
			}
		})
	})
}

// TestResponseTimeout: a deliver_sm the ESME never answers completes with
// session.ErrTimeout after the response timeout.
func TestResponseTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server.Server{Session: session.Config{ResponseTimeout: 10 * time.Second, EnquireLinkInterval: -1}}
		bubbleServer(t, srv, func(l *pipeListener) {
			c := pipeRaw(t, l.dial())
			c.bind(pdu.BindReceiverID, "r")
			go func() {
				for {
					if _, _, err := c.read(); err != nil {
						return
					}
				}
			}()
			start := time.Now()
			_, err := srv.Deliver(bg, "r", &pdu.DeliverSM{DestinationAddr: "1"})
			if !errors.Is(err, session.ErrTimeout) {
				t.Fatalf("deliver: %v", err)
			}
			if d := time.Since(start); d < 10*time.Second || d > 11*time.Second {
				t.Fatalf("timed out after %s", d)
			}
		})
	})
}

// TestInactivity: a bound session with no traffic but enquire_link is unbound
// after the inactivity timeout.
func TestInactivity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &server.Server{Session: session.Config{InactivityTimeout: time.Minute, EnquireLinkInterval: 20 * time.Second}}
		bubbleServer(t, srv, func(l *pipeListener) {
			e := smpptest.NewESME(l.dial(), session.Config{EnquireLinkInterval: -1, Logger: quiet})
			defer e.Close()
			if _, err := e.BindAs(bg, pdu.BindTransceiverID, "a", "pw"); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			time.Sleep(30 * time.Second)
			if _, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"}); !errors.Is(err, pdu.ESME_RSUBMITFAIL) {
				t.Fatalf("submit: %v", err) // nil handler: the default answer, but traffic
			}
			<-e.Done()
			if d := time.Since(start); d < 90*time.Second || d > 92*time.Second {
				t.Fatalf("unbound after %s, want 1m30s (1 min after the last submit)", d)
			}
			synctest.Wait()
			if srv.Stats().Bound != 0 {
				t.Fatal("still bound")
			}
		})
	})
}
