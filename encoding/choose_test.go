package encoding

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	xenc "golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

func TestChoose(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		opts   Options
		want   Alphabet
		lock   Language
		single Language
		units  int
	}{
		{"plain", "Hello", Options{}, GSM7, 0, 0, 5},
		{"euro", "5€", Options{}, GSM7, 0, 0, 3},
		{"empty", "", Options{}, GSM7, 0, 0, 0},
		{"emoji", "hi 😀", Options{}, UCS2, 0, 0, 5},
		{"Turkish without languages", "Çok güzel: ş, ğ, ı", Options{}, UCS2, 0, 0, 18},
		{"Turkish single shift", "Merhaba dünya, bugün şöyle ğüzel bir gün ılık", Options{Languages: []Language{Turkish}},
			GSM7, NoShift, Turkish, 0},
		{"Turkish locking allowed", strings.Repeat("ışığı ", 30), Options{Languages: []Language{Turkish}},
			GSM7, Turkish, NoShift, 0},
		{"Turkish single only", strings.Repeat("ışığı ", 30), Options{Languages: []Language{Turkish}, SingleShiftOnly: true},
			GSM7, NoShift, Turkish, 0},
		{"Hindi locking", "नमस्ते दुनिया, आप कैसे हैं", Options{Languages: []Language{Hindi, Turkish}}, GSM7, Hindi, NoShift, 0},
		{"Spanish", "¿Qué tal? Está muy bien, señor.", Options{Languages: []Language{Spanish}}, GSM7, NoShift, Spanish, 0},
		{"Latin1 when allowed", "ça va? Ãõ", Options{AllowLatin1: true}, Latin1, 0, 0, 9},
		{"Latin1 not allowed", "ça va? Ãõ", Options{}, UCS2, 0, 0, 9},
		{"force UCS2", "Hello", Options{Force: UCS2}, UCS2, 0, 0, 5},
		{"force Latin1", "Hello", Options{Force: Latin1}, Latin1, 0, 0, 5},
		{"force GSM7 replacement", "Hello ş", Options{Force: GSM7, Replacement: '?'}, GSM7, 0, 0, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Choose(tt.text, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if c.Alphabet != tt.want || c.Locking != tt.lock || c.Single != tt.single {
				t.Fatalf("got %s locking %s single %s, want %s %s %s", c.Alphabet, c.Locking, c.Single, tt.want, tt.lock, tt.single)
			}
			if tt.units != 0 && c.Units != tt.units {
				t.Fatalf("units %d, want %d", c.Units, tt.units)
			}
			enc, err := c.Append(nil, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if c.Octets(false) != len(enc) {
				t.Fatalf("Octets %d, encoded %d", c.Octets(false), len(enc))
			}
			dc := ParseDataCoding(c.DataCoding())
			back, err := Decode(nil, enc, dc, c.GSM7Options(), 0)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.text
			if tt.opts.Replacement != 0 {
				want = strings.ReplaceAll(want, "ş", "?")
			}
			if string(back) != want {
				t.Fatalf("round trip %q", back)
			}
		})
	}
}

func TestChooseTurkishIsCheaper(t *testing.T) {
	text := "Günaydın! Bugün İstanbul'da hava çok güzel, şehir ışıl ışıl."
	c, err := Choose(text, Options{Languages: []Language{Turkish}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Alphabet != GSM7 || (c.Single != Turkish && c.Locking != Turkish) {
		t.Fatalf("chose %+v", c)
	}
	if c.Units > 160 {
		t.Fatalf("%d septets", c.Units)
	}
	ucs, _ := Choose(text, Options{})
	if ucs.Alphabet != UCS2 {
		t.Fatalf("without languages: %s", ucs.Alphabet)
	}
}

func TestChooseErrors(t *testing.T) {
	var ue *UnencodableError
	if _, err := Choose("x ş", Options{Force: GSM7}); !errors.As(err, &ue) || ue.Rune != 'ş' || ue.Index != 2 {
		t.Fatalf("force GSM7: %v", err)
	}
	if _, err := Choose("x ₹", Options{Force: Latin1}); !errors.As(err, &ue) || ue.Rune != '₹' {
		t.Fatalf("force Latin1: %v", err)
	}
	if _, err := Choose("ab\xffc", Options{}); !errors.As(err, &ue) || ue.Offset != 2 {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	c, err := Choose("ab\xffc", Options{Replacement: '?'})
	if err != nil || c.Alphabet != UCS2 {
		t.Fatalf("invalid UTF-8 with replacement: %+v %v", c, err)
	}
	if b, err := c.Append(nil, "ab\xffc"); err != nil || string(DecodeUCS2(nil, b)) != "ab?c" {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := Choose("x", Options{Languages: []Language{NoShift}}); !errors.Is(err, ErrLanguage) {
		t.Fatalf("language 0: %v", err)
	}
	if _, err := Choose("x", Options{Force: Binary}); !errors.Is(err, ErrAlphabet) {
		t.Fatalf("binary: %v", err)
	}
}

func TestCut(t *testing.T) {
	gsm := Choice{Alphabet: GSM7}
	s := strings.Repeat("a", 152) + "€b"
	if n, u := gsm.Cut(s, 153); n != 152 || u != 152 {
		t.Fatalf("escape pair split: n=%d u=%d", n, u)
	}
	if n, u := gsm.Cut(s, 154); n != len(s)-1 || u != 154 {
		t.Fatalf("n=%d u=%d", n, u)
	}
	ucs := Choice{Alphabet: UCS2}
	e := strings.Repeat("x", 66) + "😀y"
	if n, u := ucs.Cut(e, 67); n != 66 || u != 66 {
		t.Fatalf("surrogate pair split: n=%d u=%d", n, u)
	}
	if n, u := ucs.Cut(e, 68); n != 66+4 || u != 68 {
		t.Fatalf("n=%d u=%d", n, u)
	}
	if n, _ := gsm.Cut("abş", 10); n != 2 {
		t.Fatalf("unencodable: n=%d", n)
	}
	tr := Choice{Alphabet: GSM7, Single: Turkish}
	if n, u := tr.Cut("aşb", 2); n != 1 || u != 1 {
		t.Fatalf("Turkish: n=%d u=%d", n, u)
	}
}

func TestUCS2(t *testing.T) {
	tests := []struct{ text, hex string }{
		{"Hi", "0048 0069"},
		{"Привет", "041F 0440 0438 0432 0435 0442"},
		{"😀", "D83D DE00"},
		{"a😀€", "0061 D83D DE00 20AC"},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := AppendUCS2(nil, tt.text)
		if err != nil {
			t.Fatal(err)
		}
		if want := mustHex(t, tt.hex); !bytes.Equal(got, want) {
			t.Errorf("%q: % X, want % X", tt.text, got, want)
		}
		if back := string(DecodeUCS2(nil, got)); back != tt.text {
			t.Errorf("decode %q", back)
		}
		if n := CountUTF16(tt.text); n != len(got)/2 {
			t.Errorf("CountUTF16(%q) = %d", tt.text, n)
		}
	}
	for _, tt := range []struct {
		name string
		in   []byte
		want string
	}{
		{"lone high surrogate", []byte{0xD8, 0x3D, 0x00, 0x41}, "\uFFFDA"},
		{"lone low surrogate", []byte{0xDE, 0x00}, "\uFFFD"},
		{"odd length", []byte{0x00, 0x41, 0x42}, "A\uFFFD"},
		{"high at end", []byte{0xD8, 0x3D}, "\uFFFD"},
	} {
		if got := string(DecodeUCS2(nil, tt.in)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if _, err := AppendUCS2(nil, "a\xc3"); !errors.Is(err, ErrUnencodable) {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

func TestLatin1ASCII(t *testing.T) {
	all := make([]rune, 0, 256)
	for r := rune(0); r < 256; r++ {
		all = append(all, r)
	}
	s := string(all)
	b, err := AppendLatin1(nil, s)
	if err != nil || len(b) != 256 {
		t.Fatalf("%d %v", len(b), err)
	}
	for i, c := range b {
		if int(c) != i {
			t.Fatalf("octet %d = %d", i, c)
		}
	}
	if back := string(DecodeLatin1(nil, b)); back != s {
		t.Fatal("Latin-1 round trip")
	}
	if _, err := AppendLatin1(nil, "€"); !errors.Is(err, ErrUnencodable) {
		t.Fatal("€ in Latin-1")
	}
	a, err := AppendASCII(nil, s[:128])
	if err != nil || string(DecodeASCII(nil, a)) != s[:128] {
		t.Fatalf("ASCII round trip: %v", err)
	}
	if _, err := AppendASCII(nil, "é"); !errors.Is(err, ErrUnencodable) {
		t.Fatal("é in ASCII")
	}
	if got := string(DecodeASCII(nil, []byte{'a', 0xE9})); got != "a\uFFFD" {
		t.Fatalf("DecodeASCII high octet: %q", got)
	}
	c := Choice{Alphabet: Cyrillic}
	cb, err := c.Append(nil, "Привет")
	if err != nil || len(cb) != 6 {
		t.Fatalf("Cyrillic: % X %v", cb, err)
	}
	if back, _ := Decode(nil, cb, ParseDataCoding(0x06), GSM7Options{}, 0); string(back) != "Привет" {
		t.Fatalf("Cyrillic decode %q", back)
	}
}

func TestParseDataCoding(t *testing.T) {
	tests := []struct {
		dc   byte
		want DataCoding
	}{
		{0x00, DataCoding{Alphabet: GSM7}},
		{0x01, DataCoding{Alphabet: ASCII}},
		{0x02, DataCoding{Alphabet: Binary}},
		{0x03, DataCoding{Alphabet: Latin1}},
		{0x04, DataCoding{Alphabet: Binary}},
		{0x05, DataCoding{Alphabet: JIS}},
		{0x06, DataCoding{Alphabet: Cyrillic}},
		{0x07, DataCoding{Alphabet: Hebrew}},
		{0x08, DataCoding{Alphabet: UCS2}},
		{0x09, DataCoding{Alphabet: Pictogram}},
		{0x0A, DataCoding{Alphabet: ISO2022JP}},
		{0x0B, DataCoding{}},
		{0x0C, DataCoding{}},
		{0x0D, DataCoding{Alphabet: ExtendedKanji}},
		{0x0E, DataCoding{Alphabet: KSC5601}},
		{0x0F, DataCoding{}},
		{0x10, DataCoding{Alphabet: GSM7, HasClass: true, Class: Class0}},
		{0x11, DataCoding{Alphabet: GSM7, HasClass: true, Class: Class1}},
		{0x15, DataCoding{Alphabet: Binary, HasClass: true, Class: Class1}},
		{0x18, DataCoding{Alphabet: UCS2, HasClass: true, Class: Class0}},
		{0x1A, DataCoding{Alphabet: UCS2, HasClass: true, Class: Class2}},
		{0x1C, DataCoding{HasClass: true, Class: Class0}},
		{0x20, DataCoding{Alphabet: GSM7, Compressed: true}},
		{0x28, DataCoding{Alphabet: UCS2, Compressed: true}},
		{0x31, DataCoding{Alphabet: GSM7, Compressed: true, HasClass: true, Class: Class1}},
		{0x40, DataCoding{Alphabet: GSM7, AutoDelete: true}},
		{0x48, DataCoding{Alphabet: UCS2, AutoDelete: true}},
		{0x53, DataCoding{Alphabet: GSM7, AutoDelete: true, HasClass: true, Class: Class3}},
		{0x80, DataCoding{}},
		{0xBF, DataCoding{}},
		{0xC0, DataCoding{Alphabet: GSM7, MWI: true, MWIKind: Voicemail}},
		{0xC8, DataCoding{Alphabet: GSM7, MWI: true, MWIActive: true, MWIKind: Voicemail}},
		{0xD9, DataCoding{Alphabet: GSM7, MWI: true, MWIStore: true, MWIActive: true, MWIKind: Fax}},
		{0xD2, DataCoding{Alphabet: GSM7, MWI: true, MWIStore: true, MWIKind: Email}},
		{0xEB, DataCoding{Alphabet: UCS2, MWI: true, MWIStore: true, MWIActive: true, MWIKind: OtherMessage}},
		{0xF0, DataCoding{Alphabet: GSM7, HasClass: true, Class: Class0}},
		{0xF1, DataCoding{Alphabet: GSM7, HasClass: true, Class: Class1}},
		{0xF2, DataCoding{Alphabet: GSM7, HasClass: true, Class: Class2}},
		{0xF3, DataCoding{Alphabet: GSM7, HasClass: true, Class: Class3}},
		{0xF5, DataCoding{Alphabet: Binary, HasClass: true, Class: Class1}},
		{0xF6, DataCoding{Alphabet: Binary, HasClass: true, Class: Class2}},
	}
	for _, tt := range tests {
		tt.want.Value = tt.dc
		if got := ParseDataCoding(tt.dc); got != tt.want {
			t.Errorf("0x%02X: %+v\n want %+v", tt.dc, got, tt.want)
		}
	}
	if !ParseDataCoding(0xF0).Flash() || !ParseDataCoding(0x10).Flash() || ParseDataCoding(0xF1).Flash() || ParseDataCoding(0x00).Flash() {
		t.Error("Flash")
	}
	for _, tt := range []struct {
		d      Default
		dc     byte
		a      Alphabet
		packed bool
	}{
		{DefaultGSM7, 0x00, GSM7, false},
		{DefaultGSM7Packed, 0x00, GSM7, true},
		{DefaultGSM7Packed, 0xF1, GSM7, true},
		{DefaultGSM7Packed, 0x08, UCS2, false},
		{DefaultLatin1, 0x00, Latin1, false},
		{DefaultASCII, 0x00, ASCII, false},
	} {
		got := tt.d.ParseDataCoding(tt.dc)
		if got.Alphabet != tt.a || got.Packed != tt.packed {
			t.Errorf("%s 0x%02X: %+v", tt.d, tt.dc, got)
		}
	}
	if DefaultLatin1.DataCoding(GSM7) != 0xF1 || DefaultLatin1.DataCoding(Latin1) != 0 || DefaultGSM7.DataCoding(GSM7) != 0 || DefaultGSM7.DataCoding(UCS2) != 8 {
		t.Error("Default.DataCoding")
	}
	// Every alphabet's data_coding parses back to it.
	for a := GSM7; a <= KSC5601; a++ {
		if got := ParseDataCoding(a.DataCoding()).Alphabet; got != a {
			t.Errorf("%s -> 0x%02X -> %s", a, a.DataCoding(), got)
		}
		if strings.HasPrefix(a.String(), "Alphabet(") {
			t.Errorf("%d has no name", a)
		}
	}
}

func TestXTextEncoding(t *testing.T) {
	text := strings.Repeat("Price 5€ [ok] ", 500) + "end"
	enc := GSM7.Encoding()
	var buf bytes.Buffer
	w := transform.NewWriter(&buf, enc.NewEncoder())
	if _, err := io.WriteString(w, text); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want, _ := AppendGSM7(nil, text, GSM7Options{})
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatal("transformer output differs from AppendGSM7")
	}
	r := transform.NewReader(bytes.NewReader(want), enc.NewDecoder())
	back, err := io.ReadAll(r)
	if err != nil || string(back) != text {
		t.Fatalf("decode: %v", err)
	}
	if _, err := enc.NewEncoder().String("ş"); err == nil {
		t.Fatal("ş encoded")
	}
	rep, err := xenc.ReplaceUnsupported(enc.NewEncoder()).String("aşb")
	if err != nil || rep != "a?b" {
		t.Fatalf("ReplaceUnsupported: %q %v", rep, err)
	}
	tr, err := GSM7Encoding(Turkish, Turkish)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tr.NewEncoder().String("ışık")
	if err != nil || out != "\x07\x1d\x07k" {
		t.Fatalf("Turkish: %q %v", out, err)
	}
	if s, _ := tr.NewDecoder().String(out); s != "ışık" {
		t.Fatalf("Turkish decode %q", s)
	}
	if _, err := GSM7Encoding(Spanish, NoShift); !errors.Is(err, ErrLanguage) {
		t.Fatal("Spanish locking accepted")
	}
	if u, _ := UCS2.Encoding().NewEncoder().String("😀"); u != "\xd8\x3d\xde\x00" {
		t.Fatalf("UCS2 encoding %q", u)
	}
	if Binary.Encoding() != nil {
		t.Fatal("binary has an encoding")
	}
	// A decoder fed one octet at a time keeps escape state.
	dec := GSM7.Encoding().NewDecoder()
	var out2 []byte
	for _, c := range []byte{'a', esc, 0x65, 'b', esc} {
		dst := make([]byte, 8)
		n, _, err := dec.Transform(dst, []byte{c}, false)
		if err != nil && !errors.Is(err, transform.ErrShortSrc) {
			t.Fatal(err)
		}
		out2 = append(out2, dst[:n]...)
	}
	if !utf8.Valid(out2) || !strings.HasPrefix(string(out2), "a") {
		t.Fatalf("%q", out2)
	}
}
