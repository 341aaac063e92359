package pdu_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
)

// An id as an SMSC means it (canon: lower case, no leading zeros, no
// surrounding space) and one way it was written.
type writtenID struct{ canon, text string }

// randomIDs returns ids of every shape, each written several ways: decimal
// and hex numbers (the same values in both bases, small ones among them so
// that "10" and "a" meet), zero padding to various widths, mixed case,
// surrounding white space, numbers beyond 64 bits, and non-numeric ids
// (UUIDs, words with dashes and colons).
func randomIDs(r *rand.Rand, n int) []writtenID {
	write := func(canon string) string {
		b := []byte(canon)
		for i, c := range b {
			if c >= 'a' && c <= 'z' && r.IntN(2) == 0 {
				b[i] = c - 'a' + 'A'
			}
		}
		s := strings.Repeat("0", r.IntN(4)) + string(b)
		if w := []int{0, 10, 16, 20}[r.IntN(4)]; len(s) < w {
			s = strings.Repeat("0", w-len(s)) + s
		}
		spaces := []string{"", "", "", " ", "\t", "\r\n", "\x00"}
		return spaces[r.IntN(len(spaces))] + s + spaces[r.IntN(len(spaces))]
	}
	value := func() uint64 {
		switch r.IntN(4) {
		case 0:
			return r.Uint64N(40) // small: "10" and "a", "16" and "10"...
		case 1:
			return r.Uint64N(1 << 32)
		}
		return r.Uint64()
	}
	trim := func(s string) string {
		if t := strings.TrimLeft(s, "0"); t != "" {
			return t
		}
		return "0"
	}
	var out []writtenID
	for len(out) < n {
		var canons []string
		switch r.IntN(5) {
		case 0, 1: // the same number in decimal and in hex
			v := value()
			canons = []string{strconv.FormatUint(v, 10), strconv.FormatUint(v, 16)}
		case 2: // beyond 64 bits
			var b []byte
			for range 20 + r.IntN(20) {
				b = append(b, "0123456789abcdef"[r.IntN(16)])
			}
			canons = []string{trim(string(b))}
		case 3: // UUID
			const hex = "0123456789abcdef"
			var b []byte
			for i := range 36 {
				if i == 8 || i == 13 || i == 18 || i == 23 {
					b = append(b, '-')
				} else {
					b = append(b, hex[r.IntN(16)])
				}
			}
			canons = []string{trim(string(b))}
		case 4: // words
			const alpha = "abcxyz019-_:."
			var b []byte
			for range 1 + r.IntN(8) {
				b = append(b, alpha[r.IntN(len(alpha))])
			}
			if s := trim(string(b)); s != "0" || string(b) == strings.Repeat("0", len(b)) {
				canons = []string{s}
			}
		}
		for _, c := range canons {
			for range 3 {
				out = append(out, writtenID{c, write(c)})
			}
		}
	}
	return out
}

// NormalizeMessageID gives one key to every way of writing one id, and
// different keys to different ids, hex and decimal forms of one number
// included (the key it gave hex "a" and decimal "10" was once the same).
func TestNormalizeMessageIDProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	keyOf := map[string]string{}   // canon -> key
	canonOf := map[string]string{} // key -> canon
	for _, id := range randomIDs(r, 60000) {
		k := pdu.NormalizeMessageID(id.text)
		if k2 := string(pdu.AppendNormalizedMessageID(nil, id.text)); k2 != k {
			t.Fatalf("%q: NormalizeMessageID %q, AppendNormalizedMessageID %q", id.text, k, k2)
		}
		if prev, ok := keyOf[id.canon]; ok && prev != k {
			t.Fatalf("one id, two keys: %q and %q (id %q written %q)", prev, k, id.canon, id.text)
		}
		keyOf[id.canon] = k
		if prev, ok := canonOf[k]; ok && prev != id.canon {
			t.Fatalf("two ids, one key %q: %q and %q (written %q)", k, prev, id.canon, id.text)
		}
		canonOf[k] = id.canon
		if pdu.NormalizeMessageID(k) != k {
			t.Fatalf("key %q is not its own key", k)
		}
	}
	if len(keyOf) < 10000 {
		t.Fatalf("only %d distinct ids", len(keyOf))
	}
}

// OtherBaseMessageIDKeys links the hex and decimal forms of one number, in
// both directions, and never returns the id's own key.
func TestOtherBaseMessageIDKeys(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want []string
	}{
		{"5A3F0001", []string{"1514078209"}},
		{"1514078209", []string{"5a3f0001", "90530349577"}},
		{"0010", []string{"a", "16"}},
		{"a", []string{"10"}},
		{" 0a ", []string{"10"}},
		{"9", nil},
		{"0", nil},
		{"", nil},
		{"uuid-1", nil},
		{"ffffffffffffffff", []string{"18446744073709551615"}},
		{"1ffffffffffffffff", nil}, // beyond 64 bits
	} {
		if got := pdu.OtherBaseMessageIDKeys(tc.id); !slices.Equal(got, tc.want) {
			t.Errorf("OtherBaseMessageIDKeys(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
	r := rand.New(rand.NewPCG(9, 10))
	for range 10000 {
		v := r.Uint64() >> r.IntN(64)
		d, h := strconv.FormatUint(v, 10), strconv.FormatUint(v, 16)
		if d == h {
			continue
		}
		if ks := pdu.OtherBaseMessageIDKeys("00" + strings.ToUpper(h)); !slices.Contains(ks, d) || slices.Contains(ks, h) {
			t.Fatalf("hex %s: %q, want %s among them", h, ks, d)
		}
		if ks := pdu.OtherBaseMessageIDKeys(d); !slices.Contains(ks, h) || slices.Contains(ks, d) {
			t.Fatalf("decimal %s: %q, want %s among them", d, ks, h)
		}
	}
}

func ExampleNormalizeMessageID() {
	// How one SMSC wrote one id in its submit_sm_resp and in receipts.
	for _, id := range []string{"5A3F0001", "05a3f0001", " 5a3f0001\x00"} {
		fmt.Println(pdu.NormalizeMessageID(id))
	}
	// Two different ids, though hex a is 10.
	fmt.Println(pdu.NormalizeMessageID("a"), pdu.NormalizeMessageID("10"))
	// Output:
	// 5a3f0001
	// 5a3f0001
	// 5a3f0001
	// a 10
}

func ExampleOtherBaseMessageIDKeys() {
	// The submit_sm_resp said 5A3F0001; the receipt text says 1514078209.
	byKey := map[string]string{pdu.NormalizeMessageID("5A3F0001"): "our id 42"}
	receiptID := "1514078209"
	v, ok := byKey[pdu.NormalizeMessageID(receiptID)]
	if !ok {
		// Not found as written: try the same number in the other base.
		for _, k := range pdu.OtherBaseMessageIDKeys(receiptID) {
			if v, ok = byKey[k]; ok {
				break
			}
		}
	}
	fmt.Println(v, ok)
	// Output:
	// our id 42 true
}
