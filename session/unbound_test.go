package session_test

import (
	"io"
	"net"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// An SMSC-role session reads at most DefaultMaxUnboundPDULen octets a PDU
// before the bind: beyond, generic_nack ESME_RINVCMDLEN with the sequence
// number, and the close.
func TestSMSCUnboundPDULimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s := session.New(a, session.Config{Role: session.SMSC})
		p := newRaw(t, b)
		go b.Write(pdu.Header{Length: session.DefaultMaxUnboundPDULen + 1, ID: pdu.BindTransceiverID, Sequence: 9}.AppendBinary(nil))
		if f := p.read(); f.ID != pdu.GenericNackID || f.Status != pdu.ESME_RINVCMDLEN || f.Sequence != 9 {
			t.Fatalf("got %+v", f.Header)
		}
		if _, err := p.rd.Read(); err != io.EOF {
			t.Fatalf("not closed: %v", err)
		}
		<-s.Done()
	})
}

// An ESME-role session has no separate limit before the bind by default: a
// large PDU the state does not allow is answered, and the session lives on.
func TestESMEUnboundNoSmallLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s := session.New(a, session.Config{Role: session.ESME})
		defer s.Close()
		p := newRaw(t, b)
		d := &pdu.DeliverSM{DestinationAddr: "1"}
		d.TLVs.SetMessagePayload(make([]byte, 2000))
		p.send(4, 0, d)
		if f := p.read(); f.ID != pdu.DeliverSMRespID || f.Status != pdu.ESME_RINVBNDSTS || f.Sequence != 4 {
			t.Fatalf("got %+v", f.Header)
		}
		if s.State() != session.Open {
			t.Fatalf("state %s", s.State())
		}
	})
}

// A session that has not bound runs one goroutine, its read loop: the
// writer starts with the first PDU queued, the timer loop with the bind (or
// the first request sent).
func TestUnboundSessionGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		before := runtime.NumGoroutine()
		s := session.New(a, session.Config{Role: session.SMSC, BindTimeout: time.Minute, EnquireLinkInterval: -1})
		synctest.Wait()
		if n := runtime.NumGoroutine() - before; n != 1 {
			t.Fatalf("%d goroutines for a session not bound, want 1", n)
		}
		p := newRaw(t, b)
		p.send(1, 0, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "x"})
		if f := p.read(); f.ID != pdu.BindTransceiverRespID || f.Status != 0 {
			t.Fatalf("bind resp %+v", f.Header)
		}
		synctest.Wait()
		if n := runtime.NumGoroutine() - before; n != 3 {
			t.Fatalf("%d goroutines for a bound session, want 3 (read, write, timers)", n)
		}
		// The bind timer was stopped by the bind.
		time.Sleep(2 * time.Minute)
		if s.State() != session.BoundTRX {
			t.Fatalf("state %s", s.State())
		}
		s.Close()
		b.Close()
	})
}
