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
