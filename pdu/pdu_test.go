package pdu_test

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// hx joins hex pieces, ignoring spaces, and decodes them.
func hx(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(strings.Join(parts, ""), " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cs is the hex of a C-Octet String: the text and its NUL.
func cs(s string) string { return hex.EncodeToString([]byte(s)) + "00" }

// frame builds a whole PDU from a header and a body.
func frame(id pdu.CommandID, status pdu.Status, seq uint32, body []byte) []byte {
	b := make([]byte, 16, 16+len(body))
	binary.BigEndian.PutUint32(b, uint32(16+len(body)))
	binary.BigEndian.PutUint32(b[4:], uint32(id))
	binary.BigEndian.PutUint32(b[8:], uint32(status))
	binary.BigEndian.PutUint32(b[12:], seq)
	return append(b, body...)
}

func tlvs(fs ...tlv.Field) tlv.List { return tlv.List(fs) }

type pduCase struct {
	name string
	pdu  pdu.PDU
	hex  string // the body
}

func pduCases(t testing.TB) []pduCase {
	bind := func(id pdu.CommandID) *pdu.Bind {
		return &pdu.Bind{ID: id, SystemID: "smppclient1", Password: "password", SystemType: "VMA",
			InterfaceVersion: 0x34, AddrTON: 1, AddrNPI: 1, AddressRange: "^49"}
	}
	bindHex := cs("smppclient1") + cs("password") + cs("VMA") + "34 01 01" + cs("^49")
	bindResp := func(id pdu.CommandID) *pdu.BindResp {
		return &pdu.BindResp{ID: id, SystemID: "SMSC", TLVs: tlvs(tlv.Field{Tag: tlv.ScInterfaceVersion, Value: []byte{0x34}})}
	}
	bindRespHex := cs("SMSC") + "0210 0001 34"
	return []pduCase{
		{"bind_transmitter", bind(pdu.BindTransmitterID), bindHex},
		{"bind_receiver", bind(pdu.BindReceiverID), bindHex},
		{"bind_transceiver", bind(pdu.BindTransceiverID), bindHex},
		{"bind_transceiver empty strings", &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "a", InterfaceVersion: 0x34}, cs("a") + "00 00 340000 00"},
		{"bind_transmitter_resp", bindResp(pdu.BindTransmitterRespID), bindRespHex},
		{"bind_receiver_resp", bindResp(pdu.BindReceiverRespID), bindRespHex},
		{"bind_transceiver_resp", bindResp(pdu.BindTransceiverRespID), bindRespHex},
		{"bind_transceiver_resp no TLV", &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "SMSC"}, cs("SMSC")},
		{"outbind", &pdu.Outbind{SystemID: "SMSC", Password: "pwd"}, cs("SMSC") + cs("pwd")},
		{"query_sm", &pdu.QuerySM{MessageID: "abc123", SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "4915550000"},
			cs("abc123") + "01 01" + cs("4915550000")},
		{"query_sm_resp with final_date", &pdu.QuerySMResp{MessageID: "abc123", FinalDate: "240315143000004+", MessageState: pdu.StateDelivered},
			cs("abc123") + cs("240315143000004+") + "02 00"},
		{"query_sm_resp not final", &pdu.QuerySMResp{MessageID: "abc123", MessageState: pdu.StateEnroute, ErrorCode: 0x11},
			cs("abc123") + "00" + "01 11"},
		{"submit_sm", &pdu.SubmitSM{ServiceType: "CMT", SourceAddrTON: 5, SourceAddrNPI: 0, SourceAddr: "MyBrand",
			DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "4915550000", ESMClass: 0x03, ProtocolID: 0, PriorityFlag: 1,
			ScheduleDeliveryTime: "240315143000004+", ValidityPeriod: "000001060000000R", RegisteredDelivery: 1,
			ReplaceIfPresentFlag: 0, DataCoding: 0x08, SMDefaultMsgID: 0, ShortMessage: []byte{0x00, 0x48, 0x00, 0x69},
			TLVs: tlvs(tlv.Field{Tag: tlv.UserMessageReference, Value: []byte{0x00, 0x07}}, tlv.Field{Tag: 0x1401, Value: []byte("vendor")})},
			cs("CMT") + "05 00" + cs("MyBrand") + "01 01" + cs("4915550000") + "03 00 01" + cs("240315143000004+") + cs("000001060000000R") +
				"01 00 08 00" + "04 00480069" + "0204 0002 0007" + "1401 0006" + hex.EncodeToString([]byte("vendor"))},
		{"submit_sm minimal", &pdu.SubmitSM{DestinationAddr: "1"}, "00 0000 00 0000" + cs("1") + "000000 00 00 00000000 00"},
		{"submit_sm_resp", &pdu.SubmitSMResp{MessageID: "5f3a9c01"}, cs("5f3a9c01")},
		{"deliver_sm receipt", &pdu.DeliverSM{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "4915550001", DestAddrTON: 1, DestAddrNPI: 1,
			DestinationAddr: "4915550000", ESMClass: 0x04, ShortMessage: []byte("id:1 stat:DELIVRD"),
			TLVs: tlvs(tlv.Field{Tag: tlv.ReceiptedMessageID, Value: []byte("1\x00")}, tlv.Field{Tag: tlv.MessageState, Value: []byte{2}},
				tlv.Field{Tag: tlv.NetworkErrorCode, Value: []byte{3, 0, 0}})},
			"00 0101" + cs("4915550001") + "0101" + cs("4915550000") + "04 00 00 00 00 00 00 00 00" +
				"11" + hex.EncodeToString([]byte("id:1 stat:DELIVRD")) + "001e 0002 3100 0427 0001 02 0423 0003 030000"},
		{"deliver_sm_resp", &pdu.DeliverSMResp{}, "00"},
		{"unbind", &pdu.Unbind{}, ""},
		{"unbind_resp", &pdu.UnbindResp{}, ""},
		{"enquire_link", &pdu.EnquireLink{}, ""},
		{"enquire_link_resp", &pdu.EnquireLinkResp{}, ""},
		{"generic_nack", &pdu.GenericNack{}, ""},
		{"cancel_sm_resp", &pdu.CancelSMResp{}, ""},
		{"replace_sm_resp", &pdu.ReplaceSMResp{}, ""},
		{"replace_sm", &pdu.ReplaceSM{MessageID: "abc", SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "123",
			ValidityPeriod: "000001060000000R", RegisteredDelivery: 1, ShortMessage: []byte("new")},
			cs("abc") + "01 01" + cs("123") + "00" + cs("000001060000000R") + "01 00 03 6e6577"},
		{"cancel_sm", &pdu.CancelSM{MessageID: "abc", SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "123", DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "456"},
			"00" + cs("abc") + "01 01" + cs("123") + "01 01" + cs("456")},
		{"submit_multi both dest kinds", &pdu.SubmitMulti{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "4915550001",
			Dests: []pdu.DestAddress{{Flag: pdu.DestFlagSME, DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "4915550000"},
				{Flag: pdu.DestFlagList, DLName: "friends"}},
			RegisteredDelivery: 1, ShortMessage: []byte("hi"), TLVs: tlvs(tlv.Field{Tag: tlv.SourcePort, Value: []byte{0x1f, 0x90}})},
			"00 01 01" + cs("4915550001") + "02" + "01 01 01" + cs("4915550000") + "02" + cs("friends") +
				"00 00 00 00 00 01 00 00 00 02 6869" + "020a 0002 1f90"},
		{"submit_multi_resp", &pdu.SubmitMultiResp{MessageID: "m1", Unsuccess: []pdu.UnsuccessSME{
			{DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "4915550001", ErrorStatusCode: pdu.ESME_RINVDSTADR}}},
			cs("m1") + "01" + "01 01" + cs("4915550001") + "0000000b"},
		{"submit_multi_resp all ok", &pdu.SubmitMultiResp{MessageID: "m1"}, cs("m1") + "00"},
		{"alert_notification", &pdu.AlertNotification{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "4915550000",
			ESMEAddrTON: 1, ESMEAddrNPI: 1, ESMEAddr: "SMSC", TLVs: tlvs(tlv.Field{Tag: tlv.MsAvailabilityStatus, Value: []byte{0}})},
			"01 01" + cs("4915550000") + "01 01" + cs("SMSC") + "0422 0001 00"},
		{"data_sm with TLVs", &pdu.DataSM{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: "src", DestAddrTON: 1, DestAddrNPI: 1,
			DestinationAddr: "dst", RegisteredDelivery: 1, TLVs: tlvs(tlv.Field{Tag: tlv.MessagePayload, Value: []byte("hello")},
				tlv.Field{Tag: tlv.SourcePort, Value: []byte{0x1f, 0x90}}, tlv.Field{Tag: tlv.SarMsgRefNum, Value: []byte{0, 1}})},
			"00 01 01" + cs("src") + "01 01" + cs("dst") + "00 01 00" + "0424 0005 68656c6c6f" + "020a 0002 1f90" + "020c 0002 0001"},
		{"data_sm_resp", &pdu.DataSMResp{MessageID: "dm1", TLVs: tlvs(tlv.Field{Tag: tlv.DeliveryFailureReason, Value: []byte{1}})},
			cs("dm1") + "0425 0001 01"},
	}
}

func TestPDUTable(t *testing.T) {
	seen := map[pdu.CommandID]bool{}
	for _, tc := range pduCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.pdu.CommandID()
			seen[id] = true
			body := hx(t, tc.hex)
			got, err := tc.pdu.AppendBinary([]byte("prefix"))
			must(t, err)
			if string(got[:6]) != "prefix" || hex.EncodeToString(got[6:]) != hex.EncodeToString(body) {
				t.Fatalf("encode:\n got %x\nwant %x", got[6:], body)
			}
			const seq = 0x01020304
			whole, err := pdu.AppendPDU(nil, seq, pdu.ESME_ROK, tc.pdu)
			must(t, err)
			want := frame(id, pdu.ESME_ROK, seq, body)
			if hex.EncodeToString(whole) != hex.EncodeToString(want) {
				t.Fatalf("AppendPDU:\n got %x\nwant %x", whole, want)
			}
			for _, lenient := range []bool{false, true} {
				h, dec, err := pdu.Decode(want, pdu.DecodeOptions{Lenient: lenient})
				must(t, err)
				if h.ID != id || h.Sequence != seq || h.Length != uint32(len(want)) {
					t.Fatalf("header %+v", h)
				}
				if !reflect.DeepEqual(norm(dec), norm(tc.pdu)) {
					t.Fatalf("decode (lenient %v):\n got %#v\nwant %#v", lenient, dec, tc.pdu)
				}
			}
			// UnmarshalBinary into a fresh body, and into a reused one.
			fresh := pdu.New(id)
			must(t, fresh.UnmarshalBinary(body))
			must(t, fresh.UnmarshalBinary(body))
			if !reflect.DeepEqual(norm(fresh), norm(tc.pdu)) {
				t.Fatalf("UnmarshalBinary:\n got %#v\nwant %#v", fresh, tc.pdu)
			}
			// Clone shares nothing with the frame.
			if c := cloneOf(fresh); c != nil {
				for i := range body {
					body[i] ^= 0xFF
				}
				if !reflect.DeepEqual(norm(c), norm(tc.pdu)) {
					t.Fatalf("Clone aliases the frame:\n got %#v", c)
				}
			}
		})
	}
	for _, id := range allIDs {
		if !seen[id] {
			t.Errorf("no table case for %s", id)
		}
	}
}

var allIDs = []pdu.CommandID{
	pdu.GenericNackID, pdu.BindReceiverID, pdu.BindReceiverRespID, pdu.BindTransmitterID, pdu.BindTransmitterRespID,
	pdu.QuerySMID, pdu.QuerySMRespID, pdu.SubmitSMID, pdu.SubmitSMRespID, pdu.DeliverSMID, pdu.DeliverSMRespID,
	pdu.UnbindID, pdu.UnbindRespID, pdu.ReplaceSMID, pdu.ReplaceSMRespID, pdu.CancelSMID, pdu.CancelSMRespID,
	pdu.BindTransceiverID, pdu.BindTransceiverRespID, pdu.OutbindID, pdu.EnquireLinkID, pdu.EnquireLinkRespID,
	pdu.SubmitMultiID, pdu.SubmitMultiRespID, pdu.AlertNotificationID, pdu.DataSMID, pdu.DataSMRespID,
}

// cloneOf calls the body's Clone method when it has one.
func cloneOf(p pdu.PDU) pdu.PDU {
	m := reflect.ValueOf(p).MethodByName("Clone")
	if !m.IsValid() {
		return nil
	}
	return m.Call(nil)[0].Interface().(pdu.PDU)
}

func TestErrorResponsesHeaderOnly(t *testing.T) {
	for _, id := range allIDs {
		if !id.IsResponse() {
			continue
		}
		p := pdu.New(id)
		out, err := pdu.AppendPDU(nil, 7, pdu.ESME_RSYSERR, p)
		must(t, err)
		want := frame(id, pdu.ESME_RSYSERR, 7, nil)
		if hex.EncodeToString(out) != hex.EncodeToString(want) {
			t.Errorf("%s: got %x want %x", id, out, want)
		}
		h, dec, err := pdu.Decode(out, pdu.DecodeOptions{})
		if err != nil || h.Status != pdu.ESME_RSYSERR || dec.CommandID() != id {
			t.Errorf("%s: decode %v %v", id, h, err)
		}
	}
}

func TestHeader(t *testing.T) {
	b := hx(t, "00000010 80000004 00000058 7fffffff")
	h, err := pdu.ParseHeader(b)
	must(t, err)
	want := pdu.Header{Length: 16, ID: pdu.SubmitSMRespID, Status: pdu.ESME_RTHROTTLED, Sequence: pdu.MaxSequence}
	if h != want {
		t.Fatalf("got %+v", h)
	}
	if out := h.AppendBinary(nil); hex.EncodeToString(out) != hex.EncodeToString(b) {
		t.Fatalf("encode %x", out)
	}
	if _, err := pdu.ParseHeader(b[:15]); !errors.Is(err, pdu.ErrShortHeader) {
		t.Fatalf("short header: %v", err)
	}
	if pdu.NextSequence(1) != 2 || pdu.NextSequence(pdu.MaxSequence) != 1 || pdu.NextSequence(0xFFFFFFFF) != 1 {
		t.Fatal("NextSequence")
	}
}

func TestCommandIDString(t *testing.T) {
	for id, want := range map[pdu.CommandID]string{
		pdu.SubmitSMID: "submit_sm", pdu.DeliverSMRespID: "deliver_sm_resp", pdu.GenericNackID: "generic_nack",
		pdu.AlertNotificationID: "alert_notification", pdu.BindTransceiverRespID: "bind_transceiver_resp",
		pdu.CommandID(0x1234): "command_id(0x1234)",
	} {
		if got := id.String(); got != want {
			t.Errorf("%#x: %q want %q", uint32(id), got, want)
		}
	}
	for _, id := range allIDs {
		if !id.Known() || pdu.New(id) == nil || pdu.New(id).CommandID() != id {
			t.Errorf("%s: Known/New broken", id)
		}
		if id.IsResponse() && id != pdu.GenericNackID && !id.Request().Known() {
			t.Errorf("%s: no request", id)
		}
	}
	if !pdu.SubmitSMID.HasResponse() || pdu.OutbindID.HasResponse() || pdu.AlertNotificationID.HasResponse() || pdu.SubmitSMRespID.HasResponse() {
		t.Error("HasResponse")
	}
	if pdu.SubmitSMID.Response() != pdu.SubmitSMRespID || pdu.SubmitSMRespID.Request() != pdu.SubmitSMID {
		t.Error("Response/Request")
	}
	if !pdu.BindReceiverID.IsBind() || pdu.BindReceiverRespID.IsBind() {
		t.Error("IsBind")
	}
	if pdu.New(0x1234) != nil {
		t.Error("New(unknown)")
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[pdu.Status]string{
		pdu.ESME_ROK: "ESME_ROK", pdu.ESME_RTHROTTLED: "ESME_RTHROTTLED", pdu.ESME_RINVOPTPARSTREAM: "ESME_RINVOPTPARSTREAM",
		pdu.ESME_RX_T_APPN: "ESME_RX_T_APPN", pdu.ESME_RINVBCASTCHANIND: "ESME_RINVBCASTCHANIND", pdu.Status(0x400): "command_status(0x400)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%#x: %q want %q", uint32(s), got, want)
		}
	}
	if pdu.ESME_RTHROTTLED.Error() != "smpp: ESME_RTHROTTLED" {
		t.Error(pdu.ESME_RTHROTTLED.Error())
	}
	if !pdu.ESME_RTHROTTLED.Temporary() || !pdu.ESME_RMSGQFUL.Temporary() || pdu.ESME_RINVDSTADR.Temporary() {
		t.Error("Temporary")
	}
	if !pdu.ESME_RINVSRCADR.Known() || pdu.Status(0x9999).Known() {
		t.Error("Known")
	}
}

func TestErrorsIsAndStatusOf(t *testing.T) {
	fe := &pdu.FieldError{Command: pdu.SubmitSMID, Field: "source_addr", Status: pdu.ESME_RINVSRCADR, Err: pdu.ErrTooLong}
	wrapped := errors.Join(errors.New("context"), fe)
	for _, err := range []error{fe, wrapped} {
		if !errors.Is(err, pdu.ESME_RINVSRCADR) || !errors.Is(err, pdu.ErrTooLong) || errors.Is(err, pdu.ESME_RINVDSTADR) {
			t.Errorf("errors.Is on %v", err)
		}
		if pdu.StatusOf(err) != pdu.ESME_RINVSRCADR {
			t.Errorf("StatusOf(%v) = %v", err, pdu.StatusOf(err))
		}
		var got *pdu.FieldError
		if !errors.As(err, &got) || got.Field != "source_addr" {
			t.Errorf("errors.As on %v", err)
		}
	}
	if fe.Error() != "smpp: submit_sm.source_addr: field longer than the spec allows (ESME_RINVSRCADR)" {
		t.Errorf("message %q", fe.Error())
	}
	for err, want := range map[error]pdu.Status{
		nil:                                pdu.ESME_ROK,
		pdu.ESME_RTHROTTLED:                pdu.ESME_RTHROTTLED,
		errors.Join(pdu.ESME_RMSGQFUL):     pdu.ESME_RMSGQFUL,
		errors.New("boom"):                 pdu.ESME_RSYSERR,
		pdu.ErrUnknownCommand:              pdu.ESME_RINVCMDID,
		errors.Join(pdu.ErrUnknownCommand): pdu.ESME_RINVCMDID,
	} {
		if got := pdu.StatusOf(err); got != want {
			t.Errorf("StatusOf(%v) = %v want %v", err, got, want)
		}
	}
	_, _, err := pdu.Decode(frame(0x1234, 0, 9, nil), pdu.DecodeOptions{})
	if !errors.Is(err, pdu.ErrUnknownCommand) || pdu.StatusOf(err) != pdu.ESME_RINVCMDID {
		t.Errorf("unknown command: %v", err)
	}
	b := frame(pdu.EnquireLinkID, 0, 9, nil)
	b[3] = 17
	if _, _, err := pdu.Decode(b, pdu.DecodeOptions{}); pdu.StatusOf(err) != pdu.ESME_RINVCMDLEN {
		t.Errorf("length mismatch: %v", err)
	}
}
