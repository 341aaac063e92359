package server_test

import (
	"net"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

func TestOutbind(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler, Logger: quiet}
	start(t, srv) // so that Close runs at the end
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// The ESME: on outbind, bind as receiver on the same connection.
	esme := make(chan *smpptest.ESME, 1)
	got := make(chan *pdu.Outbind, 1)
	go func() {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		var e *smpptest.ESME
		ready := make(chan struct{})
		e = smpptest.NewESME(nc, session.Config{Logger: quiet, OnOutbind: func(s *session.Session, o *pdu.Outbind) {
			got <- o
			go func() {
				<-ready
				e.BindAs(bg, pdu.BindReceiverID, "out", "pw")
			}()
		}})
		close(ready)
		esme <- e
	}()
	conn, err := srv.Outbind(bg, l.Addr().String(), &pdu.Outbind{SystemID: "SMSC", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	e := <-esme
	defer e.Close()
	if o := <-got; o.SystemID != "SMSC" || o.Password != "pw" {
		t.Fatalf("outbind: %+v", o)
	}
	if conn.State() != session.BoundRX || conn.SystemID() != "out" {
		t.Fatalf("connection %s %q", conn.State(), conn.SystemID())
	}
	if _, err := srv.Deliver(bg, "out", &pdu.DeliverSM{DestinationAddr: "1"}); err != nil {
		t.Fatalf("deliver over the outbound session: %v", err)
	}
}
