package pdu

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/tlv"
)

// The one-pass submit_sm encoder writes exactly what the field-by-field one
// writes, and declines exactly what that one refuses, over random fields at
// and around every bound.
func TestSubmitSMAppendValidMatchesChecked(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	str := func(max int) string {
		n := r.IntN(max + 3)
		b := []byte(strings.Repeat("a", n))
		if n > 0 && r.IntN(10) == 0 {
			b[r.IntN(n)] = 0
		}
		return string(b)
	}
	timeStr := func() string {
		switch r.IntN(4) {
		case 0:
			return ""
		case 1:
			return str(17)
		}
		return "000001060000000R"
	}
	for i := 0; i < 20000; i++ {
		m := &SubmitSM{ServiceType: str(5), SourceAddrTON: uint8(r.Uint32()), SourceAddrNPI: uint8(r.Uint32()),
			SourceAddr: str(20), DestAddrTON: uint8(r.Uint32()), DestAddrNPI: uint8(r.Uint32()), DestinationAddr: str(20),
			ESMClass: uint8(r.Uint32()), ProtocolID: uint8(r.Uint32()), PriorityFlag: uint8(r.Uint32()),
			ScheduleDeliveryTime: timeStr(), ValidityPeriod: timeStr(), RegisteredDelivery: uint8(r.Uint32()),
			ReplaceIfPresentFlag: uint8(r.Uint32()), DataCoding: uint8(r.Uint32()), SMDefaultMsgID: uint8(r.Uint32()),
			ShortMessage: bytes.Repeat([]byte{0xA5}, r.IntN(257))}
		switch r.IntN(4) {
		case 0:
			m.TLVs = tlv.List{{Tag: tlv.UserMessageReference, Value: []byte{0, 7}}}
		case 1:
			m.TLVs = tlv.List{{Tag: tlv.MessagePayload, Value: make([]byte, 70000)}} // too long
		}
		prefix := []byte{1, 2, 3}
		want, werr := m.appendChecked(append([]byte(nil), prefix...), SubmitSMID)
		got, ok := m.appendValid(append([]byte(nil), prefix...))
		if ok != (werr == nil) {
			t.Fatalf("%+v: one pass ok=%v, field by field err=%v", m, ok, werr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%+v:\none pass       %x\nfield by field %x", m, got, want)
		}
	}
}
