package server_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/msgid"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/smpptest"
)

// The SMSC quick start of the README: accept binds with a password, answer
// each submit_sm with a message id, and send its delivery receipt. It
// imports server, pdu and msgid only. (The ESME driving it is a test ESME.)
func Example() {
	ids, err := msgid.New(msgid.Options{}) // 16 hex digits that grow with time
	if err != nil {
		log.Fatal(err)
	}
	srv := &server.Server{
		Authenticate: func(ctx context.Context, b *server.BindRequest) (*server.Account, pdu.Status) {
			if b.Bind.SystemID != "user" || b.Bind.Password != "secret" {
				return nil, pdu.ESME_RINVPASWD
			}
			return &server.Account{Rate: 100}, pdu.ESME_ROK // 100 msg/s across all binds
		},
		Logger: quiet,
	}
	mux := server.NewServeMux()
	mux.HandleFunc(pdu.SubmitSMID, func(w server.ResponseWriter, r *server.Request) {
		sm := r.PDU.(*pdu.SubmitSM)
		id := ids.Next()
		w.Respond(&pdu.SubmitSMResp{MessageID: id}, pdu.ESME_ROK)
		if sm.RegisteredDelivery&1 == 0 {
			return // no receipt asked for
		}
		// Delivered at once: the receipt goes to a receiver of the account.
		text, _ := sm.Text()
		now := time.Now()
		receipt := pdu.NewReceiptDeliverSM(sm, &pdu.Receipt{ID: id, State: pdu.StateDelivered, SubmitDate: now, DoneDate: now, Text: text})
		go func() {
			if _, err := srv.Deliver(context.Background(), r.Conn().SystemID(), receipt); err != nil {
				log.Printf("receipt %s: %v", id, err)
			}
		}()
	})
	srv.Handler = mux

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l) // or srv.ListenAndServeTLS("cert.pem", "key.pem"): TLS 1.3 minimum
	defer srv.Shutdown(context.Background())

	// An ESME submits a message and asks for its receipt.
	esme, err := smpptest.DialBind(context.Background(), l.Addr().String(), smpptest.ESMEOptions{}, pdu.BindTransceiverID, "user", "secret")
	if err != nil {
		log.Fatal(err)
	}
	defer esme.Close()
	resp, err := esme.Submit(context.Background(), &pdu.SubmitSM{SourceAddr: "MyBrand", DestinationAddr: "254700000001", ShortMessage: []byte("hello"), RegisteredDelivery: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("message id of 16 hex digits:", regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(resp.MessageID))
	got, err := esme.WaitReceived(1, 5*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	var rc pdu.Receipt
	d := got[0].PDU.(*pdu.DeliverSM)
	pdu.ReceiptFromDeliverSM(d, &rc)
	fmt.Println("receipt to", d.DestinationAddr, "for the same id:", rc.ID == resp.MessageID, rc.State, rc.Text)
	// Output:
	// message id of 16 hex digits: true
	// receipt to MyBrand for the same id: true DELIVERED hello
}

// Push a delivery receipt to one chosen receiver and hear its answer in a
// callback: no goroutine waits for it.
func ExampleConn_DeliverAsync() {
	srv := &server.Server{Logger: quiet}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(l)
	defer srv.Close()
	rx, err := smpptest.DialBind(context.Background(), l.Addr().String(), smpptest.ESMEOptions{}, pdu.BindReceiverID, "acme", "")
	if err != nil {
		log.Fatal(err)
	}
	defer rx.Close()

	sm := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "27820001234"} // as the ESME sent it
	d := pdu.NewReceiptDeliverSM(sm, &pdu.Receipt{ID: "1", State: pdu.StateDelivered})
	acked := make(chan error, 1)
	for _, conn := range srv.Receivers("acme") {
		conn.DeliverAsync(context.Background(), d).OnDone(func(_ *pdu.DeliverSMResp, err error) {
			acked <- err // on the connection's read loop: do not block
		})
		break // the first receiver
	}
	fmt.Println("acknowledged:", <-acked == nil)
	// Output: acknowledged: true
}

// Pushing a delivery receipt to the receivers of a system_id, round robin,
// and waiting for the answer.
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

// A ServeMux routes by command id; the handler finds the connection (and the
// account it bound with) from the request.
func ExampleServeMux() {
	var next atomic.Uint64
	mux := server.NewServeMux()
	mux.HandleFunc(pdu.SubmitSMID, func(w server.ResponseWriter, r *server.Request) {
		sm := r.PDU.(*pdu.SubmitSM)
		fmt.Printf("%s submits to %s: %s\n", r.Conn().SystemID(), sm.DestinationAddr, sm.ShortMessage)
		w.Respond(&pdu.SubmitSMResp{MessageID: strconv.FormatUint(next.Add(1), 10)}, pdu.ESME_ROK)
	})
	srv := &server.Server{Handler: mux, Logger: quiet}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(l)
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

// With InlineHandler the server answers on each connection's read loop,
// which suits handlers that answer at once; a command whose handler may
// wait (here a store that takes a while) is wrapped in OffLoop, and the
// connection reads on meanwhile.
func ExampleOffLoop() {
	store := func(sm *pdu.SubmitSM) string { // a database write, say
		time.Sleep(time.Millisecond)
		return "stored-1"
	}
	mux := server.NewServeMux()
	mux.Handle(pdu.SubmitSMID, server.OffLoop(server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		w.Respond(&pdu.SubmitSMResp{MessageID: store(r.PDU.(*pdu.SubmitSM))}, pdu.ESME_ROK)
	})))
	srv := &server.Server{Handler: mux, Logger: quiet}
	srv.Session.InlineHandler = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	esme, err := smpptest.DialBind(context.Background(), l.Addr().String(), smpptest.ESMEOptions{}, pdu.BindTransmitterID, "acme", "secret")
	if err != nil {
		log.Fatal(err)
	}
	defer esme.Close()
	resp, err := esme.Submit(context.Background(), &pdu.SubmitSM{DestinationAddr: "27820001234", ShortMessage: []byte("hello")})
	fmt.Println(resp.MessageID, err)
	// Output: stored-1 <nil>
}
