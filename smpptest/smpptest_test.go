package smpptest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

var bg = context.Background()

func TestServerRecordsAndReceipts(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{Credentials: map[string]string{"u": "p"}, Receipts: true, ReceiptDelay: 5 * time.Millisecond})
	if _, err := smpptest.DialBind(bg, ts.Addr, smpptest.ESMEOptions{}, pdu.BindTransmitterID, "u", "bad"); !errors.Is(err, pdu.ESME_RINVPASWD) {
		t.Fatalf("bad password: %v", err)
	}
	if _, err := smpptest.DialBind(bg, ts.Addr, smpptest.ESMEOptions{}, pdu.BindTransmitterID, "x", "p"); !errors.Is(err, pdu.ESME_RINVSYSID) {
		t.Fatalf("unknown system_id: %v", err)
	}
	e, err := smpptest.DialBind(bg, ts.Addr, smpptest.ESMEOptions{}, pdu.BindTransceiverID, "u", "p")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ids := map[string]bool{}
	for range 3 {
		r, err := e.Submit(bg, &pdu.SubmitSM{SourceAddr: "1", DestinationAddr: "2", RegisteredDelivery: 1, ShortMessage: []byte("hi")})
		if err != nil {
			t.Fatal(err)
		}
		ids[r.MessageID] = true
	}
	if len(ids) != 3 {
		t.Fatalf("ids not unique: %v", ids)
	}
	subs, err := ts.WaitSubmits(3, 5*time.Second)
	if err != nil || len(subs) != 3 || subs[0].SystemID != "u" || string(subs[0].PDU.(*pdu.SubmitSM).ShortMessage) != "hi" {
		t.Fatalf("submits: %v %+v", err, subs)
	}
	got, err := e.WaitReceived(3, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		d := r.PDU.(*pdu.DeliverSM)
		var rc pdu.Receipt
		if err := pdu.ReceiptFromDeliverSM(d, &rc); err != nil || !ids[rc.ID] || !rc.Delivered() || d.DestinationAddr != "1" {
			t.Fatalf("receipt: %v %+v", err, rc)
		}
	}
	rs, _ := ts.WaitReceipts(3, 5*time.Second)
	for _, r := range rs {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	// query_sm knows the state.
	for id := range ids {
		resp, err := e.Send(bg, &pdu.QuerySM{MessageID: id})
		if err != nil || resp.PDU.(*pdu.QuerySMResp).MessageState != pdu.StateDelivered {
			t.Fatalf("query %s: %v", id, err)
		}
	}
	if _, err := e.Send(bg, &pdu.QuerySM{MessageID: "nope"}); !errors.Is(err, pdu.ESME_RINVMSGID) {
		t.Fatalf("query unknown: %v", err)
	}
	if bs := ts.Binds(); len(bs) != 3 || bs[2].Status != pdu.ESME_ROK {
		t.Fatalf("binds %+v", bs)
	}
}

func TestThrottleEveryAndDrop(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{ThrottleEvery: 3, DropAfter: 5})
	e, err := smpptest.DialBind(bg, ts.Addr, smpptest.ESMEOptions{Config: session.Config{}}, pdu.BindTransmitterID, "a", "")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var statuses []error
	for range 5 {
		_, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"})
		statuses = append(statuses, err)
	}
	for i, err := range statuses {
		if (i+1)%3 == 0 != errors.Is(err, pdu.ESME_RTHROTTLED) || (i+1)%3 != 0 && err != nil {
			t.Fatalf("submit %d: %v", i+1, err)
		}
	}
	var lost *session.LostError
	if _, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"}); !errors.As(err, &lost) {
		t.Fatalf("sixth submit: %v", err)
	}
}

func TestTLSServer(t *testing.T) {
	ts := smpptest.NewTLSServer(t, smpptest.Options{})
	e, err := smpptest.DialBind(bg, ts.Addr, smpptest.ESMEOptions{TLS: ts.ClientTLSConfig()}, pdu.BindTransceiverID, "a", "")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"}); err != nil {
		t.Fatal(err)
	}
}
