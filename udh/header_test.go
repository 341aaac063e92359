package udh

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/encoding"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name    string
		hex     string
		concat  Concat
		hasC    bool
		ports   Ports
		hasP    bool
		single  encoding.Language
		locking encoding.Language
		payload string
	}{
		{name: "concat 8", hex: "05 00 03 2A 02 01 48 69", concat: Concat{Ref: 0x2A, Total: 2, Seq: 1}, hasC: true, payload: "4869"},
		{name: "concat 16", hex: "06 08 04 12 34 03 02", concat: Concat{Ref: 0x1234, Total: 3, Seq: 2, Ref16: true}, hasC: true},
		{name: "WAP push ports", hex: "06 05 04 0B 84 23 F0 AA", ports: Ports{Dst: 2948, Src: 9200, Wide: true}, hasP: true, payload: "AA"},
		{name: "ports + concat", hex: "0B 05 04 0B 84 23 F0 00 03 2A 02 01", ports: Ports{Dst: 2948, Src: 9200, Wide: true}, hasP: true,
			concat: Concat{Ref: 0x2A, Total: 2, Seq: 1}, hasC: true},
		{name: "8-bit ports", hex: "04 04 02 F5 F6", ports: Ports{Dst: 0xF5, Src: 0xF6}, hasP: true},
		{name: "Turkish single", hex: "03 24 01 01", single: encoding.Turkish},
		{name: "Turkish locking + single", hex: "06 25 01 01 24 01 01", single: encoding.Turkish, locking: encoding.Turkish},
		{name: "concat total 0 ignored", hex: "05 00 03 2A 00 01"},
		{name: "concat seq 0 ignored", hex: "05 00 03 2A 02 00"},
		{name: "concat seq > total ignored", hex: "05 00 03 2A 02 03"},
		{name: "unknown IE kept", hex: "05 70 03 01 02 03 FF", payload: "FF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := unhex(t, tt.hex)
			h, rest, err := Parse(nil, b)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(rest); !strings.EqualFold(got, tt.payload) {
				t.Fatalf("payload %s, want %s", got, tt.payload)
			}
			c, ok := h.Concat()
			if ok != tt.hasC || (ok && c != tt.concat) {
				t.Fatalf("Concat = %+v %v", c, ok)
			}
			p, ok := h.Ports()
			if ok != tt.hasP || (ok && p != tt.ports) {
				t.Fatalf("Ports = %+v %v", p, ok)
			}
			if tb := h.Tables(); tb.Single != tt.single || tb.Locking != tt.locking {
				t.Fatalf("Tables = %+v", tb)
			}
			// Rebuild: byte for byte the same header.
			out, err := h.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := b[:len(b)-len(rest)]; !bytes.Equal(out, want) || h.Len() != len(want) {
				t.Fatalf("rebuilt % X, want % X", out, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		err  error
	}{
		{"empty", "", ErrMalformed},
		{"UDHL 0", "00 41", ErrMalformed},
		{"UDHL past data", "05 00 03 2A", ErrMalformed},
		{"IE past header", "03 00 03 2A 02 01", ErrMalformed},
		{"IE header truncated", "01 00", ErrMalformed},
		{"concat wrong length", "04 00 02 2A 02 41", ErrIELength},
		{"shift wrong length", "04 24 02 01 01", ErrIELength},
	}
	for _, tt := range tests {
		_, rest, err := Parse(nil, unhex(t, tt.hex))
		var he *HeaderError
		if !errors.Is(err, tt.err) || !errors.As(err, &he) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
			continue
		}
		if he.Error() == "" {
			t.Errorf("%s: empty message", tt.name)
		}
		if errors.Is(tt.err, ErrIELength) && rest == nil {
			t.Errorf("%s: payload not returned with a length error", tt.name)
		}
	}
	// A wrong-length concat IE is not used for concatenation.
	h, _, _ := Parse(nil, unhex(t, "04 00 02 2A 02"))
	if _, ok := h.Concat(); ok {
		t.Error("short concat IE used")
	}
}

func TestIEBuilders(t *testing.T) {
	h := Header{
		ConcatIE(Concat{Ref: 0x1234, Total: 3, Seq: 2, Ref16: true}),
		PortsIE(Ports{Dst: 2948, Src: 9200, Wide: true}),
		LockingShiftIE(encoding.Turkish),
		SingleShiftIE(encoding.Turkish),
	}
	b, err := h.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "12 08 04 12 34 03 02 05 04 0B 84 23 F0 25 01 01 24 01 01"); !bytes.Equal(b, want) {
		t.Fatalf("% X", b)
	}
	if IEIConcat8.String() != "concat-8" || IEI(0x70).String() != "IEI(0x70)" {
		t.Fatal("IEI.String")
	}
	big := Header{{ID: 0x70, Data: make([]byte, 254)}}
	if _, err := big.AppendBinary(nil); !errors.Is(err, ErrTooLong) {
		t.Fatalf("255+ octet header: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte{0x05, 0x00, 0x03, 0x2A, 0x02, 0x01, 0x48})
	f.Add([]byte{0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x02})
	f.Add([]byte{0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x2A, 0x02, 0x01})
	f.Add([]byte{0x03, 0x24, 0x01, 0x01})
	f.Add([]byte{0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, rest, err := Parse(nil, b)
		if rest == nil {
			if err == nil && len(b) > 0 {
				t.Fatal("no payload and no error")
			}
			return
		}
		h.Concat()
		h.Ports()
		h.Tables()
		out, err2 := h.AppendBinary(nil)
		if err2 != nil {
			t.Fatal(err2)
		}
		if !bytes.Equal(out, b[:len(b)-len(rest)]) {
			t.Fatalf("rebuilt % X from % X (err %v)", out, b, err)
		}
	})
}
