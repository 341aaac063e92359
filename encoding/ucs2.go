package encoding

import (
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// AppendUCS2 appends s encoded as UTF-16BE to dst: two octets per character of
// the Basic Multilingual Plane, four (a surrogate pair) above it, such as
// emoji. This is what SMPP peers exchange for data_coding 0x08. A byte that is
// not valid UTF-8 returns an *UnencodableError with Rune U+FFFD. AppendUCS2
// does not allocate when dst has room for 2·len(s) more octets.
func AppendUCS2(dst []byte, s string) ([]byte, error) {
	return appendUCS2(dst, s, 0)
}

func appendUCS2(dst []byte, s string, repl rune) ([]byte, error) {
	start := len(dst)
	dst = slices.Grow(dst, 2*len(s)) // every UTF-8 sequence grows at most twofold
	n := len(dst)
	b := dst[:n+2*len(s)]
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			b[n] = 0
			b[n+1] = c
			n += 2
			i++
			continue
		}
		if c >= 0xC2 && c < 0xE0 && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			// Two-octet UTF-8 sequence: U+0080–U+07FF.
			r := rune(c&0x1F)<<6 | rune(s[i+1]&0x3F)
			b[n], b[n+1] = byte(r>>8), byte(r)
			n += 2
			i += 2
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			if repl == 0 {
				return dst[:start], unencodable(s, i, UCS2, NoShift, NoShift)
			}
			r = repl
		}
		i += size
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			b[n], b[n+1], b[n+2], b[n+3] = byte(r1>>8), byte(r1), byte(r2>>8), byte(r2)
			n += 4
			continue
		}
		b[n], b[n+1] = byte(r>>8), byte(r)
		n += 2
	}
	return b[:n], nil
}

// DecodeUCS2 appends the UTF-8 text of UTF-16BE octets to dst. Surrogate pairs
// become one character; an unpaired surrogate or an odd final octet becomes
// U+FFFD. It does not allocate when dst has room (at most 3 octets per 2 input
// octets).
func DecodeUCS2(dst, src []byte) []byte {
	for i := 0; i+1 < len(src); i += 2 {
		u := rune(src[i])<<8 | rune(src[i+1])
		switch {
		case u < 0x80:
			dst = append(dst, byte(u))
			continue
		case u < 0x800:
			dst = append(dst, 0xC0|byte(u>>6), 0x80|byte(u)&0x3F)
			continue
		case utf16.IsSurrogate(u):
			if u < 0xDC00 && i+3 < len(src) {
				u2 := rune(src[i+2])<<8 | rune(src[i+3])
				if r := utf16.DecodeRune(u, u2); r != utf8.RuneError {
					dst = utf8.AppendRune(dst, r)
					i += 2
					continue
				}
			}
			u = utf8.RuneError
		}
		dst = utf8.AppendRune(dst, u)
	}
	if len(src)%2 == 1 {
		dst = utf8.AppendRune(dst, utf8.RuneError)
	}
	return dst
}

// CountUTF16 returns the number of UTF-16 code units s takes: one per
// character of the Basic Multilingual Plane, two per character above it. A
// byte that is not valid UTF-8 counts as one unit (U+FFFD).
func CountUTF16(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
