package session_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// TestNoRequestAfterUnbindResp: a request that waited for the window while
// the peer's unbind was answered is not sent after the unbind_resp (it
// was: the state was checked before the wait only), and says it was not
// sent. FuzzClientSession found it with a submit that retried after
// ESME_RTHROTTLED; the SMSC role is the same with deliver_sm.
func TestNoRequestAfterUnbindResp(t *testing.T) {
	for _, tc := range []struct {
		role session.Role
		req  func() pdu.PDU
	}{
		{session.ESME, func() pdu.PDU { return &pdu.SubmitSM{DestinationAddr: "1"} }},
		{session.SMSC, func() pdu.PDU { return &pdu.DeliverSM{DestinationAddr: "1"} }},
	} {
		t.Run(tc.role.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := net.Pipe()
				s := session.New(a, session.Config{Role: tc.role, Window: 1, EnquireLinkInterval: -1, BindTimeout: -1})
				p := newRaw(t, b)
				ctx := context.Background()
				if tc.role == session.ESME {
					go s.Bind(ctx, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "esme"})
					f := p.read()
					p.send(f.Sequence, 0, &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "smsc"})
				} else {
					p.send(1, 0, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "esme"})
					p.read()
				}
				synctest.Wait()

				// The first request takes the window; the second waits.
				go s.Send(ctx, tc.req())
				first := p.read()
				second := make(chan error, 1)
				go func() {
					_, err := s.Send(ctx, tc.req())
					second <- err
				}()
				synctest.Wait()

				// The peer unbinds, then answers the first request.
				p.send(100, 0, &pdu.Unbind{})
				if f := p.read(); f.ID != pdu.UnbindRespID || f.Sequence != 100 {
					t.Fatalf("unbind answered %s seq %d", f.ID, f.Sequence)
				}
				p.send(first.Sequence, 0, pdu.New(first.ID.Response()))
				next := make(chan codec.Frame, 1)
				go func() {
					if f, err := p.rd.Read(); err == nil {
						next <- f
					}
				}()
				synctest.Wait()
				select {
				case f := <-next:
					t.Errorf("%s sent %s after its unbind_resp", tc.role, f.ID)
				default:
				}
				select {
				case err := <-second:
					if !errors.Is(err, session.ErrNotAllowed) {
						t.Errorf("the request after unbind_resp: %v, want ErrNotAllowed", err)
					}
				default:
					t.Errorf("the request after unbind_resp is still waiting")
				}
				s.Close()
				b.Close()
			})
		})
	}
}
