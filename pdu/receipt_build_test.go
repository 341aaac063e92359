package pdu_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

func TestNewReceiptDeliverSM(t *testing.T) {
	sm := &pdu.SubmitSM{SourceAddrTON: 5, SourceAddrNPI: 0, SourceAddr: "MyBrand", DestAddrTON: 1, DestAddrNPI: 1,
		DestinationAddr: "254700000001", RegisteredDelivery: 1, ShortMessage: []byte("Your code is 1234")}
	submitted := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	done := submitted.Add(90 * time.Second)
	nairobi := time.FixedZone("EAT", 3*3600)
	for _, tc := range []struct {
		name     string
		opts     pdu.ReceiptOptions
		r        pdu.Receipt
		text     string
		state    pdu.MessageState
		hasState bool
		netErr   *tlv.NetworkError
	}{
		{"delivered", pdu.ReceiptOptions{}, pdu.Receipt{ID: "5a3f0001", State: pdu.StateDelivered, SubmitDate: submitted, DoneDate: done, Text: "Your code is 1234"},
			"id:5a3f0001 sub:001 dlvrd:001 submit date:2501020304 done date:2501020305 stat:DELIVRD err:000 text:Your code is 1234", pdu.StateDelivered, true, nil},
		{"undeliverable with a network error", pdu.ReceiptOptions{}, pdu.Receipt{ID: "7", State: pdu.StateUndeliverable, Err: "001", NetworkError: tlv.NetworkError{Type: 3, Code: 1}},
			"id:7 sub:001 dlvrd:000 submit date: done date: stat:UNDELIV err:001 text:", pdu.StateUndeliverable, true, &tlv.NetworkError{Type: 3, Code: 1}},
		{"network error zero but flagged", pdu.ReceiptOptions{}, pdu.Receipt{ID: "8", State: pdu.StateDelivered, Fields: pdu.ReceiptNetworkError},
			"id:8 sub:001 dlvrd:001 submit date: done date: stat:DELIVRD err:000 text:", pdu.StateDelivered, true, &tlv.NetworkError{}},
		{"state from the stat word", pdu.ReceiptOptions{}, pdu.Receipt{ID: "9", Stat: "EXPIRED"},
			"id:9 sub:001 dlvrd:000 submit date: done date: stat:EXPIRED err:000 text:", pdu.StateExpired, true, nil},
		{"vendor stat word: no message_state", pdu.ReceiptOptions{}, pdu.Receipt{ID: "10", Stat: "WHATEVER"},
			"id:10 sub:001 dlvrd:000 submit date: done date: stat:WHATEVER err:000 text:", 0, false, nil},
		{"dates in a zone, with seconds", pdu.ReceiptOptions{Location: nairobi, Seconds: true}, pdu.Receipt{ID: "11", State: pdu.StateDelivered, SubmitDate: submitted, DoneDate: done},
			"id:11 sub:001 dlvrd:001 submit date:250102060405 done date:250102060535 stat:DELIVRD err:000 text:", pdu.StateDelivered, true, nil},
		{"no id: no receipted_message_id", pdu.ReceiptOptions{}, pdu.Receipt{State: pdu.StateRejected},
			"id: sub:001 dlvrd:000 submit date: done date: stat:REJECTD err:000 text:", pdu.StateRejected, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d *pdu.DeliverSM
			if tc.opts == (pdu.ReceiptOptions{}) {
				d = pdu.NewReceiptDeliverSM(sm, &tc.r)
			} else {
				d = tc.opts.DeliverSM(sm, &tc.r)
			}
			if d.SourceAddrTON != 1 || d.SourceAddrNPI != 1 || d.SourceAddr != "254700000001" ||
				d.DestAddrTON != 5 || d.DestAddrNPI != 0 || d.DestinationAddr != "MyBrand" {
				t.Errorf("addresses not swapped: %+v", d)
			}
			if d.ESMClass != 0x04 || !d.IsReceipt() || d.DataCoding != 0 || d.RegisteredDelivery != 0 {
				t.Errorf("esm_class %#x data_coding %#x registered_delivery %d", d.ESMClass, d.DataCoding, d.RegisteredDelivery)
			}
			if string(d.ShortMessage) != tc.text {
				t.Errorf("text\n got %q\nwant %q", d.ShortMessage, tc.text)
			}
			id, ok := d.TLVs.ReceiptedMessageID()
			if ok != (tc.r.ID != "") || string(id) != tc.r.ID {
				t.Errorf("receipted_message_id %q %v", id, ok)
			}
			st, ok := d.TLVs.MessageState()
			if ok != tc.hasState || pdu.MessageState(st) != tc.state {
				t.Errorf("message_state %d %v", st, ok)
			}
			ne, ok := d.TLVs.NetworkErrorCode()
			if ok != (tc.netErr != nil) || (ok && ne != *tc.netErr) {
				t.Errorf("network_error_code %+v %v", ne, ok)
			}

			// The ESME reads back what the SMSC meant.
			frame, err := pdu.AppendPDU(nil, 1, pdu.ESME_ROK, d)
			must(t, err)
			_, p, err := pdu.Decode(frame, pdu.DecodeOptions{})
			must(t, err)
			var got pdu.Receipt
			must(t, pdu.ReceiptFromDeliverSM(p.(*pdu.DeliverSM), &got))
			if got.ID != tc.r.ID || (tc.hasState && got.State != tc.state) || got.Err != orDefault(tc.r.Err, "000") {
				t.Errorf("read back %+v", got)
			}
		})
	}
}

// A receipt text longer than short_message can hold goes in message_payload,
// and the result shares no memory with the submit_sm.
func TestNewReceiptDeliverSMLongTextAndNoAliasing(t *testing.T) {
	sm := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001"}
	r := &pdu.Receipt{ID: strings.Repeat("9", 64), State: pdu.StateDelivered, Stat: "DELIVERED-" + strings.Repeat("x", 150)}
	d := pdu.NewReceiptDeliverSM(sm, r)
	p, ok := d.TLVs.MessagePayload()
	if len(d.ShortMessage) != 0 || !ok || !bytes.HasPrefix(p, []byte("id:"+r.ID)) || len(p) <= 254 {
		t.Fatalf("short_message %d octets, message_payload %d %v", len(d.ShortMessage), len(p), ok)
	}
	if _, err := d.AppendBinary(nil); err != nil {
		t.Fatal(err)
	}

	// A submit_sm decoded from a read buffer: the receipt outlives the buffer.
	frame := mustEncode(t, 1, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000002"})
	_, dec, err := pdu.Decode(frame, pdu.DecodeOptions{})
	must(t, err)
	d = pdu.NewReceiptDeliverSM(dec.(*pdu.SubmitSM), r)
	for i := range frame {
		frame[i] = 'X'
	}
	if d.SourceAddr != "254700000002" || d.DestinationAddr != "1000" {
		t.Fatalf("the receipt aliases the submit_sm's buffer: %q %q", d.SourceAddr, d.DestinationAddr)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
