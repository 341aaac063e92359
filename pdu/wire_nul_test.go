package pdu

import (
	"strings"
	"testing"
)

// hasNUL against the obvious answer, for every length up to 40 and every
// position of a zero octet.
func TestHasNUL(t *testing.T) {
	for n := 0; n <= 40; n++ {
		s := strings.Repeat("\x01", n)
		if hasNUL(s) {
			t.Fatalf("len %d without NUL: true", n)
		}
		for i := 0; i < n; i++ {
			b := []byte(s)
			b[i] = 0
			if !hasNUL(string(b)) {
				t.Fatalf("len %d, NUL at %d: false", n, i)
			}
			b[i] = 0x80 // the borrow trick must not take 0x80 or 0x01 for zero
			if hasNUL(string(b)) {
				t.Fatalf("len %d, 0x80 at %d: true", n, i)
			}
		}
	}
}
