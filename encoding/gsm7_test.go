package encoding

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPackExamples(t *testing.T) {
	// gsm0338.md §4.1 and §5 worked examples.
	tests := []struct {
		name    string
		septets string
		fill    int
		want    string
	}{
		{"hellohello", "68656C6C6F68656C6C6F", 0, "E8 32 9B FD 46 97 D9 EC 37"},
		{"ABCDEFG CR padded", "41424344454647", 0, "41 E1 90 58 34 1E 1B"},
		{"Hi after 6-octet UDH", "4869", 1, "90 69"},
		{"empty", "", 0, ""},
		{"empty after UDH", "", 1, ""},
		{"one septet", "41", 0, "41"},
		{"8 septets exact", "4142434445464748", 0, "41 E1 90 58 34 1E 91"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustHex(t, tt.septets)
			got := PackSeptets(nil, s, tt.fill)
			if want := mustHex(t, tt.want); !bytes.Equal(got, want) {
				t.Fatalf("PackSeptets = % X, want % X", got, want)
			}
			back := UnpackSeptets(nil, got, tt.fill)
			if !bytes.Equal(back, s) {
				t.Fatalf("UnpackSeptets = % X, want % X", back, s)
			}
		})
	}
}

func TestAppendGSM7PackedMatchesPackSeptets(t *testing.T) {
	for _, s := range []string{"hellohello", "ABCDEFG", "Hi", "a€b{c}", "1234567\r", "1234567@", strings.Repeat("x", 153)} {
		for fill := range 7 {
			septets, err := AppendGSM7(nil, s, GSM7Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := PackSeptets(nil, septets, fill)
			got, err := AppendGSM7Packed(nil, s, fill, GSM7Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%q fill %d: % X, want % X", s, fill, got, want)
			}
			text := string(DecodeGSM7Packed(nil, got, fill, GSM7Options{}))
			wantText := s
			if (fill+7*len(septets))%8 == 0 && (s[len(s)-1] == '\r' || s[len(s)-1] == '@') {
				wantText += "\r" // CR rule: a final CR or @ on an octet boundary gets a CR
			}
			if text != wantText {
				t.Fatalf("%q fill %d: decoded %q, want %q", s, fill, text, wantText)
			}
		}
	}
}

func TestPackedAfterUDHFillBits(t *testing.T) {
	// A 6-octet UDH (8-bit concatenation) needs one fill bit; the text then
	// starts on the septet boundary of the whole user data.
	udh := mustHex(t, "05 00 03 CC 02 01")
	if FillBits(len(udh)) != 1 {
		t.Fatalf("FillBits(6) = %d", FillBits(len(udh)))
	}
	text := "Hello world, this is part one of a longer text with € and [brackets]."
	sm, err := AppendGSM7Packed(append([]byte(nil), udh...), text, FillBits(len(udh)), GSM7Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sm[:6], udh) {
		t.Fatal("UDH changed")
	}
	if got := string(DecodeGSM7Packed(nil, sm[6:], 1, GSM7Options{})); got != text {
		t.Fatalf("decoded %q", got)
	}
	// Without the fill bit the text is garbage: the test can fail.
	if got := string(DecodeGSM7Packed(nil, sm[6:], 0, GSM7Options{})); got == text {
		t.Fatal("decoding without the fill bit gave the text")
	}
	// The whole user data decoded as septets from bit 0 must contain the text
	// after 7 header septets.
	all := UnpackSeptets(nil, sm, 0)
	if got := string(DecodeGSM7(nil, all[7:], GSM7Options{})); got != text {
		t.Fatalf("septet stream after header: %q", got)
	}
}

func TestFillBitsTable(t *testing.T) {
	// gsm0338.md §5.
	for _, tt := range []struct{ udh, fill int }{{4, 3}, {6, 1}, {7, 0}, {9, 5}, {10, 4}, {12, 2}, {13, 1}, {0, 0}} {
		if got := FillBits(tt.udh); got != tt.fill {
			t.Errorf("FillBits(%d) = %d, want %d", tt.udh, got, tt.fill)
		}
	}
}

func TestUnpackPadding(t *testing.T) {
	// 7 octets hold 8 septets; a final CR or 0x00 is padding.
	zeroPadded := PackSeptets(nil, []byte("ABCDEFG"), 0)
	if len(zeroPadded) != 7 || zeroPadded[6]>>1 != '\r' {
		t.Fatalf("CR padding missing: % X", zeroPadded)
	}
	zeroPadded[6] &= 0x01 // as sent by a peer that pads with zeros
	if got := UnpackSeptets(nil, zeroPadded, 0); string(got) != "ABCDEFG" {
		t.Fatalf("zero padding kept: %q", got)
	}
	// A real text of 8 septets ending in CR gets a second CR from the packer.
	p := PackSeptets(nil, []byte("ABCDEFG\r"), 0)
	if len(p) != 8 {
		t.Fatalf("CR rule: len %d", len(p))
	}
	if got := UnpackSeptets(nil, p, 0); string(got) != "ABCDEFG\r\r" {
		t.Fatalf("got %q", got)
	}
}

func TestDefaultAlphabetRoundTrip(t *testing.T) {
	for code := range 128 {
		if code == esc {
			continue
		}
		s := string(DecodeGSM7(nil, []byte{byte(code)}, GSM7Options{}))
		if utf8.RuneCountInString(s) != 1 || s == "\uFFFD" {
			t.Fatalf("code 0x%02X decodes to %q", code, s)
		}
		got, err := AppendGSM7(nil, s, GSM7Options{})
		if err != nil || len(got) != 1 || got[0] != byte(code) {
			t.Fatalf("%q encodes to % X, %v; want %02X", s, got, err, code)
		}
	}
	ext := map[rune]byte{'\f': 0x0A, '^': 0x14, '{': 0x28, '}': 0x29, '\\': 0x2F, '[': 0x3C, '~': 0x3D, ']': 0x3E, '|': 0x40, '€': 0x65}
	for r, code := range ext {
		got, err := AppendGSM7(nil, string(r), GSM7Options{})
		if err != nil || !bytes.Equal(got, []byte{esc, code}) {
			t.Fatalf("%q encodes to % X, %v", r, got, err)
		}
		if s := string(DecodeGSM7(nil, got, GSM7Options{})); s != string(r) {
			t.Fatalf("decode % X = %q", got, s)
		}
	}
}

func TestGSM7KnownVectors(t *testing.T) {
	tests := []struct {
		text string
		hex  string
	}{
		{"@£$¥èéùìòÇ\nØø\rÅå", "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F"},
		{"ΔΦΓΛΩΠΨΣΘΞ", "10 12 13 14 15 16 17 18 19 1A"},
		{"ÆæßÉ ¤¡¿§ÄÖÑÜäöñüà_", "1C 1D 1E 1F 20 24 40 60 5F 5B 5C 5D 5E 7B 7C 7D 7E 7F 11"},
		{"Price: 5€ {x}", "50 72 69 63 65 3A 20 35 1B 65 20 1B 28 78 1B 29"},
	}
	for _, tt := range tests {
		got, err := AppendGSM7(nil, tt.text, GSM7Options{})
		if err != nil {
			t.Fatal(err)
		}
		if want := mustHex(t, tt.hex); !bytes.Equal(got, want) {
			t.Errorf("%q: % X, want % X", tt.text, got, want)
		}
		if back := string(DecodeGSM7(nil, got, GSM7Options{})); back != tt.text {
			t.Errorf("decode: %q, want %q", back, tt.text)
		}
	}
}

func TestDecodeGSM7Lenient(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"escape at end", []byte{'A', esc}, "A "},
		{"escape escape", []byte{esc, esc, 'A'}, " A"},
		{"undefined escape shows main table", []byte{esc, 'B'}, "B"},
		{"extension CR2", []byte{esc, 0x0D}, "\r"},
		{"top bit ignored", []byte{0x80 | 'A'}, "A"},
	}
	for _, tt := range tests {
		if got := string(DecodeGSM7(nil, tt.in, GSM7Options{})); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
		// The slow path (national tables) must agree.
		if got := string(DecodeGSM7(nil, tt.in, GSM7Options{Single: Spanish})); got != tt.want {
			t.Errorf("%s (Spanish single): %q, want %q", tt.name, got, tt.want)
		}
	}
	// An unassigned code of a national locking table is U+FFFD.
	if got := string(DecodeGSM7(nil, []byte{0x00}, GSM7Options{Locking: Kannada})); got != "\uFFFD" {
		t.Errorf("Kannada 0x00: %q", got)
	}
	// An unknown language falls back to the default tables.
	if got := string(DecodeGSM7(nil, []byte{0x1C}, GSM7Options{Locking: 99})); got != "Æ" {
		t.Errorf("unknown language: %q", got)
	}
}

func TestUnencodable(t *testing.T) {
	_, err := AppendGSM7([]byte("keep"), "abc ş", GSM7Options{})
	var ue *UnencodableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnencodable) {
		t.Fatalf("err = %v", err)
	}
	if ue.Rune != 'ş' || ue.Offset != 4 || ue.Index != 4 || ue.Alphabet != GSM7 {
		t.Fatalf("%+v", ue)
	}
	if !strings.Contains(ue.Error(), "'ş'") || !strings.Contains(ue.Error(), "index 4") {
		t.Fatalf("message %q", ue.Error())
	}
	got, err := AppendGSM7([]byte("keep"), "abc ş", GSM7Options{})
	if string(got) != "keep" || err == nil {
		t.Fatalf("dst changed on error: %q", got)
	}
	got, err = AppendGSM7(nil, "abc ş€", GSM7Options{Replacement: '?'})
	if err != nil || string(DecodeGSM7(nil, got, GSM7Options{})) != "abc ?€" {
		t.Fatalf("replacement: % X %v", got, err)
	}
	if _, err := AppendGSM7(nil, "x", GSM7Options{Replacement: 'ş'}); !errors.Is(err, ErrUnencodable) {
		t.Fatalf("unencodable replacement accepted: %v", err)
	}
	if _, err := AppendGSM7(nil, "abc\xff", GSM7Options{}); !errors.As(err, &ue) || ue.Rune != utf8.RuneError || ue.Offset != 3 {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	if _, err := AppendGSM7(nil, "x", GSM7Options{Locking: Spanish}); !errors.Is(err, ErrLanguage) {
		t.Fatalf("Spanish locking: %v", err)
	}
	if _, err := AppendGSM7(nil, "x", GSM7Options{Single: 14}); !errors.Is(err, ErrLanguage) {
		t.Fatalf("language 14: %v", err)
	}
}

func TestCountSeptets(t *testing.T) {
	tests := []struct {
		s    string
		opts GSM7Options
		want int
	}{
		{"", GSM7Options{}, 0},
		{"hello", GSM7Options{}, 5},
		{"€", GSM7Options{}, 2},
		{"a[b]c", GSM7Options{}, 7},
		{"ş", GSM7Options{Single: Turkish}, 2},
		{"ş", GSM7Options{Locking: Turkish}, 1},
		{"şx", GSM7Options{Replacement: '€'}, 3},
	}
	for _, tt := range tests {
		got, err := CountSeptets(tt.s, tt.opts)
		if err != nil || got != tt.want {
			t.Errorf("CountSeptets(%q, %+v) = %d, %v; want %d", tt.s, tt.opts, got, err, tt.want)
		}
	}
	if _, err := CountSeptets("ş", GSM7Options{}); !errors.Is(err, ErrUnencodable) {
		t.Fatal("ş counted in the default alphabet")
	}
}
