package session_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// rawPeer is the far end of a pipe, driven PDU by PDU.
type rawPeer struct {
	t    *testing.T
	conn net.Conn
	rd   *codec.Reader
}

func newRaw(t *testing.T, c net.Conn) *rawPeer {
	return &rawPeer{t: t, conn: c, rd: codec.NewReader(c, 0)}
}

func (p *rawPeer) send(seq uint32, status pdu.Status, body pdu.PDU) {
	p.t.Helper()
	b, err := pdu.AppendPDU(nil, seq, status, body)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.conn.Write(b); err != nil {
		p.t.Fatalf("write: %v", err)
	}
}

func (p *rawPeer) read() codec.Frame {
	p.t.Helper()
	f, err := p.rd.Read()
	if err != nil {
		p.t.Fatalf("read: %v", err)
	}
	return f
}

func TestBindTimeoutClosesConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s := session.New(a, session.Config{Role: session.SMSC, BindTimeout: 30 * time.Second})
		start := time.Now()
		// The peer connects and says nothing.
		buf := make([]byte, 1)
		_, err := b.Read(buf)
		if err == nil {
			t.Fatal("expected the connection to be closed")
		}
		if d := time.Since(start); d < 30*time.Second || d > 32*time.Second {
			t.Fatalf("closed after %v, want about 30s", d)
		}
		<-s.Done()
		if s.State() != session.Closed {
			t.Fatalf("state %s", s.State())
		}
	})
}

func TestBoundSessionNotClosedByBindTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s := session.New(a, session.Config{Role: session.SMSC, BindTimeout: 30 * time.Second, EnquireLinkInterval: -1})
		p := newRaw(t, b)
		p.send(1, 0, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "x"})
		if f := p.read(); f.ID != pdu.BindTransmitterRespID || f.Status != 0 {
			t.Fatalf("bind resp %+v", f.Header)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if s.State() != session.BoundTX {
			t.Fatalf("state %s after 2 minutes", s.State())
		}
		s.Close()
		b.Close()
	})
}

func TestEnquireLinkAndDeadPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s := session.New(a, session.Config{Role: session.ESME, EnquireLinkInterval: 30 * time.Second, EnquireLinkMissed: 2, ResponseTimeout: time.Hour})
		p := newRaw(t, b)
		go func() {
			// Answer the bind, then answer exactly one enquire_link.
			f := p.read()
			p.send(f.Sequence, 0, &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "S"})
		}()
		if _, err := s.Bind(context.Background(), &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "x"}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		f := p.read()
		if f.ID != pdu.EnquireLinkID {
			t.Fatalf("want enquire_link, got %s", f.ID)
		}
		if d := time.Since(start); d < 30*time.Second || d > 31*time.Second {
			t.Fatalf("enquire_link after %v of idle, want 30s", d)
		}
		p.send(f.Sequence, 0, &pdu.EnquireLinkResp{})
		// Now the peer goes silent: two more enquire_links, then the close.
		var links int
		for {
			f, err := p.rd.Read()
			if err != nil {
				break
			}
			if f.ID == pdu.EnquireLinkID {
				links++
			}
		}
		if links != 2 {
			t.Fatalf("sent %d unanswered enquire_links before closing, want 2", links)
		}
		<-s.Done()
		if s.Err() == nil {
			t.Fatal("session ended without a reason")
		}
	})
}

func TestResponseTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s := session.New(a, session.Config{Role: session.ESME, ResponseTimeout: 10 * time.Second, EnquireLinkInterval: -1})
		p := newRaw(t, b)
		go func() {
			f := p.read()
			p.send(f.Sequence, 0, &pdu.BindResp{ID: pdu.BindTransmitterRespID})
			p.read() // the submit, never answered
		}()
		if _, err := s.Bind(context.Background(), &pdu.Bind{ID: pdu.BindTransmitterID}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := s.Send(context.Background(), &pdu.SubmitSM{DestinationAddr: "1"})
		if !errors.Is(err, session.ErrTimeout) {
			t.Fatalf("got %v", err)
		}
		if d := time.Since(start); d < 10*time.Second || d > 13*time.Second {
			t.Fatalf("timed out after %v", d)
		}
		if s.InFlight() != 0 {
			t.Fatalf("window token leaked: %d", s.InFlight())
		}
		s.Close()
		b.Close()
	})
}

func TestInactivityUnbinds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s := session.New(a, session.Config{Role: session.SMSC, InactivityTimeout: time.Minute, EnquireLinkInterval: -1})
		p := newRaw(t, b)
		p.send(1, 0, &pdu.Bind{ID: pdu.BindReceiverID, SystemID: "x"})
		p.read()
		start := time.Now()
		f := p.read()
		if f.ID != pdu.UnbindID {
			t.Fatalf("want unbind, got %s", f.ID)
		}
		if d := time.Since(start); d < time.Minute || d > 70*time.Second {
			t.Fatalf("unbind after %v", d)
		}
		p.send(f.Sequence, 0, &pdu.UnbindResp{})
		<-s.Done()
		b.Close()
	})
}

func TestContextCancelWhileWindowFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s := session.New(a, session.Config{Role: session.ESME, Window: 1, EnquireLinkInterval: -1, ResponseTimeout: -1})
		p := newRaw(t, b)
		go func() {
			f := p.read()
			p.send(f.Sequence, 0, &pdu.BindResp{ID: pdu.BindTransmitterRespID})
			for {
				if _, err := p.rd.Read(); err != nil {
					return
				}
			}
		}()
		if _, err := s.Bind(context.Background(), &pdu.Bind{ID: pdu.BindTransmitterID}); err != nil {
			t.Fatal(err)
		}
		first := s.SendAsync(context.Background(), &pdu.SubmitSM{DestinationAddr: "1"})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := s.Send(ctx, &pdu.SubmitSM{DestinationAddr: "2"})
		var ce *session.CanceledError
		if !errors.As(err, &ce) || ce.Sent || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want a not-sent CanceledError, got %v", err)
		}
		// Closing hands back the first request as sent but unanswered.
		s.Close()
		_, err = first.Wait(context.Background())
		var le *session.LostError
		if !errors.As(err, &le) || !le.Sent || !errors.Is(err, session.ErrClosed) {
			t.Fatalf("want a sent LostError, got %v", err)
		}
		b.Close()
	})
}
