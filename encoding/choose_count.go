package encoding

import "unicode/utf8"

// count returns the septets of s, and the byte offset of the first character
// the tables cannot represent (-1 if none).
func (t tables) count(s string) (int, int) {
	n := 0
	low := &t.lock.low
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 && low[c] >= 0 {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		k := t.septets(r)
		if k == 0 {
			return n, i
		}
		n += k
		i += size
	}
	return n, -1
}

func countLatin1(s string, max rune) (int, bool) {
	n := 0
	for _, r := range s {
		if r > max {
			return 0, false
		}
		n++
	}
	// U+FFFD from invalid UTF-8 is above 0xFF, so it was caught above.
	return n, true
}

// countUTF16Valid counts UTF-16 units and reports whether s is valid UTF-8.
func countUTF16Valid(s string) (int, bool) {
	return CountUTF16(s), utf8.ValidString(s)
}

func firstInvalid(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return 0
}
