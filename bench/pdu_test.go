package bench

// Wire-layer benchmarks: this module's pdu package against
// github.com/linxGnu/gosmpp v0.3.1 on the same bytes, side by side:
//
//	go test -run=^$ -bench=Wire -benchmem -count=3
//
// gosmpp has no receipt parser that fills typed fields from the text, so its
// receipt case does what a gosmpp user does: decode the deliver_sm, get the
// text with Message.GetMessage, pull the fields out with a regular expression
// (compiled once) and parse the dates with time.Parse, and read the TLVs from
// the optional-parameter map.

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	gdata "github.com/linxGnu/gosmpp/data"
	gpdu "github.com/linxGnu/gosmpp/pdu"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

const receiptText = "id:5f3a9c01 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello world"

var shortMessage = []byte("Hello from the benchmark, a typical short message of some length.")

func ourSubmitSM() *pdu.SubmitSM {
	return &pdu.SubmitSM{ServiceType: "CMT", SourceAddrTON: 5, SourceAddr: "MyBrand", DestAddrTON: 1, DestAddrNPI: 1,
		DestinationAddr: "4915550000", RegisteredDelivery: 1, ValidityPeriod: "000001060000000R",
		ShortMessage: shortMessage, TLVs: tlv.List{{Tag: tlv.UserMessageReference, Value: []byte{0, 7}}}}
}

func gosmppSubmitSM(b *testing.B) *gpdu.SubmitSM {
	sm := gpdu.NewSubmitSM().(*gpdu.SubmitSM)
	sm.ServiceType = "CMT"
	sm.SourceAddr = gpdu.NewAddressWithTonNpi(5, 0)
	_ = sm.SourceAddr.SetAddress("MyBrand")
	sm.DestAddr = gpdu.NewAddressWithTonNpi(1, 1)
	_ = sm.DestAddr.SetAddress("4915550000")
	sm.RegisteredDelivery = 1
	sm.ValidityPeriod = "000001060000000R"
	msg, err := gpdu.NewBinaryShortMessageWithEncoding(shortMessage, gdata.GSM7BIT) // data_coding 0, bytes as given
	if err != nil {
		b.Fatal(err)
	}
	sm.Message = msg
	sm.RegisterOptionalParam(gpdu.Field{Tag: gpdu.TagUserMessageReference, Data: []byte{0, 7}})
	sm.SetSequenceNumber(1)
	return sm
}

func ourReceiptFrame(b *testing.B) []byte {
	m := &pdu.DeliverSM{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "4915550001", DestAddrTON: 1, DestAddrNPI: 1,
		DestinationAddr: "4915550000", ESMClass: 0x04, ShortMessage: []byte(receiptText)}
	m.TLVs.SetReceiptedMessageID("5f3a9c01")
	m.TLVs.SetMessageState(uint8(pdu.StateDelivered))
	m.TLVs.SetNetworkErrorCode(tlv.NetworkError{Type: 3})
	return encode(b, 2, m)
}

func encode(b *testing.B, seq uint32, p pdu.PDU) []byte {
	out, err := pdu.AppendPDU(nil, seq, pdu.ESME_ROK, p)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// gosmppReceipt is what a gosmpp user writes to read a receipt's text.
type gosmppReceipt struct {
	ID, Sub, Dlvrd, Stat, Err, Text string
	SubmitDate, DoneDate            time.Time
	ReceiptedID                     string
	State                           byte
}

var receiptRE = regexp.MustCompile(`(?i)id:(\S*)\s+sub:(\S*)\s+dlvrd:(\S*)\s+submit date:(\d*)\s+done date:(\d*)\s+stat:(\S*)\s+err:(\S*)\s+text:(.*)`)

func BenchmarkWire(b *testing.B) {
	b.Run("SubmitSMEncode/ours", func(b *testing.B) {
		sm := ourSubmitSM()
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = pdu.AppendPDU(buf[:0], 1, pdu.ESME_ROK, sm); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SubmitSMEncode/gosmpp", func(b *testing.B) {
		sm := gosmppSubmitSM(b)
		buf := gpdu.NewBuffer(make([]byte, 0, 512))
		sm.Marshal(buf)
		if !bytes.Equal(buf.Bytes(), encode(b, 1, ourSubmitSM())) {
			b.Fatalf("not the same bytes:\n%x\n%x", buf.Bytes(), encode(b, 1, ourSubmitSM()))
		}
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			sm.Marshal(buf)
		}
	})

	b.Run("SubmitSMDecode/ours", func(b *testing.B) {
		frame := encode(b, 1, ourSubmitSM())
		var sm pdu.SubmitSM
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pdu.ParseHeader(frame); err != nil {
				b.Fatal(err)
			}
			if err := sm.UnmarshalBinary(frame[pdu.HeaderLen:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SubmitSMDecode/gosmpp", func(b *testing.B) {
		frame := encode(b, 1, ourSubmitSM())
		r := bytes.NewReader(frame)
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(frame)
			p, err := gpdu.Parse(r)
			if err != nil {
				b.Fatal(err)
			}
			if _, ok := p.(*gpdu.SubmitSM); !ok {
				b.Fatal("not a submit_sm")
			}
		}
	})

	b.Run("SubmitSMRespEncode/ours", func(b *testing.B) {
		resp := &pdu.SubmitSMResp{MessageID: "5f3a9c01"}
		buf := make([]byte, 0, 64)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = pdu.AppendPDU(buf[:0], 1, pdu.ESME_ROK, resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SubmitSMRespEncode/gosmpp", func(b *testing.B) {
		resp := gpdu.NewSubmitSMResp().(*gpdu.SubmitSMResp)
		resp.MessageID = "5f3a9c01"
		resp.SetSequenceNumber(1)
		buf := gpdu.NewBuffer(make([]byte, 0, 64))
		resp.Marshal(buf)
		if !bytes.Equal(buf.Bytes(), encode(b, 1, &pdu.SubmitSMResp{MessageID: "5f3a9c01"})) {
			b.Fatalf("not the same bytes: %x", buf.Bytes())
		}
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			resp.Marshal(buf)
		}
	})

	b.Run("SubmitSMRespDecode/ours", func(b *testing.B) {
		frame := encode(b, 1, &pdu.SubmitSMResp{MessageID: "5f3a9c01"})
		var resp pdu.SubmitSMResp
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pdu.ParseHeader(frame); err != nil {
				b.Fatal(err)
			}
			if err := resp.UnmarshalBinary(frame[pdu.HeaderLen:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SubmitSMRespDecode/gosmpp", func(b *testing.B) {
		frame := encode(b, 1, &pdu.SubmitSMResp{MessageID: "5f3a9c01"})
		r := bytes.NewReader(frame)
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(frame)
			p, err := gpdu.Parse(r)
			if err != nil || p.(*gpdu.SubmitSMResp).MessageID != "5f3a9c01" {
				b.Fatal(err)
			}
		}
	})

	b.Run("ReceiptDecode/ours", func(b *testing.B) {
		frame := ourReceiptFrame(b)
		var m pdu.DeliverSM
		var rc pdu.Receipt
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pdu.ParseHeader(frame); err != nil {
				b.Fatal(err)
			}
			if err := m.UnmarshalBinary(frame[pdu.HeaderLen:]); err != nil {
				b.Fatal(err)
			}
			if err := pdu.ReceiptFromDeliverSM(&m, &rc); err != nil || !rc.Delivered() || rc.DoneDate.IsZero() {
				b.Fatal(err)
			}
		}
	})
	b.Run("ReceiptDecode/gosmpp", func(b *testing.B) {
		frame := ourReceiptFrame(b)
		r := bytes.NewReader(frame)
		var rc gosmppReceipt
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(frame)
			p, err := gpdu.Parse(r)
			if err != nil {
				b.Fatal(err)
			}
			d := p.(*gpdu.DeliverSM)
			text, err := d.Message.GetMessage()
			if err != nil {
				b.Fatal(err)
			}
			f := receiptRE.FindStringSubmatch(text)
			if f == nil {
				b.Fatal("no match")
			}
			rc = gosmppReceipt{ID: f[1], Sub: f[2], Dlvrd: f[3], Stat: f[6], Err: f[7], Text: f[8]}
			if rc.SubmitDate, err = time.Parse("0601021504", f[4]); err != nil {
				b.Fatal(err)
			}
			if rc.DoneDate, err = time.Parse("0601021504", f[5]); err != nil {
				b.Fatal(err)
			}
			if v, ok := d.OptionalParameters[gpdu.TagReceiptedMessageID]; ok {
				rc.ReceiptedID = v.String()
			}
			if v, ok := d.OptionalParameters[gpdu.TagMessageStateOption]; ok && len(v.Data) == 1 {
				rc.State = v.Data[0]
			}
			if rc.Stat != "DELIVRD" || rc.ReceiptedID != "5f3a9c01" {
				b.Fatal(rc)
			}
		}
	})
}
