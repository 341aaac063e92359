package server_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

// receiptFor is the receipt deliver_sm of a submit_sm, as a handler pushes it.
func receiptFor(sm *pdu.SubmitSM, id string) *pdu.DeliverSM {
	return pdu.NewReceiptDeliverSM(sm, &pdu.Receipt{ID: id, State: pdu.StateDelivered})
}

// A handler may push to the ESME while it runs, to the very connection its
// request came on, and (on its own goroutine, the default) wait for the
// answer: the connection's reading goes on meanwhile. Inline, it pushes
// with DeliverAsync and OnDone. Either way the ESME gets the receipt and the
// submit_sm_resp.
func TestDeliverFromHandler(t *testing.T) {
	for _, inline := range []bool{false, true} {
		name := map[bool]string{false: "goroutine, Deliver", true: "inline, DeliverAsync"}[inline]
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			acked := make(chan error, 1)
			srv := &server.Server{Logger: quiet, Session: session.Config{InlineHandler: inline},
				Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
					d := receiptFor(r.PDU.(*pdu.SubmitSM), "42")
					if inline {
						r.Conn().DeliverAsync(r.Context(), d).OnDone(func(_ *pdu.DeliverSMResp, err error) { acked <- err })
					} else {
						_, err := r.Conn().Deliver(r.Context(), d)
						acked <- err
					}
					w.Respond(&pdu.SubmitSMResp{MessageID: "42"}, pdu.ESME_ROK)
				})}
			addr := start(t, srv)
			e := bindESME(t, addr, pdu.BindTransceiverID, "a")
			defer e.Close()
			if r, err := e.Submit(bg, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", RegisteredDelivery: 1}); err != nil || r.MessageID != "42" {
				t.Fatalf("submit: %v %v", r, err)
			}
			if err := <-acked; err != nil {
				t.Fatalf("the push from the handler: %v", err)
			}
			got, err := e.WaitReceived(1, 5*time.Second)
			if err != nil || got[0].Header.ID != pdu.DeliverSMID {
				t.Fatalf("the ESME received %v, %v", got, err)
			}
		})
	}
}

// An inline handler that waits for the answer to a push on its own
// connection holds up the loop that would read it: the push ends with
// ErrTimeout after the session's response timeout (the answer read later is
// dropped), and the connection goes on. Not a deadlock, but a handler's
// documented mistake.
func TestInlineHandlerWaitingForOwnPush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		waited := make(chan time.Duration, 1)
		pushErr := make(chan error, 1)
		srv := &server.Server{Session: session.Config{InlineHandler: true, ResponseTimeout: 10 * time.Second, EnquireLinkInterval: -1},
			Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
				start := time.Now()
				_, err := r.Conn().Deliver(context.Background(), receiptFor(r.PDU.(*pdu.SubmitSM), "1"))
				waited <- time.Since(start)
				pushErr <- err
				w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
			})}
		bubbleServer(t, srv, func(l *pipeListener) {
			e := smpptest.NewESME(l.dial(), session.Config{EnquireLinkInterval: -1, Logger: quiet})
			defer e.Close()
			if _, err := e.BindAs(bg, pdu.BindTransceiverID, "a", "pw"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"}); err != nil {
				t.Fatalf("submit: %v", err)
			}
			if err := <-pushErr; !errors.Is(err, server.ErrTimeout) {
				t.Errorf("the push: %v, want ErrTimeout", err)
			}
			if d := <-waited; d < 10*time.Second || d > 12*time.Second {
				t.Errorf("the handler waited %v, want the response timeout (10 s)", d)
			}
			// The connection lives on.
			if _, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "2"}); err != nil {
				t.Fatalf("the next submit: %v", err)
			}
		})
	})
}
