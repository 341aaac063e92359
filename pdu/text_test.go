package pdu_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

func gsm7(t *testing.T, s string, opts encoding.GSM7Options) []byte {
	t.Helper()
	b, err := encoding.AppendGSM7(nil, s, opts)
	must(t, err)
	return b
}

func TestText(t *testing.T) {
	concat := []byte{0x05, 0x00, 0x03, 0x2A, 0x02, 0x01} // 6 octets: 1 fill bit when packed
	turkish := encoding.GSM7Options{Locking: encoding.Turkish, Single: encoding.Turkish}
	turkishUDH := []byte{0x06, 0x24, 0x01, 0x01, 0x25, 0x01, 0x01} // single and locking shift: Turkish
	ucs2, err := encoding.AppendUCS2(nil, "Habari 👋")
	must(t, err)
	packed, err := encoding.AppendGSM7Packed(nil, "packed text", 0, encoding.GSM7Options{})
	must(t, err)
	packedAfterUDH, err := encoding.AppendGSM7Packed(append([]byte(nil), concat...), "after a header", encoding.FillBits(len(concat)), encoding.GSM7Options{})
	must(t, err)
	withPayload := func(p []byte) tlv.List { var l tlv.List; l.SetMessagePayload(p); return l }

	for _, tc := range []struct {
		name string
		sm   pdu.SubmitSM
		def  encoding.Default
		want string
		err  error
	}{
		{"GSM 7-bit, data_coding 0", pdu.SubmitSM{ShortMessage: gsm7(t, "Hello @£$ {€}", encoding.GSM7Options{})}, encoding.DefaultGSM7, "Hello @£$ {€}", nil},
		{"UCS-2 with a surrogate pair", pdu.SubmitSM{DataCoding: 0x08, ShortMessage: ucs2}, encoding.DefaultGSM7, "Habari 👋", nil},
		{"Latin-1", pdu.SubmitSM{DataCoding: 0x03, ShortMessage: []byte("caf\xe9")}, encoding.DefaultGSM7, "café", nil},
		{"IA5", pdu.SubmitSM{DataCoding: 0x01, ShortMessage: []byte("plain")}, encoding.DefaultGSM7, "plain", nil},
		{"data_coding 0 as Latin-1 on this connection", pdu.SubmitSM{ShortMessage: []byte("caf\xe9")}, encoding.DefaultLatin1, "café", nil},
		{"UDH stripped", pdu.SubmitSM{ESMClass: 0x40, ShortMessage: append(append([]byte(nil), concat...), gsm7(t, "part one", encoding.GSM7Options{})...)},
			encoding.DefaultGSM7, "part one", nil},
		{"UDHI with other esm_class bits", pdu.SubmitSM{ESMClass: 0x43, ShortMessage: append(append([]byte(nil), concat...), 'h'-'a'+0x61)}, encoding.DefaultGSM7, "h", nil},
		{"national tables from the UDH", pdu.SubmitSM{ESMClass: 0x40, ShortMessage: append(append([]byte(nil), turkishUDH...), gsm7(t, "Ğış ğüzel", turkish)...)},
			encoding.DefaultGSM7, "Ğış ğüzel", nil},
		{"a UDH bit not set: the octets are text", pdu.SubmitSM{ShortMessage: gsm7(t, "@@", encoding.GSM7Options{})}, encoding.DefaultGSM7, "@@", nil},
		{"packed GSM 7-bit", pdu.SubmitSM{ShortMessage: packed}, encoding.DefaultGSM7Packed, "packed text", nil},
		{"packed GSM 7-bit after a UDH, with fill bits", pdu.SubmitSM{ESMClass: 0x40, ShortMessage: packedAfterUDH}, encoding.DefaultGSM7Packed, "after a header", nil},
		{"message_payload first", pdu.SubmitSM{DataCoding: 0x08, TLVs: withPayload(ucs2)}, encoding.DefaultGSM7, "Habari 👋", nil},
		{"empty", pdu.SubmitSM{}, encoding.DefaultGSM7, "", nil},
		{"binary 0x04", pdu.SubmitSM{DataCoding: 0x04, ShortMessage: []byte{1, 2}}, encoding.DefaultGSM7, "", encoding.ErrAlphabet},
		{"binary 0x02", pdu.SubmitSM{DataCoding: 0x02, ShortMessage: []byte{1, 2}}, encoding.DefaultGSM7, "", encoding.ErrAlphabet},
		{"8-bit data, class 2 (0xF6)", pdu.SubmitSM{DataCoding: 0xF6, ShortMessage: []byte{1, 2}}, encoding.DefaultGSM7, "", encoding.ErrAlphabet},
		{"UDH longer than the data", pdu.SubmitSM{ESMClass: 0x40, ShortMessage: []byte{0x05, 0x00, 0x03, 0x01}}, encoding.DefaultGSM7, "", pdu.ErrBadUDH},
		{"UDHI with no data", pdu.SubmitSM{ESMClass: 0x40}, encoding.DefaultGSM7, "", pdu.ErrBadUDH},
		{"information element past the header", pdu.SubmitSM{ESMClass: 0x40, ShortMessage: []byte{0x03, 0x00, 0x03, 0x01, 'x'}}, encoding.DefaultGSM7, "", pdu.ErrBadUDH},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.sm.AppendText([]byte("keep:"), tc.def)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || string(got) != "keep:" {
					t.Fatalf("got %q, %v; want %v and dst as it was", got, err, tc.err)
				}
				return
			}
			must(t, err)
			if string(got) != "keep:"+tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if tc.def == encoding.DefaultGSM7 {
				s, err := tc.sm.Text()
				if err != nil || s != tc.want {
					t.Fatalf("Text: %q %v", s, err)
				}
				d := pdu.DeliverSM(tc.sm)
				if s, err := d.Text(); err != nil || s != tc.want {
					t.Fatalf("DeliverSM.Text: %q %v", s, err)
				}
			}
		})
	}
}

func TestTextErrorNamesDataCoding(t *testing.T) {
	_, err := (&pdu.SubmitSM{DataCoding: 0x04, ShortMessage: []byte{1}}).Text()
	if err == nil || !strings.HasPrefix(err.Error(), "smpp: data_coding 0x04: ") || strings.Count(err.Error(), "smpp:") != 1 {
		t.Fatalf("%v", err)
	}
}

func TestDataSMText(t *testing.T) {
	ucs2, err := encoding.AppendUCS2(nil, "Jambo")
	must(t, err)
	d := &pdu.DataSM{DataCoding: 0x08}
	if s, err := d.Text(); err != nil || s != "" {
		t.Fatalf("no payload: %q %v", s, err)
	}
	d.TLVs.SetMessagePayload(append([]byte{0x05, 0x00, 0x03, 0x01, 0x01, 0x01}, ucs2...))
	d.ESMClass = 0x40
	if s, err := d.Text(); err != nil || s != "Jambo" {
		t.Fatalf("%q %v", s, err)
	}
}

func TestAppendTextAllocs(t *testing.T) {
	sm := &pdu.SubmitSM{ESMClass: 0x40, ShortMessage: append([]byte{0x05, 0x00, 0x03, 0x2A, 0x02, 0x01}, gsm7(t, "Hello world", encoding.GSM7Options{})...)}
	buf := make([]byte, 0, 64)
	noAllocs(t, "AppendText", func() {
		var err error
		if buf, err = sm.AppendText(buf[:0], encoding.DefaultGSM7); err != nil || string(buf) != "Hello world" {
			t.Fatal(string(buf), err)
		}
	})
}
