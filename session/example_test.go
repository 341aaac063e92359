package session_test

import (
	"context"
	"fmt"
	"net"
	"time"

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

// submission is an application's per-message record with a session.Call
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

// SendNotify with the Call embedded in the application's own struct, one per
// request, for programs that keep thousands of requests in flight. (Pass a
// nil Call and a session.NotifierFunc for a plain callback.)
func ExampleSession_SendNotify() {
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

	sub := &submission{to: "254700000001", done: make(chan string, 1)}
	esme.SendNotify(ctx, &pdu.SubmitSM{DestinationAddr: sub.to, ShortMessage: []byte("hi")}, sub, &sub.call)
	fmt.Println(<-sub.done)

	esme.Unbind(ctx)
	smsc.Wait()
	// Output:
	// 254700000001: msg-254700000001
}

// SendAsync returns a future. The context given to Wait bounds only the
// waiting: the request goes on, and a later Wait still gets its outcome. The
// context the request was sent with bounds the request itself.
func ExampleSession_SendAsync() {
	a, b := net.Pipe()
	release := make(chan struct{})
	smsc := session.New(a, session.Config{
		Role: session.SMSC,
		Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
			<-release // a slow SMSC
			w.Respond(&pdu.SubmitSMResp{MessageID: "42"}, pdu.ESME_ROK)
		}),
	})
	esme := session.New(b, session.Config{Role: session.ESME})
	ctx := context.Background()
	if _, err := esme.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "user", Password: "secret"}); err != nil {
		panic(err)
	}

	call := esme.SendAsync(ctx, &pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte("hi")})
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	_, err := call.Wait(short)
	cancel()
	fmt.Println("first wait:", err)

	close(release)
	resp, err := call.Wait(ctx)
	fmt.Println("second wait:", resp.PDU.(*pdu.SubmitSMResp).MessageID, err)

	esme.Unbind(ctx)
	smsc.Wait()
	// Output:
	// first wait: context deadline exceeded
	// second wait: 42 <nil>
}
