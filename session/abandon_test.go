package session_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// TestAbandonedQueuedRequestIsSent: a request whose context ends while it
// is queued behind a write that has not finished still goes out, so its
// CanceledError says it may have been sent. It said Sent: false ("the peer
// never saw it"), and a caller that sent it again made a duplicate.
func TestAbandonedQueuedRequestIsSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p, b := boundESME(t, session.Config{})
		ctx := context.Background()

		// The peer reads nothing: the writer is stuck on the first submit,
		// and the second waits in the queue when its context ends.
		go s.Send(ctx, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("first")})
		synctest.Wait()
		ctx2, cancel := context.WithCancel(ctx)
		abandoned := make(chan error, 1)
		go func() {
			_, err := s.Send(ctx2, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("second")})
			abandoned <- err
		}()
		synctest.Wait()
		cancel()
		err := <-abandoned
		var ce *session.CanceledError
		if !errors.As(err, &ce) {
			t.Fatalf("abandoned submit: %v", err)
		}
		p.read() // the first
		if f := p.read(); f.ID == pdu.SubmitSMID && !ce.Sent {
			t.Errorf("the abandoned submit_sm went out, and its error says it was not sent: %v", err)
		}
		s.Close()
		b.Close()
	})
}

// TestQueuedRequestLostWhenFlushed: a session closed on a bad command_length
// writes what is queued (the generic_nack, and a request queued behind a
// write that has not finished), so that request's LostError says it may
// have been sent. It said Sent: false.
func TestQueuedRequestLostWhenFlushed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, p, b := boundESME(t, session.Config{})
		ctx := context.Background()

		go s.Send(ctx, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("first")})
		synctest.Wait()
		lost := make(chan error, 1)
		go func() {
			_, err := s.Send(ctx, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("second")})
			lost <- err
		}()
		synctest.Wait()
		b.Write([]byte{0, 0, 0, 8, 0, 0, 0, 0x15}) // command_length 8
		err := <-lost
		var le *session.LostError
		if !errors.As(err, &le) {
			t.Fatalf("queued submit: %v", err)
		}
		p.read() // the first
		if f := p.read(); f.ID == pdu.SubmitSMID && !le.Sent {
			t.Errorf("the queued submit_sm went out, and its error says it was not sent: %v", err)
		}
		s.Close()
		b.Close()
	})
}

// boundESME returns an ESME session with cfg (its Role and
// EnquireLinkInterval set here: ESME, none) bound as transceiver over a
// pipe to a raw peer, and the peer's end of the pipe. It runs in a
// synctest bubble.
func boundESME(t *testing.T, cfg session.Config) (*session.Session, *rawPeer, net.Conn) {
	t.Helper()
	a, b := net.Pipe()
	cfg.Role, cfg.EnquireLinkInterval = session.ESME, -1
	s := session.New(a, cfg)
	p := newRaw(t, b)
	go s.Bind(context.Background(), &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "esme"})
	f := p.read()
	p.send(f.Sequence, 0, &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "smsc"})
	synctest.Wait()
	return s, p, b
}
