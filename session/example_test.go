package session_test

import (
	"context"
	"fmt"
	"net"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// Two sessions joined by a pipe: an SMSC that answers submissions, and an ESME
// that binds and submits. The server and client packages build on this.
func Example() {
	a, b := net.Pipe()
	smsc := session.New(a, session.Config{
		Role: session.SMSC,
		Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
			sm := r.PDU.(*pdu.SubmitSM)
			w.Respond(&pdu.SubmitSMResp{MessageID: "id-for-" + sm.DestinationAddr}, pdu.ESME_ROK)
		}),
	})
	esme := session.New(b, session.Config{Role: session.ESME})
	ctx := context.Background()

	if _, err := esme.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "user", Password: "secret", InterfaceVersion: 0x34}); err != nil {
		panic(err)
	}
	fmt.Println(esme.State(), smsc.State(), smsc.SystemID())

	resp, err := esme.Send(ctx, &pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte("hi")})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.PDU.(*pdu.SubmitSMResp).MessageID)

	esme.Unbind(ctx)
	smsc.Wait()
	fmt.Println(esme.State(), smsc.State())
	// Output:
	// BOUND_TX BOUND_TX user
	// id-for-254700000001
	// CLOSED CLOSED
}

// submission is an application's per-message record with the session.Call
// inside it: sending it costs the session no allocation of its own, and
// CallDone hears the outcome on the session's read loop.
type submission struct {
	call session.Call
	to   string
	done chan string
}

func (s *submission) CallDone(c *session.Call) {
	resp, err := c.Result()
	if err != nil {
		s.done <- s.to + ": " + err.Error()
		return
	}
	s.done <- s.to + ": " + resp.PDU.(*pdu.SubmitSMResp).MessageID
}

// SendCall with the Call embedded in the application's own struct, one per
// request, for programs that keep thousands of requests in flight.
func ExampleSession_SendCall() {
	a, b := net.Pipe()
	smsc := session.New(a, session.Config{
		Role: session.SMSC,
		Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
			w.Respond(&pdu.SubmitSMResp{MessageID: "msg-" + r.PDU.(*pdu.SubmitSM).DestinationAddr}, pdu.ESME_ROK)
		}),
	})
	esme := session.New(b, session.Config{Role: session.ESME})
	ctx := context.Background()
	if _, err := esme.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "user", Password: "secret"}); err != nil {
		panic(err)
	}

	done := make(chan string, 1)
	sub := &submission{to: "254700000001", done: done}
	sm := &pdu.SubmitSM{DestinationAddr: sub.to, ShortMessage: []byte("hi")}
	if err := esme.SendCall(ctx, &sub.call, sm, sub); err != nil {
		panic(err)
	}
	fmt.Println(<-done)

	// A Call is sent once: a second SendCall of the same one is refused.
	fmt.Println(esme.SendCall(ctx, &sub.call, sm, sub) == session.ErrCallReused)

	esme.Unbind(ctx)
	smsc.Wait()
	// Output:
	// 254700000001: msg-254700000001
	// true
}
