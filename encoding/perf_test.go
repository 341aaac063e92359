package encoding

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

var (
	text160 = strings.Repeat("Hello, World! 0123456789 abcdefghij ", 5)[:160]
	text70  = strings.Repeat("Привет мир! ", 6)[:0] + strings.Repeat("Привет мир ", 7)[:0] + ucs70()
)

func ucs70() string {
	s := strings.Repeat("Привет, мир! ", 6)
	r := []rune(s)
	return string(r[:70])
}

func TestAllocs(t *testing.T) {
	if utf8.RuneCountInString(text160) != 160 || utf8.RuneCountInString(text70) != 70 {
		t.Fatal("fixture lengths")
	}
	buf := make([]byte, 0, 1024)
	septets, _ := AppendGSM7(nil, text160, GSM7Options{})
	ucs, _ := AppendUCS2(nil, text70)
	packed := PackSeptets(nil, septets, 0)
	tests := []struct {
		name string
		f    func()
	}{
		{"AppendGSM7 160", func() { buf, _ = AppendGSM7(buf[:0], text160, GSM7Options{}) }},
		{"AppendGSM7 Turkish", func() { buf, _ = AppendGSM7(buf[:0], "ışık şğ", GSM7Options{Locking: Turkish, Single: Turkish}) }},
		{"AppendGSM7Packed 160", func() { buf, _ = AppendGSM7Packed(buf[:0], text160, 1, GSM7Options{}) }},
		{"DecodeGSM7 160", func() { buf = DecodeGSM7(buf[:0], septets, GSM7Options{}) }},
		{"DecodeGSM7Packed 160", func() { buf = DecodeGSM7Packed(buf[:0], packed, 0, GSM7Options{}) }},
		{"AppendUCS2 70", func() { buf, _ = AppendUCS2(buf[:0], text70) }},
		{"DecodeUCS2 70", func() { buf = DecodeUCS2(buf[:0], ucs) }},
		{"AppendLatin1", func() { buf, _ = AppendLatin1(buf[:0], "ça va très bien") }},
		{"PackSeptets", func() { buf = PackSeptets(buf[:0], septets, 0) }},
		{"UnpackSeptets", func() { buf = UnpackSeptets(buf[:0], packed, 0) }},
		{"Choose", func() { _, _ = Choose(text70, Options{Languages: []Language{Turkish, Hindi}}) }},
		{"Encode", func() { _, buf, _ = Encode(buf[:0], text160, Options{}) }},
		{"Cut", func() { _, _ = (Choice{Alphabet: UCS2}).Cut(text70, 67) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.f); n != 0 {
			t.Errorf("%s: %v allocs/op, want 0", tt.name, n)
		}
	}
}

func BenchmarkGSM7Encode160(b *testing.B) {
	buf := make([]byte, 0, 320)
	b.ReportAllocs()
	b.SetBytes(160)
	for b.Loop() {
		buf, _ = AppendGSM7(buf[:0], text160, GSM7Options{})
	}
}

func BenchmarkGSM7Decode160(b *testing.B) {
	septets, _ := AppendGSM7(nil, text160, GSM7Options{})
	buf := make([]byte, 0, 480)
	b.ReportAllocs()
	b.SetBytes(160)
	for b.Loop() {
		buf = DecodeGSM7(buf[:0], septets, GSM7Options{})
	}
}

func BenchmarkGSM7EncodePacked160(b *testing.B) {
	buf := make([]byte, 0, 320)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendGSM7Packed(buf[:0], text160, 0, GSM7Options{})
	}
}

func BenchmarkUCS2Encode70(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendUCS2(buf[:0], text70)
	}
}

func BenchmarkUCS2Decode70(b *testing.B) {
	ucs, _ := AppendUCS2(nil, text70)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = DecodeUCS2(buf[:0], ucs)
	}
}

func BenchmarkChoose(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Choose(text160, Options{})
	}
}

func FuzzDecodeGSM7(f *testing.F) {
	f.Add([]byte("hello"), uint8(0), uint8(0))
	f.Add([]byte{esc, 0x65, esc}, uint8(1), uint8(1))
	f.Add([]byte{0x00, 0x7F, esc, esc, 0x24}, uint8(7), uint8(7))
	f.Add([]byte{0x1B, 0x73, 0x07}, uint8(1), uint8(13))
	f.Fuzz(func(t *testing.T, septets []byte, lock, single uint8) {
		opts := GSM7Options{Locking: Language(lock % 15), Single: Language(single % 15)}
		s := DecodeGSM7(nil, septets, opts)
		if !utf8.Valid(s) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
		// encode∘decode is stable: whatever encodes decodes back to itself.
		enc, err := AppendGSM7(nil, string(s), opts)
		if err != nil {
			return // U+FFFD from an unassigned code, or an unknown language
		}
		if back := DecodeGSM7(nil, enc, opts); !bytes.Equal(back, s) {
			t.Fatalf("% X -> %q -> % X -> %q", septets, s, enc, back)
		}
		// Packing and unpacking keeps the septets (plus the CR rule's CR).
		for fill := range 7 {
			p := PackSeptets(nil, enc, fill)
			u := UnpackSeptets(nil, p, fill)
			if !bytes.Equal(u, enc) && !(len(u) == len(enc)+1 && bytes.Equal(u[:len(enc)], enc) && u[len(enc)] == '\r') {
				t.Fatalf("fill %d: % X -> % X -> % X", fill, enc, p, u)
			}
			if d := DecodeGSM7Packed(nil, p, fill, opts); !bytes.Equal(d, DecodeGSM7(nil, u, opts)) {
				t.Fatalf("DecodeGSM7Packed differs from UnpackSeptets+DecodeGSM7")
			}
		}
	})
}

func FuzzDecodeGSM7Packed(f *testing.F) {
	f.Add([]byte{0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37}, uint8(0))
	f.Add([]byte{0x90, 0x69}, uint8(1))
	f.Add([]byte{0x41, 0xE1, 0x90, 0x58, 0x34, 0x1E, 0x1B}, uint8(0))
	f.Fuzz(func(t *testing.T, packed []byte, fill uint8) {
		fb := int(fill % 7)
		s := DecodeGSM7Packed(nil, packed, fb, GSM7Options{})
		if !utf8.Valid(s) {
			t.Fatal("invalid UTF-8")
		}
		u := UnpackSeptets(nil, packed, fb)
		if len(u) > (8*len(packed))/7 {
			t.Fatalf("%d septets from %d octets", len(u), len(packed))
		}
		if !bytes.Equal(s, DecodeGSM7(nil, u, GSM7Options{})) {
			t.Fatal("packed and unpacked decoders differ")
		}
		enc, err := AppendGSM7Packed(nil, string(s), fb, GSM7Options{})
		if err != nil {
			t.Fatalf("decoded default-table text does not encode: %v", err)
		}
		back := DecodeGSM7Packed(nil, enc, fb, GSM7Options{})
		if !bytes.Equal(back, s) && !bytes.Equal(back, append(append([]byte(nil), s...), '\r')) {
			t.Fatalf("%q -> % X -> %q", s, enc, back)
		}
	})
}

func FuzzDecodeUCS2(f *testing.F) {
	f.Add([]byte{0x00, 0x41, 0xD8, 0x3D, 0xDE, 0x00})
	f.Add([]byte{0xD8, 0x00})
	f.Add([]byte{0xDC, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, src []byte) {
		s := DecodeUCS2(nil, src)
		if !utf8.Valid(s) {
			t.Fatal("invalid UTF-8")
		}
		enc, err := AppendUCS2(nil, string(s))
		if err != nil {
			t.Fatalf("decoded text does not encode: %v", err)
		}
		if back := DecodeUCS2(nil, enc); !bytes.Equal(back, s) {
			t.Fatalf("% X -> %q -> % X -> %q", src, s, enc, back)
		}
		if CountUTF16(string(s)) != len(enc)/2 {
			t.Fatal("CountUTF16 disagrees with AppendUCS2")
		}
	})
}

func FuzzChooseEncode(f *testing.F) {
	f.Add("hello", uint8(0))
	f.Add("ışık şğ €", uint8(1))
	f.Add("नमस्ते 😀", uint8(6))
	f.Add("ab\xffc", uint8(3))
	f.Fuzz(func(t *testing.T, s string, lang uint8) {
		opts := Options{AllowLatin1: lang&0x80 != 0}
		if l := Language(lang % 14); l != NoShift {
			opts.Languages = []Language{l}
		}
		c, enc, err := Encode(nil, s, opts)
		if err != nil {
			if utf8.ValidString(s) {
				t.Fatalf("valid text %q failed: %v", s, err)
			}
			return
		}
		if c.Octets(false) != len(enc) {
			t.Fatalf("Octets %d, len %d", c.Octets(false), len(enc))
		}
		back, err := Decode(nil, enc, ParseDataCoding(c.DataCoding()), c.GSM7Options(), 0)
		if err != nil || string(back) != s {
			t.Fatalf("%q -> %+v -> %q (%v)", s, c, back, err)
		}
	})
}
