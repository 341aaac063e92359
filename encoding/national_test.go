package encoding

import (
	"bytes"
	"testing"
)

func TestNationalTablesRoundTrip(t *testing.T) {
	for l := Language(1); l < numLanguages; l++ {
		t.Run(l.String(), func(t *testing.T) {
			lock := NoShift
			if l.HasLocking() {
				lock = l
			}
			opts := GSM7Options{Locking: lock, Single: l}
			assigned := 0
			// Every code of the locking table decodes to a character that
			// encodes back to the same code.
			for code := range 128 {
				if code == esc || lockingTables[lock][code] == 0 {
					continue
				}
				assigned++
				s := DecodeGSM7(nil, []byte{byte(code)}, opts)
				got, err := AppendGSM7(nil, string(s), opts)
				if err != nil || !bytes.Equal(got, []byte{byte(code)}) {
					t.Errorf("locking 0x%02X %q encodes to % X, %v", code, s, got, err)
				}
			}
			// Every single shift character decodes from ESC+code and encodes
			// to ESC+code, unless the locking table has it (one septet) or an
			// earlier single shift position has it (a duplicate).
			for code := range 128 {
				r := singleTables[l][code]
				if code == esc || r == 0 {
					continue
				}
				assigned++
				s := DecodeGSM7(nil, []byte{esc, byte(code)}, opts)
				if string(s) != string(r) {
					t.Fatalf("single 0x%02X decodes to %q, want %q", code, s, r)
				}
				got, err := AppendGSM7(nil, string(s), opts)
				if err != nil {
					t.Fatalf("single 0x%02X %q: %v", code, s, err)
				}
				switch {
				case bytes.Equal(got, []byte{esc, byte(code)}):
				case len(got) == 1 && lockingTables[lock][got[0]] == r:
				case len(got) == 2 && got[0] == esc && got[1] < byte(code) && singleTables[l][got[1]] == r:
				default:
					t.Errorf("single 0x%02X %q encodes to % X", code, s, got)
				}
				// And decoding that gives the character again.
				if back := DecodeGSM7(nil, got, opts); !bytes.Equal(back, s) {
					t.Errorf("single 0x%02X: %q -> % X -> %q", code, s, got, back)
				}
			}
			if assigned < 100 {
				t.Errorf("only %d characters in the %s tables", assigned, l)
			}
		})
	}
}

func TestNationalTableSpotChecks(t *testing.T) {
	tests := []struct {
		name      string
		lang      Language
		locking   bool
		code      byte
		want      rune
		wantShift bool // in the single shift table
	}{
		{"Turkish single ş", Turkish, false, 0x73, 'ş', true},
		{"Turkish single Ğ", Turkish, false, 0x47, 'Ğ', true},
		{"Turkish locking ı", Turkish, true, 0x07, 'ı', false},
		{"Turkish locking €", Turkish, true, 0x04, '€', false},
		{"Spanish single ú", Spanish, false, 0x75, 'ú', true},
		{"Portuguese locking ∞", Portuguese, true, 0x15, '∞', false},
		{"Portuguese locking grave", Portuguese, true, 0x7D, '`', false},
		{"Portuguese single â", Portuguese, false, 0x7F, 'â', true},
		{"Hindi locking ka", Hindi, true, 0x15, 'क', false},
		{"Hindi locking comma", Hindi, true, 0x2C, ',', false},
		{"Bengali locking comma", Bengali, true, 0x2C, ',', false},
		{"Urdu locking comma", Urdu, true, 0x2C, ',', false},
		{"Kannada locking 0x24 corrected", Kannada, true, 0x24, 'ಡ', false},
		{"Kannada locking 0x3D", Kannada, true, 0x3D, 'ಪ', false},
		{"Telugu single euro", Telugu, false, 0x65, '€', true},
		{"Tamil single A", Tamil, false, 0x41, 'A', true},
		{"Urdu locking alef", Urdu, true, 0x00, 'ا', false},
		{"Hindi single danda", Hindi, false, 0x19, '।', true},
	}
	for _, tt := range tests {
		opts := GSM7Options{Single: tt.lang}
		in := []byte{esc, tt.code}
		if tt.locking {
			opts = GSM7Options{Locking: tt.lang}
			in = []byte{tt.code}
		}
		if got := string(DecodeGSM7(nil, in, opts)); got != string(tt.want) {
			t.Errorf("%s: decode % X = %q, want %q", tt.name, in, got, tt.want)
		}
	}
	// Turkish locking differs from the default alphabet in exactly the
	// positions listed in gsm0338.md §7.4.
	diff := 0
	for i := range 128 {
		if lockingTurkish[i] != defaultAlphabet[i] {
			diff++
		}
	}
	if diff != 8 {
		t.Errorf("Turkish locking differs in %d positions, want 8", diff)
	}
}

func TestLanguageString(t *testing.T) {
	if Turkish.String() != "Turkish" || Urdu.String() != "Urdu" || NoShift.String() != "default" || Language(20).String() != "Language(20)" {
		t.Fatal("Language.String")
	}
	if Spanish.HasLocking() || !Turkish.HasLocking() || !NoShift.HasLocking() || Language(14).Known() {
		t.Fatal("HasLocking/Known")
	}
	if len(AllLanguages()) != 13 {
		t.Fatal("AllLanguages")
	}
}
