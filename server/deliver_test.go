package server_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

// TestDeliverRoundRobin pushes receipts to two receivers of one system_id.
func TestDeliverRoundRobin(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler, Logger: quiet}
	addr := start(t, srv)
	if _, err := srv.Deliver(bg, "nobody", &pdu.DeliverSM{}); !errors.Is(err, server.ErrNoReceiver) {
		t.Fatalf("no receiver: %v", err)
	}
	tx := bindESME(t, addr, pdu.BindTransmitterID, "acme")
	if _, err := srv.Deliver(bg, "acme", &pdu.DeliverSM{}); !errors.Is(err, server.ErrNoReceiver) {
		t.Fatalf("only a transmitter bound: %v", err)
	}
	rx := bindESME(t, addr, pdu.BindReceiverID, "acme")
	trx := bindESME(t, addr, pdu.BindTransceiverID, "acme")
	for i := range 10 {
		d := &pdu.DeliverSM{SourceAddr: "1", DestinationAddr: "2", ESMClass: 0x04, ShortMessage: []byte(fmt.Sprint("id:", i, " stat:DELIVRD"))}
		if _, err := srv.Deliver(bg, "acme", d); err != nil {
			t.Fatalf("deliver %d: %v", i, err)
		}
	}
	if a, b := len(rx.Received()), len(trx.Received()); a != 5 || b != 5 || len(tx.Received()) != 0 {
		t.Fatalf("receivers got %d and %d, transmitter %d", a, b, len(tx.Received()))
	}
	// data_sm too; an ESME answering with an error status is reported.
	if _, err := srv.DataSM(bg, "acme", &pdu.DataSM{DestinationAddr: "2"}); err != nil {
		t.Fatalf("data_sm: %v", err)
	}
	// A receiver that went away is skipped.
	rx.Close()
	waitFor(t, "one receiver", func() bool { return len(srv.Receivers("acme")) == 1 })
	for range 3 {
		if _, err := srv.Deliver(bg, "acme", &pdu.DeliverSM{}); err != nil {
			t.Fatalf("deliver after a receiver left: %v", err)
		}
	}
}

func TestDeliverRefused(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler, Logger: quiet}
	addr := start(t, srv)
	e, err := smpptest.Dial(bg, addr, smpptest.ESMEOptions{Config: session.Config{Logger: quiet, Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
		w.Respond(nil, pdu.ESME_RX_T_APPN)
	})}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.BindAs(bg, pdu.BindReceiverID, "r", "pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Deliver(bg, "r", &pdu.DeliverSM{}); !errors.Is(err, pdu.ESME_RX_T_APPN) {
		t.Fatalf("deliver refused: %v", err)
	}
}
