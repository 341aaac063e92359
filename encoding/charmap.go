package encoding

import (
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

func charmapOf(a Alphabet) *charmap.Charmap {
	if a == Hebrew {
		return charmap.ISO8859_8
	}
	return charmap.ISO8859_5
}

func appendCharmap(dst []byte, s string, a Alphabet, repl rune) ([]byte, error) {
	cm := charmapOf(a)
	start := len(dst)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b, ok := cm.EncodeRune(r)
		if !ok || (r == utf8.RuneError && size == 1) {
			if repl == 0 {
				return dst[:start], unencodable(s, i, a, NoShift, NoShift)
			}
			if b, ok = cm.EncodeRune(repl); !ok {
				return dst[:start], &UnencodableError{Rune: repl, Offset: -1, Index: -1, Alphabet: a}
			}
		}
		dst = append(dst, b)
		i += size
	}
	return dst, nil
}

func decodeCharmap(dst, src []byte, a Alphabet) []byte {
	cm := charmapOf(a)
	for _, b := range src {
		dst = utf8.AppendRune(dst, cm.DecodeByte(b))
	}
	return dst
}
