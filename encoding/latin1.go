package encoding

import "unicode/utf8"

// AppendLatin1 appends s encoded in ISO-8859-1 (data_coding 0x03), one octet per
// character, to dst. A character above U+00FF, or a byte that is not valid
// UTF-8, returns an *UnencodableError. It does not allocate when dst has room.
func AppendLatin1(dst []byte, s string) ([]byte, error) {
	return appendLatin1(dst, s, 0xFF, Latin1, 0)
}

// AppendASCII appends s encoded in IA5/ASCII (data_coding 0x01), one octet per
// character, to dst. A character above U+007F returns an *UnencodableError. It
// does not allocate when dst has room.
func AppendASCII(dst []byte, s string) ([]byte, error) {
	return appendLatin1(dst, s, 0x7F, ASCII, 0)
}

func appendLatin1(dst []byte, s string, max rune, a Alphabet, repl rune) ([]byte, error) {
	if repl > max {
		return dst, &UnencodableError{Rune: repl, Offset: -1, Index: -1, Alphabet: a}
	}
	start := len(dst)
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r > max || (r == utf8.RuneError && size == 1) {
			if repl == 0 {
				return dst[:start], unencodable(s, i, a, NoShift, NoShift)
			}
			r = repl
		}
		dst = append(dst, byte(r))
		i += size
	}
	return dst, nil
}

// DecodeLatin1 appends the UTF-8 text of ISO-8859-1 octets to dst. Every octet
// is a character, so decoding never fails.
func DecodeLatin1(dst, src []byte) []byte {
	for _, c := range src {
		if c < 0x80 {
			dst = append(dst, c)
		} else {
			dst = append(dst, 0xC0|c>>6, 0x80|c&0x3F)
		}
	}
	return dst
}

// DecodeASCII appends the UTF-8 text of IA5/ASCII octets to dst. An octet with
// the top bit set is not ASCII and becomes U+FFFD.
func DecodeASCII(dst, src []byte) []byte {
	for _, c := range src {
		if c < 0x80 {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		}
	}
	return dst
}
