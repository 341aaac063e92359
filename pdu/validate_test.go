package pdu_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// validator is what every body of package pdu has.
type validator interface {
	pdu.PDU
	Validate() error
}

// Bodies read leniently with a field beyond its 3.4 limit: Validate refuses
// each with the field and status AppendBinary gives, and writes nothing;
// bodies within their limits validate.
func TestValidateVectors(t *testing.T) {
	long := func(n int) string { return strings.Repeat("1", n) }
	okSM := "02 6869"
	for _, tc := range []struct {
		name   string
		id     pdu.CommandID
		body   string
		status pdu.Status // 0: valid
		field  string
	}{
		{"submit_sm", pdu.SubmitSMID, submitHex(cs("1234"), cs("4915550000"), okSM, "0204 0002 0007"), 0, ""},
		{"submit_sm no TLVs", pdu.SubmitSMID, submitHex(cs("1"), cs("2"), okSM, ""), 0, ""},
		{"submit_sm 254 octets", pdu.SubmitSMID, submitHex(cs(long(20)), cs(long(20)), "fe"+strings.Repeat("41", 254), ""), 0, ""},
		{"submit_sm source_addr 21", pdu.SubmitSMID, submitHex(cs(long(21)), cs("1"), okSM, ""), pdu.ESME_RINVSRCADR, "source_addr"},
		{"submit_sm destination_addr 30", pdu.SubmitSMID, submitHex(cs("1"), cs(long(30)), okSM, ""), pdu.ESME_RINVDSTADR, "destination_addr"},
		{"submit_sm service_type 6", pdu.SubmitSMID, cs("ABCDEF") + "0101" + cs("1") + "0101" + cs("2") + "00 00 00 00 00 01 00 00 00" + okSM,
			pdu.ESME_RINVSERTYP, "service_type"},
		{"submit_sm schedule 10", pdu.SubmitSMID, "00 0101" + cs("1") + "0101" + cs("2") + "00 00 00" + cs("2403151430") + "00 00 00 00 00 00",
			pdu.ESME_RINVSCHED, "schedule_delivery_time"},
		{"submit_sm validity 18", pdu.SubmitSMID, "00 0101" + cs("1") + "0101" + cs("2") + "00 00 00 00" + cs("000001060000000R00") + "00 00 00 00 00",
			pdu.ESME_RINVEXPIRY, "validity_period"},
		{"submit_sm sm_length 255", pdu.SubmitSMID, submitHex(cs("1"), cs("2"), "ff"+strings.Repeat("41", 255), ""), pdu.ESME_RINVMSGLEN, "short_message"},
		{"submit_sm first of two", pdu.SubmitSMID, submitHex(cs(long(21)), cs(long(21)), okSM, ""), pdu.ESME_RINVSRCADR, "source_addr"},
		// A known TLV of a wrong length is kept as it came, and written back
		// as it came: AppendBinary does not refuse it, nor does Validate.
		{"submit_sm bad TLV length", pdu.SubmitSMID, submitHex(cs("1"), cs("2"), okSM, "0427 0002 0102"), 0, ""},
		{"deliver_sm destination_addr 25", pdu.DeliverSMID, submitHex(cs("1"), cs(long(25)), okSM, ""), pdu.ESME_RINVDSTADR, "destination_addr"},
		{"data_sm", pdu.DataSMID, "00 0101" + cs(long(64)) + "0101" + cs("2") + "000000" + "0424 0002 6869", 0, ""},
		{"data_sm source_addr 65", pdu.DataSMID, "00 0101" + cs(long(65)) + "0101" + cs("2") + "000000", pdu.ESME_RINVSRCADR, "source_addr"},
		{"submit_multi", pdu.SubmitMultiID, "00 0101" + cs("1") + "02 01 0101" + cs("2") + "02" + cs("friends") + "00 00 00 00 00 00 00 00 00" + okSM, 0, ""},
		{"submit_multi destination_addr 22", pdu.SubmitMultiID, "00 0101" + cs("1") + "02 01 0101" + cs("2") + "01 0101" + cs(long(22)) + "00 00 00 00 00 00 00 00 00" + okSM,
			pdu.ESME_RINVDSTADR, "destination_addr"},
		{"submit_multi dl_name 21", pdu.SubmitMultiID, "00 0101" + cs("1") + "01 02" + cs(long(21)) + "00 00 00 00 00 00 00 00 00" + okSM, pdu.ESME_RINVDLNAME, "dl_name"},
		{"query_sm source_addr 21", pdu.QuerySMID, cs("5f3a") + "0101" + cs(long(21)), pdu.ESME_RINVSRCADR, "source_addr"},
		{"cancel_sm destination_addr 64", pdu.CancelSMID, "00" + cs("5f3a") + "0101" + cs("1") + "0101" + cs(long(64)), pdu.ESME_RINVDSTADR, "destination_addr"},
		{"replace_sm sm_length 255", pdu.ReplaceSMID, cs("5f3a") + "0101" + cs("1") + "00 00 00 00" + "ff" + strings.Repeat("41", 255), pdu.ESME_RINVMSGLEN, "short_message"},
		{"enquire_link", pdu.EnquireLinkID, "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := pdu.New(tc.id).(validator)
			if err := (pdu.DecodeOptions{Lenient: true}).Unmarshal(p, hx(t, tc.body)); err != nil {
				t.Fatalf("lenient decode: %v", err)
			}
			verr := p.Validate()
			_, aerr := p.AppendBinary(nil)
			if !reflect.DeepEqual(verr, aerr) {
				t.Fatalf("Validate %v, AppendBinary %v", verr, aerr)
			}
			if tc.status == 0 {
				if verr != nil {
					t.Fatalf("Validate: %v", verr)
				}
				return
			}
			var fe *pdu.FieldError
			if !errors.As(verr, &fe) || fe.Status != tc.status || fe.Field != tc.field || fe.Command != tc.id || pdu.StatusOf(verr) != tc.status {
				t.Fatalf("Validate: %v, want %s %v", verr, tc.field, tc.status)
			}
		})
	}
}

// Validate refuses what AppendBinary refuses of bodies built by hand too:
// an embedded NUL, a TLV too long for its length field, a bad count.
func TestValidateBuilt(t *testing.T) {
	for _, tc := range []struct {
		p      validator
		status pdu.Status
	}{
		{&pdu.SubmitSM{DestinationAddr: "12\x003"}, pdu.ESME_RINVDSTADR},
		{&pdu.SubmitSM{TLVs: tlv.List{{Tag: tlv.MessagePayload, Value: make([]byte, 70000)}}}, pdu.ESME_RINVPARLEN},
		{&pdu.DataSM{TLVs: tlv.List{{Tag: tlv.MessagePayload, Value: make([]byte, 0x10000)}}}, pdu.ESME_RINVPARLEN},
		{&pdu.SubmitMulti{}, pdu.ESME_RINVNUMDESTS},
		{&pdu.SubmitMulti{Dests: make([]pdu.DestAddress, 255)}, pdu.ESME_RINVNUMDESTS},
		{&pdu.SubmitMulti{Dests: []pdu.DestAddress{{Flag: 7}}}, pdu.ESME_RINVDESTFLAG},
		{&pdu.Bind{ID: pdu.BindTransceiverID, Password: "123456789"}, pdu.ESME_RINVPASWD},
		{&pdu.SubmitMultiResp{Unsuccess: make([]pdu.UnsuccessSME, 255)}, pdu.ESME_RINVNUMDESTS},
		{&pdu.SubmitSM{DestinationAddr: "4915550000", ShortMessage: []byte("hi")}, 0},
		{&pdu.DeliverSM{SourceAddr: "4915550000", ShortMessage: make([]byte, 254)}, 0},
		{&pdu.SubmitMulti{Dests: make([]pdu.DestAddress, 254)}, 0},
	} {
		verr := tc.p.Validate()
		_, aerr := tc.p.AppendBinary(nil)
		if !reflect.DeepEqual(verr, aerr) || pdu.StatusOf(verr) != tc.status {
			t.Errorf("%T: Validate %v, AppendBinary %v, want %v", tc.p, verr, aerr, tc.status)
		}
	}
}

// The bytes a request came in are its strict encoding once Validate passes,
// however leniently they were read: what Lenient accepts in a request body
// is a field beyond its limit, which Validate refuses; a known TLV of a
// wrong length, which is written back as it came; and trailing octets after
// a body without TLVs (query_sm, cancel_sm, replace_sm), which AppendBinary
// drops. Random mutations of valid requests, decoded leniently, show it.
func TestValidatedBodyIsItsEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	seeds := []struct {
		id   pdu.CommandID
		body string
		tlvs bool
	}{
		{pdu.SubmitSMID, submitHex(cs("1234"), cs("4915550000"), "02 6869", "0204 0002 0007 0424 0003 616263"), true},
		{pdu.SubmitSMID, "00 0101" + cs("1") + "0101" + cs("2") + "00 00 00" + cs("240315143000000+") + cs("000001060000000R") + "01 00 00 00 02 6869", true},
		{pdu.DeliverSMID, submitHex(cs("1234"), cs("4915550000"), "02 6869", ""), true},
		{pdu.DataSMID, "00 0101" + cs("1234") + "0101" + cs("4915550000") + "000000" + "0424 0002 6869", true},
		{pdu.SubmitMultiID, "00 0101" + cs("1") + "02 01 0101" + cs("2") + "02" + cs("friends") + "00 00 00 00 00 00 00 00 00 02 6869", true},
		{pdu.AlertNotificationID, "0101" + cs("1234") + "0101" + cs("5678") + "0422 0001 00", true},
		{pdu.QuerySMID, cs("5f3a") + "0101" + cs("1234"), false},
		{pdu.CancelSMID, "00" + cs("5f3a") + "0101" + cs("1") + "0101" + cs("2"), false},
		{pdu.ReplaceSMID, cs("5f3a") + "0101" + cs("1") + "00 00 00 00 02 6869", false},
	}
	lenient := pdu.DecodeOptions{Lenient: true}
	checked := 0
	for _, s := range seeds {
		seed := hx(t, s.body)
		for range 20000 {
			body := mutate(r, seed)
			p := pdu.New(s.id).(validator)
			if lenient.Unmarshal(p, body) != nil || p.Validate() != nil {
				continue
			}
			checked++
			out, err := p.AppendBinary(nil)
			if err != nil {
				t.Fatalf("%s %x: validated, but AppendBinary: %v", s.id, body, err)
			}
			if bytes.Equal(out, body) {
				continue
			}
			if s.tlvs || !bytes.HasPrefix(body, out) {
				t.Fatalf("%s: validated, but came as\n%x\nand encodes as\n%x", s.id, body, out)
			}
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d mutations validated", checked)
	}
}

// mutate returns a copy of b with a few octets changed, inserted or removed,
// chosen to hit lengths and NULs.
func mutate(r *rand.Rand, b []byte) []byte {
	out := bytes.Clone(b)
	for range 1 + r.IntN(3) {
		i := 0
		if len(out) > 0 {
			i = r.IntN(len(out))
		}
		v := []byte{0, '1', 0xff, 0x02, 0x10, 0x11}[r.IntN(6)]
		switch r.IntN(4) {
		case 0:
			if len(out) > 0 {
				out[i] = v
			}
		case 1:
			out = append(out[:i], append([]byte{v}, out[i:]...)...)
		case 2:
			if len(out) > 0 {
				out = append(out[:i], out[i+1:]...)
			}
		case 3:
			out = append(out, bytes.Repeat([]byte{v}, r.IntN(4))...)
		}
	}
	return out
}

func TestValidateAllocs(t *testing.T) {
	sm := benchSubmitSM()
	noAllocs(t, "submit_sm Validate", func() {
		if err := sm.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	ds := &pdu.DataSM{SourceAddr: "MyBrand", DestinationAddr: "4915550000", TLVs: tlv.List{{Tag: tlv.MessagePayload, Value: []byte("hello")}}}
	noAllocs(t, "data_sm Validate", func() {
		if err := ds.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	mm := &pdu.SubmitMulti{SourceAddr: "MyBrand", Dests: []pdu.DestAddress{{DestinationAddr: "4915550000"}, {Flag: pdu.DestFlagList, DLName: "friends"}}}
	noAllocs(t, "submit_multi Validate", func() {
		if err := mm.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkValidateSubmitSM(b *testing.B) {
	sm := benchSubmitSM()
	b.ReportAllocs()
	for b.Loop() {
		if err := sm.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
