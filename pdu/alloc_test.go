package pdu_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// The wire path must not allocate. These tests fail on any allocation.

func benchSubmitSM() *pdu.SubmitSM {
	return &pdu.SubmitSM{ServiceType: "CMT", SourceAddrTON: 5, SourceAddr: "MyBrand", DestAddrTON: 1, DestAddrNPI: 1,
		DestinationAddr: "4915550000", RegisteredDelivery: 1, ValidityPeriod: "000001060000000R",
		ShortMessage: []byte("Hello from the benchmark, a typical short message of some length."),
		TLVs:         tlv.List{{Tag: tlv.UserMessageReference, Value: []byte{0, 7}}}}
}

const receiptText = "id:5f3a9c01 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello world"

func receiptDeliverSM() *pdu.DeliverSM {
	m := &pdu.DeliverSM{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "4915550001", DestAddrTON: 1, DestAddrNPI: 1,
		DestinationAddr: "4915550000", ESMClass: 0x04, ShortMessage: []byte(receiptText)}
	m.TLVs.SetReceiptedMessageID("5f3a9c01")
	m.TLVs.SetMessageState(uint8(pdu.StateDelivered))
	m.TLVs.SetNetworkErrorCode(tlv.NetworkError{Type: 3})
	return m
}

func mustEncode(t testing.TB, seq uint32, p pdu.PDU) []byte {
	b, err := pdu.AppendPDU(nil, seq, pdu.ESME_ROK, p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func noAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	if n := testing.AllocsPerRun(200, f); n != 0 {
		t.Errorf("%s: %v allocations per run, want 0", name, n)
	}
}

func TestAllocs(t *testing.T) {
	sm := benchSubmitSM()
	buf := make([]byte, 0, 512)
	noAllocs(t, "encode submit_sm", func() {
		var err error
		if buf, err = pdu.AppendPDU(buf[:0], 1, pdu.ESME_ROK, sm); err != nil {
			t.Fatal(err)
		}
	})

	frame := mustEncode(t, 1, sm)
	var got pdu.SubmitSM
	noAllocs(t, "decode submit_sm", func() {
		if err := got.UnmarshalBinary(frame[pdu.HeaderLen:]); err != nil {
			t.Fatal(err)
		}
	})
	noAllocs(t, "decode submit_sm lenient", func() {
		if err := (pdu.DecodeOptions{Lenient: true}).Unmarshal(&got, frame[pdu.HeaderLen:]); err != nil {
			t.Fatal(err)
		}
	})

	resp := &pdu.SubmitSMResp{MessageID: "5f3a9c01"}
	var rgot pdu.SubmitSMResp
	noAllocs(t, "encode+decode submit_sm_resp", func() {
		var err error
		if buf, err = pdu.AppendPDU(buf[:0], 1, pdu.ESME_ROK, resp); err != nil {
			t.Fatal(err)
		}
		h, err := pdu.ParseHeader(buf)
		if err != nil || h.ID != pdu.SubmitSMRespID {
			t.Fatal(err)
		}
		if err := rgot.UnmarshalBinary(buf[pdu.HeaderLen:]); err != nil || rgot.MessageID != "5f3a9c01" {
			t.Fatal(err)
		}
	})

	dframe := mustEncode(t, 2, receiptDeliverSM())
	var dm pdu.DeliverSM
	var r pdu.Receipt
	noAllocs(t, "decode receipt deliver_sm + ParseReceipt", func() {
		if err := dm.UnmarshalBinary(dframe[pdu.HeaderLen:]); err != nil {
			t.Fatal(err)
		}
		if err := pdu.ReceiptFromDeliverSM(&dm, &r); err != nil || r.State != pdu.StateDelivered {
			t.Fatal(err)
		}
		if err := pdu.ParseReceipt(dm.ShortMessage, &r); err != nil || r.DoneDate.IsZero() {
			t.Fatal(err)
		}
	})
	noAllocs(t, "AppendReceipt", func() { buf = pdu.AppendReceipt(buf[:0], &r) })

	var list tlv.List
	area := frame[len(frame)-6:]
	noAllocs(t, "tlv.Scan into a reused list", func() {
		var err error
		if list, err = tlv.Scan(list[:0], area); err != nil || len(list) != 1 {
			t.Fatal(err, list)
		}
	})
}

// A batch of PDUs appended to one buffer, as a writer batches them, costs no
// allocation once the buffer has grown. (This was codec.Writer's test;
// AppendPDU is all it did.)
func TestAppendBatchAllocs(t *testing.T) {
	sm := &pdu.SubmitSM{SourceAddr: "123", DestinationAddr: "456", ShortMessage: []byte("hi")}
	var buf []byte
	for range 10 {
		var err error
		buf, err = pdu.AppendPDU(buf, 1, 0, sm)
		must(t, err)
	}
	noAllocs(t, "a batch of 10 submit_sm", func() {
		buf = buf[:0]
		for range 10 {
			buf, _ = pdu.AppendPDU(buf, 1, 0, sm)
		}
	})
}

// A PDU that fails to encode leaves what the buffer held before it
// untouched, so that a batch survives one bad PDU.
func TestAppendPDUErrorKeepsBuffer(t *testing.T) {
	buf, err := pdu.AppendPDU(nil, 1, 0, &pdu.EnquireLink{})
	must(t, err)
	before := append([]byte(nil), buf...)
	out, err := pdu.AppendPDU(buf, 2, 0, &pdu.SubmitSM{SourceAddr: strings.Repeat("1", 30)})
	if !errors.Is(err, pdu.ESME_RINVSRCADR) || !bytes.Equal(out, before) {
		t.Fatalf("got %v, % x want % x", err, out, before)
	}
}
