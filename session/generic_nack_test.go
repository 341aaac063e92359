package session_test

import (
	"context"
	"net"
	"testing"
	"testing/synctest"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// TestGenericNackWithOKFails: a generic_nack refuses the request it answers
// even when its command_status is ESME_ROK (a peer's bug). Such an answer
// completed a submit_sm with no error and no body, and a bind with no error
// while the session stayed OPEN (FuzzClientSession found the first; a client
// then waited for ever on a session it took for bound).
func TestGenericNackWithOKFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s := session.New(a, session.Config{Role: session.ESME, EnquireLinkInterval: -1})
		p := newRaw(t, b)
		ctx := context.Background()

		bound := make(chan error, 1)
		go func() {
			_, err := s.Bind(ctx, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "esme"})
			bound <- err
		}()
		f := p.read()
		p.send(f.Sequence, pdu.ESME_ROK, &pdu.GenericNack{})
		if err := <-bound; err == nil {
			t.Errorf("bind answered by generic_nack ESME_ROK: no error (state %s)", s.State())
		}
		if st := s.State(); st != session.Open {
			t.Fatalf("state %s after the bind's generic_nack, want OPEN", st)
		}

		// Bound by a proper answer, a submit_sm gets the same.
		go func() {
			_, err := s.Bind(ctx, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "esme"})
			bound <- err
		}()
		f = p.read()
		p.send(f.Sequence, pdu.ESME_ROK, &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "smsc"})
		if err := <-bound; err != nil {
			t.Fatal(err)
		}
		type result struct {
			resp *session.Response
			err  error
		}
		sent := make(chan result, 1)
		go func() {
			resp, err := s.Send(ctx, &pdu.SubmitSM{DestinationAddr: "1"})
			sent <- result{resp, err}
		}()
		f = p.read()
		p.send(f.Sequence, pdu.ESME_ROK, &pdu.GenericNack{})
		r := <-sent
		if r.err == nil {
			t.Errorf("submit_sm answered by generic_nack ESME_ROK: no error")
		}
		if r.resp == nil || r.resp.Header.ID != pdu.GenericNackID || r.resp.Header.Sequence != f.Sequence {
			t.Errorf("submit_sm answered by generic_nack: response %+v", r.resp)
		}
		s.Close()
		b.Close()
	})
}
