package pdu_test

import (
	"errors"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

func date(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

func TestParseReceiptVariants(t *testing.T) {
	type want struct {
		id, sub, dlvrd, stat, err, text string
		submit, done                    time.Time
		submitRaw, doneRaw              string
		state                           pdu.MessageState
		fields                          pdu.ReceiptField
	}
	all := pdu.ReceiptID | pdu.ReceiptSub | pdu.ReceiptDlvrd | pdu.ReceiptSubmitDate | pdu.ReceiptDoneDate |
		pdu.ReceiptStat | pdu.ReceiptErr | pdu.ReceiptText
	for _, tc := range []struct {
		name, in string
		w        want
	}{
		{"appendix B", "id:5f3a9c01 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello world",
			want{"5f3a9c01", "001", "001", "DELIVRD", "000", "Hello world", date(2025, 1, 1, 12, 0, 0), date(2025, 1, 1, 12, 1, 0),
				"2501011200", "2501011201", pdu.StateDelivered, all | pdu.ReceiptState}},
		{"spec Text: label, decimal id", "id:1514078209 sub:001 dlvrd:000 submit date:2403151430 done date:2403151431 stat:UNDELIV err:001 Text:Hi",
			want{"1514078209", "001", "000", "UNDELIV", "001", "Hi", date(2024, 3, 15, 14, 30, 0), date(2024, 3, 15, 14, 31, 0),
				"2403151430", "2403151431", pdu.StateUndeliverable, all | pdu.ReceiptState}},
		{"12-digit dates", "id:0221067780 sub:001 dlvrd:001 submit date:240315143059 done date:240315143101 stat:DELIVRD err:000 text:",
			want{"0221067780", "001", "001", "DELIVRD", "000", "", date(2024, 3, 15, 14, 30, 59), date(2024, 3, 15, 14, 31, 1),
				"240315143059", "240315143101", pdu.StateDelivered, all | pdu.ReceiptState}},
		{"14-digit dates", "id:74e02ee1-4e2f-4b8a-9c1d-2f0e8d7a6b5c sub:001 dlvrd:001 submit date:20240315143059 done date:20240315143101 stat:DELIVRD err:000 text:none",
			want{"74e02ee1-4e2f-4b8a-9c1d-2f0e8d7a6b5c", "001", "001", "DELIVRD", "000", "none", date(2024, 3, 15, 14, 30, 59), date(2024, 3, 15, 14, 31, 1),
				"20240315143059", "20240315143101", pdu.StateDelivered, all | pdu.ReceiptState}},
		{"upper-case labels", "ID:ab12 SUB:001 DLVRD:001 SUBMIT DATE:2501011200 DONE DATE:2501011201 STAT:delivrd ERR:000 TEXT:x",
			want{"ab12", "001", "001", "delivrd", "000", "x", date(2025, 1, 1, 12, 0, 0), date(2025, 1, 1, 12, 1, 0),
				"2501011200", "2501011201", pdu.StateDelivered, all | pdu.ReceiptState}},
		{"reordered, missing sub dlvrd", "stat:EXPIRED err:000 id:42 done date:2501011201 submit date:2501011200 text:late",
			want{"42", "", "", "EXPIRED", "000", "late", date(2025, 1, 1, 12, 0, 0), date(2025, 1, 1, 12, 1, 0),
				"2501011200", "2501011201", pdu.StateExpired, all&^(pdu.ReceiptSub|pdu.ReceiptDlvrd) | pdu.ReceiptState}},
		{"only id and stat", "id:7 stat:REJECTD",
			want{id: "7", stat: "REJECTD", state: pdu.StateRejected, fields: pdu.ReceiptID | pdu.ReceiptStat | pdu.ReceiptState}},
		{"err 21b kept raw", "id:1 sub:001 dlvrd:000 submit date:2501011200 done date:2501011201 stat:UNDELIV err:21b text:x",
			want{"1", "001", "000", "UNDELIV", "21b", "x", date(2025, 1, 1, 12, 0, 0), date(2025, 1, 1, 12, 1, 0),
				"2501011200", "2501011201", pdu.StateUndeliverable, all | pdu.ReceiptState}},
		{"stat ENROUTE", "id:1 stat:ENROUTE err:000",
			want{id: "1", stat: "ENROUTE", err: "000", state: pdu.StateEnroute, fields: pdu.ReceiptID | pdu.ReceiptStat | pdu.ReceiptErr | pdu.ReceiptState}},
		{"vendor stat kept raw", "id:1 stat:DELIVERED TO CARRIER err:000",
			want{id: "1", stat: "DELIVERED TO CARRIER", err: "000", state: pdu.StateUnknown, fields: pdu.ReceiptID | pdu.ReceiptStat | pdu.ReceiptErr}},
		{"text with colons and labels", "id:9 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:PIN: 1234 id:x stat:y",
			want{"9", "001", "001", "DELIVRD", "000", "PIN: 1234 id:x stat:y", date(2025, 1, 1, 12, 0, 0), date(2025, 1, 1, 12, 1, 0),
				"2501011200", "2501011201", pdu.StateDelivered, all | pdu.ReceiptState}},
		{"text first", "text:hello there id:3 stat:DELIVRD",
			want{id: "3", stat: "DELIVRD", text: "hello there", state: pdu.StateDelivered, fields: pdu.ReceiptID | pdu.ReceiptStat | pdu.ReceiptText | pdu.ReceiptState}},
		{"underscored date labels", "id:3 submit_date:2501011200 done_date:2501011201 stat:DELIVRD",
			want{id: "3", stat: "DELIVRD", submit: date(2025, 1, 1, 12, 0, 0), done: date(2025, 1, 1, 12, 1, 0), submitRaw: "2501011200", doneRaw: "2501011201",
				state: pdu.StateDelivered, fields: pdu.ReceiptID | pdu.ReceiptSubmitDate | pdu.ReceiptDoneDate | pdu.ReceiptStat | pdu.ReceiptState}},
		{"bad date kept raw", "id:3 submit date:25013x1200 done date:2502301200 stat:DELIVRD",
			want{id: "3", stat: "DELIVRD", submitRaw: "25013x1200", doneRaw: "2502301200",
				state: pdu.StateDelivered, fields: pdu.ReceiptID | pdu.ReceiptSubmitDate | pdu.ReceiptDoneDate | pdu.ReceiptStat | pdu.ReceiptState}},
		{"extra spaces and CRLF", "id:  77   sub:001\r\ndlvrd:001 stat:DELIVRD\r\n",
			want{id: "77", sub: "001", dlvrd: "001", stat: "DELIVRD", state: pdu.StateDelivered,
				fields: pdu.ReceiptID | pdu.ReceiptSub | pdu.ReceiptDlvrd | pdu.ReceiptStat | pdu.ReceiptState}},
		{"label inside a word is not a label", "id:msgid:5 stat:DELIVRD",
			want{id: "msgid:5", stat: "DELIVRD", state: pdu.StateDelivered, fields: pdu.ReceiptID | pdu.ReceiptStat | pdu.ReceiptState}},
		{"5.0 states", "id:1 stat:SCHEDLD",
			want{id: "1", stat: "SCHEDLD", state: pdu.StateScheduled, fields: pdu.ReceiptID | pdu.ReceiptStat | pdu.ReceiptState}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r pdu.Receipt
			if err := pdu.ParseReceipt([]byte(tc.in), &r); err != nil {
				t.Fatal(err)
			}
			got := want{r.ID, r.Sub, r.Dlvrd, r.Stat, r.Err, r.Text, r.SubmitDate, r.DoneDate, r.SubmitDateRaw, r.DoneDateRaw, r.State, r.Fields}
			if got != tc.w {
				t.Errorf("\n got %+v\nwant %+v", got, tc.w)
			}
			if r.TextID != r.ID {
				t.Errorf("TextID %q, ID %q", r.TextID, r.ID)
			}
		})
	}
}

func TestParseReceiptNotReceipt(t *testing.T) {
	var r pdu.Receipt
	for _, s := range []string{"", "hello world", "text:only text", "sub:001 dlvrd:001"} {
		if err := pdu.ParseReceipt([]byte(s), &r); !errors.Is(err, pdu.ErrNotReceipt) {
			t.Errorf("%q: got %v", s, err)
		}
	}
}

func TestParseReceiptLocation(t *testing.T) {
	loc := time.FixedZone("UTC+3", 3*3600)
	var r pdu.Receipt
	err := pdu.ReceiptOptions{Location: loc}.Parse([]byte("id:1 submit date:2501011200 stat:DELIVRD"), &r)
	if err != nil {
		t.Fatal(err)
	}
	if !r.SubmitDate.Equal(date(2025, 1, 1, 9, 0, 0)) {
		t.Fatalf("got %v", r.SubmitDate)
	}
}

func TestAppendReceipt(t *testing.T) {
	r := pdu.Receipt{ID: "5f3a9c01", State: pdu.StateDelivered, SubmitDate: date(2025, 1, 1, 12, 0, 30), DoneDate: date(2025, 1, 1, 12, 1, 0),
		Text: "Hello world, this is longer than twenty"}
	got := string(pdu.AppendReceipt(nil, &r))
	want := "id:5f3a9c01 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello world, this is"
	if got != want {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
	got = string(pdu.ReceiptOptions{Seconds: true}.Append(nil, &pdu.Receipt{ID: "1", State: pdu.StateUndeliverable, Err: "021",
		SubmitDate: date(2025, 1, 1, 12, 0, 30), Text: "ünïcödé ëvërÿwhërë ök"}))
	want = "id:1 sub:001 dlvrd:000 submit date:250101120030 done date: stat:UNDELIV err:021 text:ünïcödé ëvërÿwhërë ö"
	if got != want {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
}

func TestReceiptRoundTrip(t *testing.T) {
	for _, in := range []string{
		"id:5f3a9c01 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello world",
		"id:12 sub:002 dlvrd:001 submit date:2412312359 done date:2501010000 stat:UNDELIV err:21b text:a: b: c",
		"id:abc sub:001 dlvrd:000 submit date: done date: stat:ENROUTE err:000 text:",
	} {
		var r pdu.Receipt
		must(t, pdu.ParseReceipt([]byte(in), &r))
		if out := string(pdu.AppendReceipt(nil, &r)); out != in {
			t.Errorf("\n got %q\nwant %q", out, in)
		}
	}
}

func TestReceiptClone(t *testing.T) {
	buf := []byte("id:5f3a9c01 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello")
	var r pdu.Receipt
	must(t, pdu.ParseReceipt(buf, &r))
	c := r.Clone()
	for i := range buf {
		buf[i] = 'X'
	}
	if c.ID != "5f3a9c01" || c.Text != "Hello" || c.Stat != "DELIVRD" || c.SubmitDateRaw != "2501011200" || c.Err != "000" {
		t.Fatalf("clone aliases input: %+v", c)
	}
}

func TestReceiptFromDeliverSM(t *testing.T) {
	text := "id:1514078209 sub:001 dlvrd:000 submit date:2501011200 done date:2501011201 stat:UNDELIV err:000 text:"
	m := pdu.DeliverSM{ESMClass: 0x04, ShortMessage: []byte(text)}
	m.TLVs.SetReceiptedMessageID("5A3F0001")
	m.TLVs.SetMessageState(uint8(pdu.StateExpired))
	m.TLVs.SetNetworkErrorCode(tlv.NetworkError{Type: 3, Code: 27})
	var r pdu.Receipt
	must(t, pdu.ReceiptFromDeliverSM(&m, &r))
	if r.ID != "5A3F0001" || r.TextID != "1514078209" || !pdu.MessageIDEqual(r.ID, r.TextID) {
		t.Errorf("ids %q %q", r.ID, r.TextID)
	}
	if r.State != pdu.StateExpired || !r.Fields.Has(pdu.ReceiptStateTLV|pdu.ReceiptState|pdu.ReceiptIDTLV|pdu.ReceiptNetworkError) {
		t.Errorf("state %v fields %b", r.State, r.Fields)
	}
	if c, ok := r.ErrCode(); !ok || c != 27 {
		t.Errorf("err code %d %v", c, ok)
	}

	// Text in message_payload, no receipt TLVs.
	m2 := pdu.DeliverSM{ESMClass: 0x04}
	m2.TLVs.SetMessagePayload([]byte("id:99 stat:DELIVRD err:005"))
	must(t, pdu.ReceiptFromDeliverSM(&m2, &r))
	if r.ID != "99" || r.State != pdu.StateDelivered || r.Fields.Has(pdu.ReceiptIDTLV) {
		t.Errorf("payload receipt %+v", r)
	}
	if c, ok := r.ErrCode(); !ok || c != 5 {
		t.Errorf("err code %d %v", c, ok)
	}

	// TLVs only, no text.
	m3 := pdu.DeliverSM{ESMClass: 0x04}
	m3.TLVs.SetReceiptedMessageID("abc")
	m3.TLVs.SetMessageState(uint8(pdu.StateDelivered))
	must(t, pdu.ReceiptFromDeliverSM(&m3, &r))
	if r.ID != "abc" || !r.Delivered() {
		t.Errorf("tlv-only receipt %+v", r)
	}

	// Neither.
	if err := pdu.ReceiptFromDeliverSM(&pdu.DeliverSM{ShortMessage: []byte("hello")}, &r); !errors.Is(err, pdu.ErrNotReceipt) {
		t.Errorf("MO message: %v", err)
	}

	// data_sm.
	d := pdu.DataSM{ESMClass: 0x04}
	d.TLVs.SetMessagePayload([]byte("id:5 stat:DELIVRD"))
	must(t, pdu.ReceiptFromDataSM(&d, &r))
	if r.ID != "5" || !r.Delivered() {
		t.Errorf("data_sm receipt %+v", r)
	}
}

func TestMessageIDEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"abc", "abc", true},
		{"5A3F0001", "5a3f0001", true},
		{"5A3F0001", "1514078209", true},
		{"1514078209", "5a3f0001", true},
		{"0221067780", "221067780", true},
		{"000ABC", "abc", true},
		{"74E02EE1-4E2F", "74e02ee1-4e2f", true},
		{"12345678", "305419896", true}, // hex without letters vs decimal
		{"1", "2", false},
		{"", "0", false},
		{"", "", true},
		{"abc", "abd", false},
		{"ffffffffffffffffff", "1", false}, // beyond 64 bits
		{"5A3F0001", "1514078210", false},
		{"uuid-1", "uuid-2", false},
	} {
		if got := pdu.MessageIDEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("MessageIDEqual(%q, %q) = %v", tc.a, tc.b, got)
		}
		if got := pdu.MessageIDEqual(tc.b, tc.a); got != tc.want {
			t.Errorf("MessageIDEqual(%q, %q) = %v (reversed)", tc.b, tc.a, got)
		}
	}
}

func TestNormalizeMessageID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"5A3F0001", "5a3f0001"},
		{"5a3f0001", "5a3f0001"},
		{"05A3F0001", "5a3f0001"},
		{" 5a3f0001\r\n", "5a3f0001"},
		{"5a3f0001\x00", "5a3f0001"},
		{"1514078209", "1514078209"}, // the same number in decimal: another id
		{"0221067780", "221067780"},
		{"000", "0"},
		{"0", "0"},
		{"", ""},
		{" \t", ""},
		{"a", "a"},
		{"10", "10"}, // hex a is 10: still two ids
		{"74E02EE1-4E2F-4B8A", "74e02ee1-4e2f-4b8a"},
		{"0123456789ABCDEF0123456789ABCDEF", "123456789abcdef0123456789abcdef"},
		{"99999999999999999999999", "99999999999999999999999"},
		{"a b", "a b"}, // inner white space is part of the id
	} {
		if got := pdu.NormalizeMessageID(tc.in); got != tc.want {
			t.Errorf("NormalizeMessageID(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := string(pdu.AppendNormalizedMessageID([]byte("x"), tc.in)); got != "x"+tc.want {
			t.Errorf("AppendNormalizedMessageID(%q) = %q, want %q", tc.in, got, "x"+tc.want)
		}
	}
	m := map[string]int{pdu.NormalizeMessageID("5A3F0001"): 1}
	var buf [64]byte
	key := pdu.AppendNormalizedMessageID(buf[:0], "005a3f0001")
	if allocs := testing.AllocsPerRun(100, func() {
		key = pdu.AppendNormalizedMessageID(buf[:0], "005a3f0001")
		if m[string(key)] != 1 {
			t.Fatal("lookup")
		}
	}); allocs != 0 {
		t.Fatalf("normalized lookup allocates %v", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() {
		if pdu.NormalizeMessageID("5a3f0001") != "5a3f0001" {
			t.Fatal("key")
		}
	}); allocs != 0 {
		t.Fatalf("NormalizeMessageID of a key allocates %v", allocs)
	}
}
