package pdu_test

import (
	"testing"

	"github.com/esmsafrica/smpp/pdu"
)

// The same PDUs as bench/pdu_test.go, which compares with gosmpp.

func BenchmarkSubmitSMEncode(b *testing.B) {
	sm := benchSubmitSM()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = pdu.AppendPDU(buf[:0], 1, pdu.ESME_ROK, sm); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkSubmitSMDecode(b *testing.B) {
	frame := mustEncode(b, 1, benchSubmitSM())
	var sm pdu.SubmitSM
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		h, err := pdu.ParseHeader(frame)
		if err != nil || h.ID != pdu.SubmitSMID {
			b.Fatal(err)
		}
		if err := sm.UnmarshalBinary(frame[pdu.HeaderLen:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSubmitSMRespEncode(b *testing.B) {
	r := &pdu.SubmitSMResp{MessageID: "5f3a9c01"}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = pdu.AppendPDU(buf[:0], 1, pdu.ESME_ROK, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSubmitSMRespDecode(b *testing.B) {
	frame := mustEncode(b, 1, &pdu.SubmitSMResp{MessageID: "5f3a9c01"})
	var r pdu.SubmitSMResp
	b.ReportAllocs()
	for b.Loop() {
		h, err := pdu.ParseHeader(frame)
		if err != nil || h.ID != pdu.SubmitSMRespID {
			b.Fatal(err)
		}
		if err := r.UnmarshalBinary(frame[pdu.HeaderLen:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReceiptDecode decodes a receipt deliver_sm (with its three TLVs)
// and parses its text, dates included.
func BenchmarkReceiptDecode(b *testing.B) {
	frame := mustEncode(b, 2, receiptDeliverSM())
	var m pdu.DeliverSM
	var r pdu.Receipt
	b.ReportAllocs()
	for b.Loop() {
		h, err := pdu.ParseHeader(frame)
		if err != nil || h.ID != pdu.DeliverSMID {
			b.Fatal(err)
		}
		if err := m.UnmarshalBinary(frame[pdu.HeaderLen:]); err != nil {
			b.Fatal(err)
		}
		if err := pdu.ReceiptFromDeliverSM(&m, &r); err != nil || !r.Delivered() {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseReceipt(b *testing.B) {
	text := []byte(receiptText)
	var r pdu.Receipt
	b.ReportAllocs()
	for b.Loop() {
		if err := pdu.ParseReceipt(text, &r); err != nil {
			b.Fatal(err)
		}
	}
}
