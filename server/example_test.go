package server_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"strconv"
	"sync/atomic"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/smpptest"
)

// A minimal SMSC: accept binds with a password, answer submit_sm with
// message ids, 100 msg/s per system_id.
func Example() {
	var next atomic.Uint64
	mux := server.NewServeMux()
	mux.HandleFunc(pdu.SubmitSMID, func(w server.ResponseWriter, r *server.Request) {
		sm := r.PDU.(*pdu.SubmitSM)
		id := strconv.FormatUint(next.Add(1), 10)
		fmt.Printf("%s submits to %s: %s\n", r.Conn().SystemID(), sm.DestinationAddr, sm.ShortMessage)
		w.Respond(&pdu.SubmitSMResp{MessageID: id}, pdu.ESME_ROK)
	})
	srv := &server.Server{
		Handler: mux,
		Authenticate: func(ctx context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
			if r.Bind.Password != "secret" {
				return nil, pdu.ESME_RINVPASWD
			}
			return &server.Account{Rate: 100, MaxBinds: 4}, pdu.ESME_ROK
		},
		Logger: quiet,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l) // or srv.ListenAndServeTLS("cert.pem", "key.pem")
	defer srv.Shutdown(context.Background())

	esme, err := smpptest.DialBind(context.Background(), l.Addr().String(), smpptest.ESMEOptions{}, pdu.BindTransmitterID, "acme", "secret")
	if err != nil {
		log.Fatal(err)
	}
	defer esme.Close()
	resp, err := esme.Submit(context.Background(), &pdu.SubmitSM{DestinationAddr: "27820001234", ShortMessage: []byte("hello")})
	fmt.Println(resp.MessageID, err)
	// Output:
	// acme submits to 27820001234: hello
	// 1 <nil>
}

// Pushing a delivery receipt to the receivers of a system_id.
func ExampleServer_Deliver() {
	srv := &server.Server{Logger: quiet}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(l)
	defer srv.Close()
	rx, err := smpptest.DialBind(context.Background(), l.Addr().String(), smpptest.ESMEOptions{}, pdu.BindReceiverID, "acme", "")
	if err != nil {
		log.Fatal(err)
	}
	defer rx.Close()

	text := pdu.AppendReceipt(nil, &pdu.Receipt{ID: "1", State: pdu.StateDelivered})
	d := &pdu.DeliverSM{SourceAddr: "27820001234", DestinationAddr: "1000", ESMClass: 0x04, ShortMessage: text}
	d.TLVs.SetReceiptedMessageID("1")
	d.TLVs.SetMessageState(uint8(pdu.StateDelivered))
	_, err = srv.Deliver(context.Background(), "acme", d)
	fmt.Println("acknowledged:", err == nil)
	// Output: acknowledged: true
}
