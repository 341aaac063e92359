package bench

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linxGnu/gosmpp"
	"github.com/linxGnu/gosmpp/data"
	gpdu "github.com/linxGnu/gosmpp/pdu"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/smpptest"
	"github.com/esmsafrica/smpp/udh"
)

// TestGosmppClient drives a server from this module with the gosmpp client,
// as a real ESME would: a transceiver bind, a long UCS-2 message that gosmpp
// splits itself (it sends every part with the same sequence number), and the
// receipts pushed back and acknowledged by gosmpp.
func TestGosmppClient(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{Receipts: true, ReceiptDelay: 10 * time.Millisecond})
	var mu sync.Mutex
	var resps []*gpdu.SubmitSMResp
	var receipts []*gpdu.DeliverSM
	s, err := gosmpp.NewSession(gosmpp.TRXConnector(gosmpp.NonTLSDialer, gosmpp.Auth{SMSC: ts.Addr, SystemID: "gosmpp", Password: "pw"}),
		gosmpp.Settings{
			ReadTimeout:  10 * time.Second,
			EnquireLink:  5 * time.Second,
			WriteTimeout: 10 * time.Second,
			OnPDU: func(p gpdu.PDU, responded bool) {
				mu.Lock()
				defer mu.Unlock()
				switch v := p.(type) {
				case *gpdu.SubmitSMResp:
					resps = append(resps, v)
				case *gpdu.DeliverSM:
					receipts = append(receipts, v)
				}
			},
			OnSubmitError: func(_ gpdu.PDU, err error) { t.Errorf("gosmpp submit error: %v", err) },
		}, time.Hour)
	if err != nil {
		t.Fatalf("gosmpp bind: %v", err)
	}
	defer s.Close()

	text := "Habari 👋 — a message long enough that gosmpp has to split it into several UCS-2 parts, each with its own user data header."
	sm := gpdu.NewSubmitSM().(*gpdu.SubmitSM)
	sm.SourceAddr, _ = gpdu.NewAddressWithAddr("1000")
	sm.DestAddr, _ = gpdu.NewAddressWithAddr("254700000001")
	msg, err := gpdu.NewShortMessageWithEncoding(text, data.UCS2)
	if err != nil {
		t.Fatal(err)
	}
	sm.Message = msg
	sm.RegisteredDelivery = 1
	parts, err := sm.Split()
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 2 {
		t.Fatalf("gosmpp made %d parts", len(parts))
	}
	for _, p := range parts {
		if err := s.Transceiver().Submit(p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ts.WaitSubmits(len(parts), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// The server accepted every part, whatever their sequence numbers.
	seqs := map[uint32]bool{}
	for _, g := range got {
		seqs[g.Header.Sequence] = true
	}
	t.Logf("gosmpp sent %d parts with %d distinct sequence numbers", len(got), len(seqs))
	r := udh.NewReassembler(udh.Config{})
	var done *udh.Assembled
	for _, g := range got {
		sub := g.PDU.(*pdu.SubmitSM)
		// (gosmpp v0.3.1 makes UCS-2 parts of 142 octets, over the 140 of
		// the air interface; a server still accepts them.)
		if g.Status != pdu.ESME_ROK || sub.ESMClass&0x40 == 0 {
			t.Fatalf("part: status %s esm_class %#x length %d", g.Status, sub.ESMClass, len(sub.ShortMessage))
		}
		m, ok, err := r.Add(udh.Part{Source: sub.SourceAddr, Dest: sub.DestinationAddr, UDHI: true, DataCoding: sub.DataCoding, ShortMessage: sub.ShortMessage}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			done = &m
		}
	}
	if done == nil {
		t.Fatal("gosmpp's parts did not reassemble")
	}
	if s, err := done.Text(); err != nil || s != text {
		t.Fatalf("reassembled %q, %v", s, err)
	}
	// Every part answered, and every receipt acknowledged by gosmpp.
	if _, err := ts.WaitReceipts(len(parts), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, rr := range ts.Receipts() {
		if rr.Err != nil {
			t.Fatalf("receipt %s refused by gosmpp: %v", rr.MessageID, rr.Err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		nr, nd := len(resps), len(receipts)
		mu.Unlock()
		if nr == len(parts) && nd == len(parts) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gosmpp saw %d responses and %d receipts, want %d each", nr, nd, len(parts))
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, rp := range resps {
		if rp.CommandStatus != data.ESME_ROK || rp.MessageID == "" {
			t.Fatalf("gosmpp got %+v", rp)
		}
	}
}

// TestGosmppBindRefused checks that gosmpp reads a refused bind as the
// status the server gave (and not as a malformed response), in every bind
// mode: it reads system_id from a refused bind_transceiver_resp (the server
// sends it), and the body of the other two as TLVs (the server sends none).
func TestGosmppBindRefused(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{Credentials: map[string]string{"gosmpp": "right"}})
	connector := func(mode string, a gosmpp.Auth) gosmpp.Connector {
		switch mode {
		case "rx":
			return gosmpp.RXConnector(gosmpp.NonTLSDialer, a)
		case "trx":
			return gosmpp.TRXConnector(gosmpp.NonTLSDialer, a)
		}
		return gosmpp.TXConnector(gosmpp.NonTLSDialer, a)
	}
	for _, c := range []struct {
		mode, user, pw, want string
	}{
		{"tx", "gosmpp", "wrong", "ESME_RINVPASWD"}, {"tx", "nobody", "right", "ESME_RINVSYSID"},
		{"rx", "gosmpp", "wrong", "ESME_RINVPASWD"}, {"trx", "gosmpp", "wrong", "ESME_RINVPASWD"}, {"trx", "nobody", "right", "ESME_RINVSYSID"},
	} {
		s, err := gosmpp.NewSession(connector(c.mode, gosmpp.Auth{SMSC: ts.Addr, SystemID: c.user, Password: c.pw}),
			gosmpp.Settings{ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second}, -1)
		if err == nil {
			s.Close()
			t.Fatalf("%s %s/%s: bind accepted", c.mode, c.user, c.pw)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s/%s: gosmpp says %q, want it to name %s", c.mode, c.user, c.pw, err, c.want)
		}
	}
}
