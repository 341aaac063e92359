package server_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

// A store-and-forward SMSC reads requests leniently, refuses a submit_sm
// with a field beyond its SMPP 3.4 limit (it could not forward it), and
// stores the body as it came, without encoding it again.
func ExampleRequest() {
	stored := make(chan []byte, 1)
	mux := server.NewServeMux()
	mux.HandleFunc(pdu.SubmitSMID, func(w server.ResponseWriter, r *server.Request) {
		sm := r.PDU.(*pdu.SubmitSM)
		if err := sm.Validate(); err != nil {
			w.Respond(nil, pdu.StatusOf(err)) // ESME_RINVDSTADR for a 21-digit destination
			return
		}
		stored <- r.Body // the request's own memory: it may be kept
		w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
	})
	srv := &server.Server{Handler: mux, Logger: quiet, Session: session.Config{Decode: pdu.DecodeOptions{Lenient: true}}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	esme, err := smpptest.DialBind(context.Background(), l.Addr().String(), smpptest.ESMEOptions{}, pdu.BindTransmitterID, "user", "secret")
	if err != nil {
		log.Fatal(err)
	}
	defer esme.Close()
	sm := &pdu.SubmitSM{SourceAddr: "MyBrand", DestinationAddr: "254700000001", ShortMessage: []byte("hello")}
	if _, err := esme.Submit(context.Background(), sm); err != nil {
		log.Fatal(err)
	}
	sent, _ := sm.AppendBinary(nil)
	fmt.Println("stored as sent:", bytes.Equal(<-stored, sent))
	// Output: stored as sent: true
}
