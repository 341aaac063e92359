package tlv_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"

	"github.com/esmsafrica/smpp/tlv"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestScanAppendRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		want tlv.List
	}{
		{"empty", "", nil},
		{"one int", "04270001" + "02", tlv.List{{Tag: tlv.MessageState, Value: []byte{2}}}},
		{"order kept, unknown and vendor tags kept", "1401000361626300990000" + "020c00020001",
			tlv.List{{Tag: 0x1401, Value: []byte("abc")}, {Tag: 0x0099, Value: []byte{}}, {Tag: tlv.SarMsgRefNum, Value: []byte{0, 1}}}},
		{"cstring", "001e0009" + hex.EncodeToString([]byte("5f3a9c01\x00")), tlv.List{{Tag: tlv.ReceiptedMessageID, Value: []byte("5f3a9c01\x00")}}},
		{"repeated tag", "0381000401020304" + "0381000405060708",
			tlv.List{{Tag: tlv.CallbackNum, Value: []byte{1, 2, 3, 4}}, {Tag: tlv.CallbackNum, Value: []byte{5, 6, 7, 8}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := unhex(t, tc.hex)
			got, err := tlv.Scan(nil, src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v want %#v", got, tc.want)
			}
			out, err := got.AppendBinary([]byte{0xEE})
			if err != nil || !bytes.Equal(out[1:], src) || out[0] != 0xEE {
				t.Fatalf("append %x %v", out, err)
			}
			if got.Len() != len(src) {
				t.Fatalf("Len %d", got.Len())
			}
		})
	}
}

func TestScanErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		err  error
		n    int // fields returned
	}{
		{"short header", "0427", tlv.ErrStream, 0},
		{"three octets", "042700", tlv.ErrStream, 0},
		{"length past end", "0424000a6869", tlv.ErrStream, 0},
		{"good then short", "04270001" + "02" + "04", tlv.ErrStream, 1},
		{"bad length, rest scanned", "04270002" + "0102" + "020c00020001", tlv.ErrLength, 2},
		{"network_error_code 2 octets", "042300020300", tlv.ErrLength, 1},
		{"receipted_message_id empty", "001e0000", tlv.ErrLength, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := tlv.Scan(nil, unhex(t, tc.hex))
			if !errors.Is(err, tc.err) || len(l) != tc.n {
				t.Fatalf("got %v, %d fields", err, len(l))
			}
			var le *tlv.LengthError
			if errors.Is(err, tlv.ErrLength) && (!errors.As(err, &le) || le.Error() == "") {
				t.Fatalf("no LengthError: %v", err)
			}
		})
	}
}

func TestTypedAccessors(t *testing.T) {
	var l tlv.List
	l.SetMessagePayload([]byte("payload"))
	l.SetReceiptedMessageID("abc")
	l.SetMessageState(2)
	l.SetNetworkErrorCode(tlv.NetworkError{Type: 3, Code: 0x0102})
	l.SetSAR(tlv.SAR{Ref: 0x1234, Total: 3, Seq: 2})
	l.SetSourcePort(8080)
	l.SetDestinationPort(9200)
	l.SetUserMessageReference(7)
	l.SetScInterfaceVersion(0x34)
	l.SetUssdServiceOp(1)
	l.SetMoreMessagesToSend(1)
	l.SetPayloadType(0)
	l.SetMsAvailabilityStatus(1)
	l.SetDeliveryFailureReason(2)
	l.SetAdditionalStatusInfoText("info")
	l.SetUint32(tlv.QosTimeToLive, 3600)

	if v, ok := l.MessagePayload(); !ok || string(v) != "payload" {
		t.Error("payload")
	}
	if v, ok := l.ReceiptedMessageID(); !ok || string(v) != "abc" {
		t.Error("receipted_message_id")
	}
	if v, ok := l.MessageState(); !ok || v != 2 {
		t.Error("message_state")
	}
	if v, ok := l.NetworkErrorCode(); !ok || v != (tlv.NetworkError{Type: 3, Code: 0x0102}) {
		t.Error("network_error_code")
	}
	if v, ok := l.SAR(); !ok || v != (tlv.SAR{Ref: 0x1234, Total: 3, Seq: 2}) {
		t.Error("sar")
	}
	if v, ok := l.SourcePort(); !ok || v != 8080 {
		t.Error("source_port")
	}
	if v, ok := l.DestinationPort(); !ok || v != 9200 {
		t.Error("destination_port")
	}
	if v, ok := l.UserMessageReference(); !ok || v != 7 {
		t.Error("user_message_reference")
	}
	if v, ok := l.ScInterfaceVersion(); !ok || v != 0x34 {
		t.Error("sc_interface_version")
	}
	if v, ok := l.UssdServiceOp(); !ok || v != 1 {
		t.Error("ussd_service_op")
	}
	if v, ok := l.MoreMessagesToSend(); !ok || v != 1 {
		t.Error("more_messages_to_send")
	}
	if v, ok := l.PayloadType(); !ok || v != 0 {
		t.Error("payload_type")
	}
	if v, ok := l.MsAvailabilityStatus(); !ok || v != 1 {
		t.Error("ms_availability_status")
	}
	if v, ok := l.DeliveryFailureReason(); !ok || v != 2 {
		t.Error("delivery_failure_reason")
	}
	if v, ok := l.AdditionalStatusInfoText(); !ok || string(v) != "info" {
		t.Error("additional_status_info_text")
	}
	if v, ok := l.Uint(tlv.QosTimeToLive); !ok || v != 3600 {
		t.Error("qos_time_to_live")
	}
	if v, ok := l.Uint(tlv.SourcePort); !ok || v != 8080 {
		t.Error("Uint 2")
	}

	// Every value the setters wrote has a valid length.
	b, err := l.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := tlv.Scan(nil, b)
	if err != nil || !reflect.DeepEqual(back, l) {
		t.Fatalf("round trip: %v", err)
	}

	// Set replaces in place; Del removes; Add repeats.
	l.SetMessageState(5)
	if v, _ := l.MessageState(); v != 5 || len(back) != len(l) {
		t.Error("Set did not replace")
	}
	l.Del(tlv.MessageState)
	if l.Has(tlv.MessageState) {
		t.Error("Del")
	}
	l.Add(tlv.CallbackNum, []byte{1, 2, 3, 4})
	l.Add(tlv.CallbackNum, []byte{5, 6, 7, 8})
	n := 0
	for _, f := range l {
		if f.Tag == tlv.CallbackNum {
			n++
		}
	}
	if n != 2 {
		t.Error("Add")
	}

	// Wrong lengths read as absent.
	bad := tlv.List{{Tag: tlv.SourcePort, Value: []byte{1}}, {Tag: tlv.MessageState, Value: []byte{1, 2}},
		{Tag: tlv.NetworkErrorCode, Value: []byte{1}}, {Tag: tlv.SarMsgRefNum, Value: []byte{1, 2}}}
	if _, ok := bad.SourcePort(); ok {
		t.Error("short source_port read")
	}
	if _, ok := bad.MessageState(); ok {
		t.Error("long message_state read")
	}
	if _, ok := bad.NetworkErrorCode(); ok {
		t.Error("short network_error_code read")
	}
	if _, ok := bad.SAR(); ok {
		t.Error("incomplete SAR read")
	}
	if _, ok := bad.Uint32(tlv.SourcePort); ok {
		t.Error("Uint32 of one octet")
	}
	if _, ok := bad.Uint(tlv.MessagePayload); ok {
		t.Error("Uint of absent")
	}
	if v, ok := (tlv.List{{Tag: tlv.ReceiptedMessageID, Value: []byte("x")}}).CString(tlv.ReceiptedMessageID); !ok || string(v) != "x" {
		t.Error("CString without NUL")
	}
}

func TestClone(t *testing.T) {
	src := unhex(t, "04240003616263"+"04270001"+"02")
	l, err := tlv.Scan(nil, src)
	if err != nil {
		t.Fatal(err)
	}
	c := l.Clone()
	for i := range src {
		src[i] = 0
	}
	if string(c[0].Value) != "abc" || c[1].Value[0] != 2 || c[0].Tag != tlv.MessagePayload {
		t.Fatalf("clone aliases source: %#v", c)
	}
	// Appending to a cloned value must not overwrite the next one.
	_ = append(c[0].Value, 'X')
	if c[1].Value[0] != 2 {
		t.Fatal("clone values overlap")
	}
	if tlv.List(nil).Clone() != nil {
		t.Fatal("nil clone")
	}
}

func TestTooLong(t *testing.T) {
	l := tlv.List{{Tag: tlv.MessagePayload, Value: make([]byte, 0x10000)}}
	if _, err := l.AppendBinary(nil); !errors.Is(err, tlv.ErrTooLong) {
		t.Fatal(err)
	}
}

func TestTagNames(t *testing.T) {
	for tag, want := range map[tlv.Tag]string{
		tlv.MessagePayload: "message_payload", tlv.SarMsgRefNum: "sar_msg_ref_num", 0x1400: "vendor_0x1400",
		0x3fff: "vendor_0x3fff", 0x0099: "0x0099", tlv.ReceiptedMessageID: "receipted_message_id",
	} {
		if got := tag.String(); got != want {
			t.Errorf("%#x: %q want %q", uint16(tag), got, want)
		}
	}
	if tg, ok := tlv.TagByName("network_error_code"); !ok || tg != tlv.NetworkErrorCode {
		t.Error("TagByName")
	}
	if _, ok := tlv.TagByName("nope"); ok {
		t.Error("TagByName nope")
	}
	if !tlv.MessageState.Known() || tlv.Tag(0x1401).Known() || !tlv.Tag(0x1401).IsVendor() || tlv.Tag(0x4000).IsVendor() {
		t.Error("Known/IsVendor")
	}
	if !tlv.Tag(0x1401).LengthOK(1000) || tlv.MessageState.LengthOK(2) || !tlv.MessageState.LengthOK(1) {
		t.Error("LengthOK")
	}
}

func TestScanAllocs(t *testing.T) {
	src := unhex(t, "04240003616263"+"04270001"+"02"+"001e0003616200")
	list := make(tlv.List, 0, 8)
	if n := testing.AllocsPerRun(200, func() {
		var err error
		list, err = tlv.Scan(list[:0], src)
		if err != nil || len(list) != 3 {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Scan into a reused list allocates %v", n)
	}
	if n := testing.AllocsPerRun(200, func() {
		l, err := tlv.Scan(nil, src)
		if err != nil || len(l) != 3 {
			t.Fatal(err)
		}
	}); n != 1 {
		t.Fatalf("Scan of 3 fields into a nil list allocates %v times, want 1", n)
	}
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(200, func() { buf, _ = list.AppendBinary(buf[:0]) }); n != 0 {
		t.Fatalf("AppendBinary allocates %v", n)
	}
}
