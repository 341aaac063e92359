package pdu_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// submitHex builds a submit_sm body with the given source and destination
// address hex and short_message part (sm_length included) and TLV hex.
func submitHex(src, dst, sm, tl string) string {
	return "00 0101" + src + "0101" + dst + "00 00 00 00 00 01 00 00 00" + sm + tl
}

func TestDecodeErrors(t *testing.T) {
	long := func(n int) string { return strings.Repeat("1", n) }
	okSM := "02 6869"
	for _, tc := range []struct {
		name   string
		id     pdu.CommandID
		body   string
		status pdu.Status
		field  string
		cause  error
	}{
		{"system_id 16 chars", pdu.BindTransmitterID, cs(long(16)) + cs("pw") + "00 34 00 00 00", pdu.ESME_RINVSYSID, "system_id", pdu.ErrTooLong},
		{"system_id no NUL", pdu.BindTransmitterID, strings.Repeat("31", 30), pdu.ESME_RINVSYSID, "system_id", pdu.ErrNoNUL},
		{"password 9 chars", pdu.BindReceiverID, cs("sys") + cs(long(9)) + "00 34 00 00 00", pdu.ESME_RINVPASWD, "password", pdu.ErrTooLong},
		{"system_type 13 chars", pdu.BindTransceiverID, cs("sys") + cs("pw") + cs(long(13)) + "34 00 00 00", pdu.ESME_RINVSYSTYP, "system_type", pdu.ErrTooLong},
		{"outbind password", pdu.OutbindID, cs("sys") + cs(long(12)), pdu.ESME_RINVPASWD, "password", pdu.ErrTooLong},
		{"source_addr 21 chars", pdu.SubmitSMID, submitHex(cs(long(21)), cs("1"), okSM, ""), pdu.ESME_RINVSRCADR, "source_addr", pdu.ErrTooLong},
		{"destination_addr 21 chars", pdu.SubmitSMID, submitHex(cs("1"), cs(long(21)), okSM, ""), pdu.ESME_RINVDSTADR, "destination_addr", pdu.ErrTooLong},
		{"deliver_sm destination_addr", pdu.DeliverSMID, submitHex(cs("1"), cs(long(25)), okSM, ""), pdu.ESME_RINVDSTADR, "destination_addr", pdu.ErrTooLong},
		{"service_type 6 chars", pdu.SubmitSMID, cs("ABCDEF") + "0101" + cs("1"), pdu.ESME_RINVSERTYP, "service_type", pdu.ErrTooLong},
		{"schedule time 15 chars", pdu.SubmitSMID, "00 0101" + cs("1") + "0101" + cs("2") + "00 00 00" + cs("24031514300000+") + "00 00 00 00 00 00",
			pdu.ESME_RINVSCHED, "schedule_delivery_time", pdu.ErrBadValue},
		{"validity 18 chars", pdu.SubmitSMID, "00 0101" + cs("1") + "0101" + cs("2") + "00 00 00 00" + cs("000001060000000R00") + "00 00 00 00 00",
			pdu.ESME_RINVEXPIRY, "validity_period", pdu.ErrTooLong},
		{"sm_length beyond body", pdu.SubmitSMID, submitHex(cs("1"), cs("2"), "05 6869", ""), pdu.ESME_RINVMSGLEN, "short_message", pdu.ErrTruncated},
		{"sm_length 255", pdu.SubmitSMID, submitHex(cs("1"), cs("2"), "ff"+strings.Repeat("41", 255), ""), pdu.ESME_RINVMSGLEN, "sm_length", pdu.ErrTooLong},
		{"body ends inside source_addr", pdu.SubmitSMID, "00 0101 3132", pdu.ESME_RINVCMDLEN, "source_addr", pdu.ErrTruncated},
		{"body ends before esm_class", pdu.SubmitSMID, "00 0101" + cs("1") + "0101" + cs("2"), pdu.ESME_RINVCMDLEN, "esm_class", pdu.ErrTruncated},
		{"message_id no NUL", pdu.QuerySMID, "616263", pdu.ESME_RINVCMDLEN, "message_id", pdu.ErrTruncated},
		{"bad TLV length", pdu.SubmitSMID, submitHex(cs("1"), cs("2"), okSM, "0427 0002 0102"), pdu.ESME_RINVPARLEN, "message_state", tlv.ErrLength},
		{"bad TLV length sar", pdu.DataSMID, "00 0101" + cs("1") + "0101" + cs("2") + "000000" + "020c 0001 01", pdu.ESME_RINVPARLEN, "sar_msg_ref_num", tlv.ErrLength},
		{"TLV stream: short header", pdu.SubmitSMID, submitHex(cs("1"), cs("2"), okSM, "0204 00"), pdu.ESME_RINVOPTPARSTREAM, "tlv", tlv.ErrStream},
		{"TLV stream: length past end", pdu.SubmitSMID, submitHex(cs("1"), cs("2"), okSM, "0424 0010 6869"), pdu.ESME_RINVOPTPARSTREAM, "tlv", tlv.ErrStream},
		{"TLV stream in bind resp", pdu.BindTransceiverRespID, cs("SMSC") + "02", pdu.ESME_RINVOPTPARSTREAM, "tlv", tlv.ErrStream},
		{"trailing junk on enquire_link", pdu.EnquireLinkID, "00", pdu.ESME_RINVCMDLEN, "body", pdu.ErrTrailing},
		{"trailing junk on unbind_resp", pdu.UnbindRespID, "0000", pdu.ESME_RINVCMDLEN, "body", pdu.ErrTrailing},
		{"trailing junk on generic_nack", pdu.GenericNackID, "01", pdu.ESME_RINVCMDLEN, "body", pdu.ErrTrailing},
		{"trailing junk on query_sm", pdu.QuerySMID, cs("1") + "0101" + cs("2") + "ff", pdu.ESME_RINVCMDLEN, "body", pdu.ErrTrailing},
		{"number_of_dests 0", pdu.SubmitMultiID, "00 0101" + cs("1") + "00", pdu.ESME_RINVNUMDESTS, "number_of_dests", pdu.ErrBadValue},
		{"dest_flag 3", pdu.SubmitMultiID, "00 0101" + cs("1") + "01 03", pdu.ESME_RINVDESTFLAG, "dest_flag", pdu.ErrBadValue},
		{"dl_name too long", pdu.SubmitMultiID, "00 0101" + cs("1") + "01 02" + cs(long(21)), pdu.ESME_RINVDLNAME, "dl_name", pdu.ErrTooLong},
		{"data_sm source_addr 65", pdu.DataSMID, "00 0101" + cs(long(65)), pdu.ESME_RINVSRCADR, "source_addr", pdu.ErrTooLong},
		{"alert esme_addr 65", pdu.AlertNotificationID, "0101" + cs("1") + "0101" + cs(long(65)), pdu.ESME_RINVDSTADR, "esme_addr", pdu.ErrTooLong},
		{"submit_sm_resp message_id 65", pdu.SubmitSMRespID, cs(long(65)), pdu.ESME_RINVMSGID, "message_id", pdu.ErrTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := pdu.Decode(frame(tc.id, 0, 1, hx(t, tc.body)), pdu.DecodeOptions{})
			var fe *pdu.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a FieldError", err)
			}
			if fe.Status != tc.status || fe.Field != tc.field || !errors.Is(err, tc.cause) || !errors.Is(err, tc.status) || fe.Command != tc.id {
				t.Fatalf("got %v (field %q status %v), want %s %v %v", err, fe.Field, fe.Status, tc.field, tc.status, tc.cause)
			}
			// UnmarshalBinary is strict too.
			p := pdu.New(tc.id)
			if err2 := p.UnmarshalBinary(hx(t, tc.body)); pdu.StatusOf(err2) != tc.status {
				t.Fatalf("UnmarshalBinary: %v", err2)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name   string
		p      pdu.PDU
		status pdu.Status
		field  string
	}{
		{"system_id", &pdu.Bind{SystemID: long(16)}, pdu.ESME_RINVSYSID, "system_id"},
		{"password", &pdu.Bind{SystemID: "a", Password: long(9)}, pdu.ESME_RINVPASWD, "password"},
		{"system_type", &pdu.Bind{SystemType: long(13)}, pdu.ESME_RINVSYSTYP, "system_type"},
		{"bind resp system_id", &pdu.BindResp{SystemID: long(16)}, pdu.ESME_RINVSYSID, "system_id"},
		{"outbind password", &pdu.Outbind{Password: long(9)}, pdu.ESME_RINVPASWD, "password"},
		{"source_addr", &pdu.SubmitSM{SourceAddr: long(21)}, pdu.ESME_RINVSRCADR, "source_addr"},
		{"destination_addr", &pdu.SubmitSM{DestinationAddr: long(21)}, pdu.ESME_RINVDSTADR, "destination_addr"},
		{"destination_addr with NUL", &pdu.SubmitSM{DestinationAddr: "12\x003"}, pdu.ESME_RINVDSTADR, "destination_addr"},
		{"deliver_sm source_addr", &pdu.DeliverSM{SourceAddr: long(21)}, pdu.ESME_RINVSRCADR, "source_addr"},
		{"service_type", &pdu.SubmitSM{ServiceType: long(6)}, pdu.ESME_RINVSERTYP, "service_type"},
		{"short_message 255", &pdu.SubmitSM{ShortMessage: make([]byte, 255)}, pdu.ESME_RINVMSGLEN, "short_message"},
		{"schedule time 15", &pdu.SubmitSM{ScheduleDeliveryTime: long(15)}, pdu.ESME_RINVSCHED, "schedule_delivery_time"},
		{"validity 17", &pdu.SubmitSM{ValidityPeriod: long(17)}, pdu.ESME_RINVEXPIRY, "validity_period"},
		{"TLV too long", &pdu.SubmitSM{TLVs: tlv.List{{Tag: tlv.MessagePayload, Value: make([]byte, 70000)}}}, pdu.ESME_RINVPARLEN, "tlv"},
		{"submit_multi no dests", &pdu.SubmitMulti{}, pdu.ESME_RINVNUMDESTS, "number_of_dests"},
		{"submit_multi dest_flag", &pdu.SubmitMulti{Dests: []pdu.DestAddress{{Flag: 7}}}, pdu.ESME_RINVDESTFLAG, "dest_flag"},
		{"submit_multi dl_name", &pdu.SubmitMulti{Dests: []pdu.DestAddress{{Flag: pdu.DestFlagList, DLName: long(21)}}}, pdu.ESME_RINVDLNAME, "dl_name"},
		{"submit_sm_resp message_id", &pdu.SubmitSMResp{MessageID: long(65)}, pdu.ESME_RINVMSGID, "message_id"},
		{"replace_sm short_message", &pdu.ReplaceSM{ShortMessage: make([]byte, 300)}, pdu.ESME_RINVMSGLEN, "short_message"},
		{"query_sm source_addr", &pdu.QuerySM{SourceAddr: long(21)}, pdu.ESME_RINVSRCADR, "source_addr"},
		{"cancel_sm destination_addr", &pdu.CancelSM{DestinationAddr: long(21)}, pdu.ESME_RINVDSTADR, "destination_addr"},
		{"data_sm destination_addr", &pdu.DataSM{DestinationAddr: long(65)}, pdu.ESME_RINVDSTADR, "destination_addr"},
		{"alert source_addr", &pdu.AlertNotification{SourceAddr: long(65)}, pdu.ESME_RINVSRCADR, "source_addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := tc.p.AppendBinary(dst)
			var fe *pdu.FieldError
			if !errors.As(err, &fe) || fe.Status != tc.status || fe.Field != tc.field || !errors.Is(err, tc.status) {
				t.Fatalf("got %v", err)
			}
			if string(out) != "keep" {
				t.Fatalf("dst changed on error: %q", out)
			}
			out, err = pdu.AppendPDU([]byte("keep"), 1, 0, tc.p)
			if pdu.StatusOf(err) != tc.status || string(out) != "keep" {
				t.Fatalf("AppendPDU: %v %q", err, out)
			}
		})
	}
}

func TestLenient(t *testing.T) {
	lenient := pdu.DecodeOptions{Lenient: true}
	strict := pdu.DecodeOptions{}
	long := strings.Repeat("1", 30)

	// message_id without its NUL at the end of submit_sm_resp.
	f := frame(pdu.SubmitSMRespID, 0, 1, []byte("5f3a9c01"))
	if _, _, err := pdu.Decode(f, strict); pdu.StatusOf(err) != pdu.ESME_RINVCMDLEN {
		t.Errorf("strict: %v", err)
	}
	_, p, err := pdu.Decode(f, lenient)
	if err != nil || p.(*pdu.SubmitSMResp).MessageID != "5f3a9c01" {
		t.Errorf("lenient: %v %#v", err, p)
	}

	// Over-long strings.
	f = frame(pdu.SubmitSMID, 0, 1, hx(t, submitHex(cs(long), cs(long+long), "02 6869", "")))
	if _, _, err := pdu.Decode(f, strict); pdu.StatusOf(err) != pdu.ESME_RINVSRCADR {
		t.Errorf("strict: %v", err)
	}
	_, p, err = pdu.Decode(f, lenient)
	if sm, _ := p.(*pdu.SubmitSM); err != nil || sm.SourceAddr != long || sm.DestinationAddr != long+long || string(sm.ShortMessage) != "hi" {
		t.Errorf("lenient: %v %#v", err, p)
	}
	f = frame(pdu.BindTransmitterID, 0, 1, hx(t, cs(long)+cs("password1")+"00 34 00 00 00"))
	if _, p, err = pdu.Decode(f, lenient); err != nil || p.(*pdu.Bind).SystemID != long || p.(*pdu.Bind).Password != "password1" {
		t.Errorf("lenient bind: %v %#v", err, p)
	}
	// A bind that ends without address_range's NUL is refused in both modes:
	// only a response's last field may lack it (smppconform smsc.framing.10).
	f = frame(pdu.BindTransmitterID, 0, 1, hx(t, cs("esme")+cs("pw")+"00 34 00 00"))
	for _, o := range []pdu.DecodeOptions{strict, lenient} {
		if _, _, err := pdu.Decode(f, o); pdu.StatusOf(err) != pdu.ESME_RINVCMDLEN {
			t.Errorf("bind without address_range's NUL (%+v): %v", o, err)
		}
	}

	// 17-byte submit_sm_resp error with an empty message_id; both modes.
	f = frame(pdu.SubmitSMRespID, pdu.ESME_RINVDSTADR, 3, []byte{0})
	if len(f) != 17 {
		t.Fatal(len(f))
	}
	for _, o := range []pdu.DecodeOptions{strict, lenient} {
		h, p, err := pdu.Decode(f, o)
		if err != nil || h.Status != pdu.ESME_RINVDSTADR || p.(*pdu.SubmitSMResp).MessageID != "" {
			t.Errorf("17-byte error resp (%+v): %v", o, err)
		}
	}

	// bind resp error with a system_id body; both modes.
	f = frame(pdu.BindTransmitterRespID, pdu.ESME_RINVPASWD, 1, []byte("SMSC\x00"))
	for _, o := range []pdu.DecodeOptions{strict, lenient} {
		h, p, err := pdu.Decode(f, o)
		if err != nil || h.Status != pdu.ESME_RINVPASWD || p.(*pdu.BindResp).SystemID != "SMSC" {
			t.Errorf("bind resp error (%+v): %v %#v", o, err, p)
		}
	}

	// An error response with a body that is junk: the status counts.
	f = frame(pdu.SubmitSMRespID, pdu.ESME_RTHROTTLED, 1, []byte{0x41, 0x00, 0x01})
	if h, p, err := pdu.Decode(f, strict); err != nil || h.Status != pdu.ESME_RTHROTTLED || p.(*pdu.SubmitSMResp).MessageID != "" {
		t.Errorf("error resp with junk body: %v %#v", err, p)
	}

	// Trailing octets after a TLV-less body; time strings of other lengths.
	f = frame(pdu.EnquireLinkID, 0, 1, []byte{0})
	if _, _, err := pdu.Decode(f, lenient); err != nil {
		t.Errorf("lenient trailing: %v", err)
	}
	f = frame(pdu.SubmitSMID, 0, 1, hx(t, "00 0101"+cs("1")+"0101"+cs("2")+"00 00 00"+cs("2403151430")+"00 00 00 00 00 00"))
	if _, p, err := pdu.Decode(f, lenient); err != nil || p.(*pdu.SubmitSM).ScheduleDeliveryTime != "2403151430" {
		t.Errorf("lenient time: %v", err)
	}

	// A known TLV with a wrong length is kept.
	f = frame(pdu.DeliverSMID, 0, 1, hx(t, submitHex(cs("1"), cs("2"), "00", "0427 0002 0102 0204 0002 0007")))
	_, p, err = pdu.Decode(f, lenient)
	if err != nil {
		t.Fatalf("lenient TLV length: %v", err)
	}
	if v, _ := p.(*pdu.DeliverSM).TLVs.Lookup(tlv.MessageState); !bytes.Equal(v, []byte{1, 2}) {
		t.Errorf("kept TLV %x", v)
	}
	if r, ok := p.(*pdu.DeliverSM).TLVs.UserMessageReference(); !ok || r != 7 {
		t.Errorf("TLV after the bad one lost")
	}
}

// An embedded NUL is refused wherever it sits in the string.
func TestEncodeEmbeddedNUL(t *testing.T) {
	for i := 0; i < 20; i++ {
		b := []byte(strings.Repeat("1", 20))
		b[i] = 0
		_, err := (&pdu.SubmitSM{DestinationAddr: string(b)}).AppendBinary(nil)
		if !errors.Is(err, pdu.ErrBadValue) || !errors.Is(err, pdu.ESME_RINVDSTADR) {
			t.Fatalf("NUL at %d: %v", i, err)
		}
	}
	for _, s := range []string{"\x80\x80\x80\x80\x80\x80\x80\x80\x01", "\xff\xff\xff\xff\xff\xff\xff\xff", "\x01\x01\x01\x01\x01\x01\x01\x01"} {
		if _, err := (&pdu.SubmitSM{DestinationAddr: s}).AppendBinary(nil); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	}
}
