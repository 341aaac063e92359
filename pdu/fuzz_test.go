package pdu_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// vectorFrames returns every PDU of testdata/vectors, as both encoders wrote it.
func vectorFrames(f *testing.F) [][]byte {
	files, _ := filepath.Glob("../testdata/vectors/*.json")
	var out [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var v struct {
			Node struct{ Hex string } `json:"node_smpp"`
			Perl struct{ Hex string } `json:"perl_net_smpp"`
		}
		if json.Unmarshal(b, &v) != nil {
			continue
		}
		for _, h := range []string{v.Node.Hex, v.Perl.Hex} {
			if fr, err := hex.DecodeString(h); err == nil && len(fr) >= pdu.HeaderLen {
				out = append(out, fr)
			}
		}
	}
	return out
}

// FuzzDecode decodes arbitrary frames (command_length fixed up to match) in
// strict and lenient mode: no panic, and whatever decodes and encodes again
// decodes to the same body and the same bytes.
func FuzzDecode(f *testing.F) {
	for _, fr := range vectorFrames(f) {
		f.Add(fr)
	}
	for _, tc := range pduCases(f) {
		b, err := pdu.AppendPDU(nil, 1, 0, tc.pdu)
		if err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		if len(frame) >= 4 {
			binary.BigEndian.PutUint32(frame, uint32(len(frame)))
		}
		for _, opts := range []pdu.DecodeOptions{{}, {Lenient: true}} {
			h, p, err := pdu.Decode(frame, opts)
			if err != nil {
				var fe *pdu.FieldError
				if !errors.As(err, &fe) && !errors.Is(err, pdu.ErrShortHeader) {
					t.Fatalf("untyped error %v", err)
				}
				if pdu.StatusOf(err) == pdu.ESME_ROK {
					t.Fatalf("error %v maps to ESME_ROK", err)
				}
				continue
			}
			out, err := pdu.AppendPDU(nil, h.Sequence, h.Status, p)
			if _, aerr := p.AppendBinary(nil); !reflect.DeepEqual(p.(validator).Validate(), aerr) {
				t.Fatalf("Validate %v, AppendBinary %v", p.(validator).Validate(), aerr)
			}
			if err != nil {
				// Decoders accept more than encoders write (lenient lengths,
				// 64-character cancel_sm destinations); that must be typed.
				var fe *pdu.FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("untyped encode error %v", err)
				}
				continue
			}
			h2, p2, err := pdu.Decode(out, opts)
			if err != nil {
				t.Fatalf("re-decode (%+v) of %x: %v\nfrom %x", opts, out, err, frame)
			}
			if h2.ID != h.ID || h2.Status != h.Status || h2.Sequence != h.Sequence {
				t.Fatalf("header changed %+v -> %+v", h, h2)
			}
			if !(h.ID.IsResponse() && h.Status != pdu.ESME_ROK) && !reflect.DeepEqual(norm(p), norm(p2)) {
				t.Fatalf("body changed:\n%#v\n%#v", p, p2)
			}
			out2, err := pdu.AppendPDU(nil, h2.Sequence, h2.Status, p2)
			if err != nil || !bytes.Equal(out, out2) {
				t.Fatalf("unstable encoding %x vs %x (%v)", out, out2, err)
			}
		}
	})
}

// FuzzTLVScan scans arbitrary TLV areas: no panic; a complete scan re-encodes
// byte for byte and rescans to the same list.
func FuzzTLVScan(f *testing.F) {
	for _, fr := range vectorFrames(f) {
		// The tail of each frame is a plausible TLV area.
		for _, n := range []int{0, 5, 9, 12} {
			if len(fr) > n {
				f.Add(fr[len(fr)-n:])
			}
		}
	}
	f.Add(hx(f, "0424000361626304270001020204"))
	f.Fuzz(func(t *testing.T, src []byte) {
		l, err := tlv.Scan(nil, src)
		if errors.Is(err, tlv.ErrStream) {
			return
		}
		if err != nil && !errors.Is(err, tlv.ErrLength) {
			t.Fatalf("untyped error %v", err)
		}
		out, err2 := l.AppendBinary(nil)
		if err2 != nil || !bytes.Equal(out, src) {
			t.Fatalf("round trip %x -> %x (%v)", src, out, err2)
		}
		l2, err3 := tlv.Scan(nil, out)
		if (err == nil) != (err3 == nil) || !reflect.DeepEqual(l, l2) {
			t.Fatalf("unstable rescan: %v %v", err, err3)
		}
		if c := l.Clone(); len(l) > 0 && !reflect.DeepEqual(c, l) {
			t.Fatal("clone differs")
		}
	})
}

// FuzzParseReceipt parses arbitrary text: no panic; a parsed receipt formats
// and parses back to the values formatted.
func FuzzParseReceipt(f *testing.F) {
	for _, s := range []string{
		receiptText,
		"id:1514078209 sub:001 dlvrd:000 submit date:2403151430 done date:2403151431 stat:UNDELIV err:001 Text:Hi",
		"id:74e02ee1-4e2f sub:001 dlvrd:001 submit date:20240315143059 done date:20240315143101 stat:DELIVRD err:21b text:a: b",
		"stat:EXPIRED err:000 id:42 done date:240315143101 submit_date:2501011200 text:late",
		"text:hello there id:3 stat:DELIVRD",
		"ID:ab SUB:1 DLVRD:0 STAT:vendor words err:X TEXT:",
		"id:x stat:",
	} {
		f.Add([]byte(s))
	}
	trim := func(s string) string { return strings.Trim(s, " \t\r\n\x00") }
	first20 := func(s string) string {
		n, i := 0, 0
		for i < len(s) && n < 20 {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			n++
		}
		return s[:i]
	}
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		var r1, r2 pdu.Receipt
		if err := pdu.ParseReceipt(text, &r1); err != nil {
			if !errors.Is(err, pdu.ErrNotReceipt) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		c := r1.Clone()
		if *c != r1 {
			t.Fatal("clone differs")
		}
		out := pdu.AppendReceipt(nil, &r1)
		if err := pdu.ParseReceipt(out, &r2); err != nil {
			t.Fatalf("formatted receipt %q does not parse: %v", out, err)
		}
		dlvrd := "000"
		if r1.State == pdu.StateDelivered {
			dlvrd = "001"
		}
		for _, x := range []struct{ name, got, want string }{
			{"id", r2.ID, r1.ID},
			{"sub", r2.Sub, or(r1.Sub, "001")},
			{"dlvrd", r2.Dlvrd, or(r1.Dlvrd, dlvrd)},
			{"stat", r2.Stat, or(r1.Stat, r1.State.Stat())},
			{"err", r2.Err, or(r1.Err, "000")},
			{"text", r2.Text, trim(first20(r1.Text))},
		} {
			if x.got != x.want {
				t.Fatalf("%s: got %q, want %q\n in  %q\n out %q", x.name, x.got, x.want, text, out)
			}
		}
		if r2.State != r1.State && r1.Stat != "" {
			t.Fatalf("state %v -> %v", r1.State, r2.State)
		}
		for _, d := range []struct {
			name       string
			t1, t2     time.Time
			raw1, raw2 string
		}{{"submit", r1.SubmitDate, r2.SubmitDate, r1.SubmitDateRaw, r2.SubmitDateRaw}, {"done", r1.DoneDate, r2.DoneDate, r1.DoneDateRaw, r2.DoneDateRaw}} {
			switch {
			case d.t1.IsZero():
				if d.raw2 != d.raw1 {
					t.Fatalf("%s raw %q -> %q", d.name, d.raw1, d.raw2)
				}
			case d.t1.Year() >= 2000 && d.t1.Year() <= 2099:
				if !d.t2.Equal(d.t1.Truncate(time.Minute)) {
					t.Fatalf("%s date %v -> %v", d.name, d.t1, d.t2)
				}
			}
		}
	})
}

// FuzzParseTime parses arbitrary SMPP time strings: no panic; what parses
// formats back to a string that parses to the same value.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"", "240315143000004+", "240315143000948-", "000001060000000R", "000001060000000r",
		"991231235959900+", "240229000000000+", "240230000000000+", "2403151430", "24031514300000x+"} {
		f.Add(s)
	}
	now := time.Date(2024, 3, 15, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		st, err := pdu.ParseSMPPTime(s)
		if _, err2 := pdu.ParseTime(s, now); (err == nil) != (err2 == nil) {
			t.Fatalf("ParseTime and ParseSMPPTime disagree: %v %v", err, err2)
		}
		if err != nil {
			if !errors.Is(err, pdu.ErrBadTime) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out := st.String()
		if len(out) != 0 && len(out) != 16 {
			t.Fatalf("formatted %q", out)
		}
		st2, err := pdu.ParseSMPPTime(out)
		if err != nil || !st2.Absolute.Equal(st.Absolute) || st2.Quarters != st.Quarters || st2.Relative != st.Relative || st2.IsRelative != st.IsRelative {
			t.Fatalf("%q -> %q -> %+v (%v), want %+v", s, out, st2, err, st)
		}
		if !st.IsRelative && !st.Absolute.IsZero() {
			if abs := pdu.FormatAbsolute(st.Absolute); len(abs) != 16 {
				t.Fatalf("FormatAbsolute %q", abs)
			}
		}
	})
}
