package encoding

import (
	"unicode/utf8"

	xenc "golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding returns a golang.org/x/text encoding for the alphabet, for callers
// who want io.Reader/io.Writer transformers: GSM7 (default tables, unpacked
// septets), Latin1, Cyrillic and Hebrew (x/text charmaps), UCS2 (x/text
// UTF-16BE). It returns nil for the others. The hot paths of this package
// (AppendGSM7, DecodeUCS2 ...) are faster and do not allocate.
func (a Alphabet) Encoding() xenc.Encoding {
	switch a {
	case GSM7:
		return gsm7Encoding{}
	case Latin1:
		return charmap.ISO8859_1
	case Cyrillic:
		return charmap.ISO8859_5
	case Hebrew:
		return charmap.ISO8859_8
	case UCS2:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	}
	return nil
}

// GSM7Encoding returns a golang.org/x/text encoding of GSM 7-bit with the given
// national tables, one septet per octet. Its encoder fails on characters the
// tables cannot represent (wrap it with x/text's encoding.ReplaceUnsupported to
// substitute them); its decoder follows DecodeGSM7. It returns ErrLanguage for
// a language without the requested table.
func GSM7Encoding(locking, single Language) (xenc.Encoding, error) {
	if _, err := tablesFor(locking, single); err != nil {
		return nil, err
	}
	return gsm7Encoding{locking: locking, single: single}, nil
}

type gsm7Encoding struct{ locking, single Language }

// NewDecoder returns a decoder from GSM 7-bit septets to UTF-8.
func (e gsm7Encoding) NewDecoder() *xenc.Decoder {
	return &xenc.Decoder{Transformer: &gsm7Decoder{d: newSeptetDecoder(GSM7Options{Locking: e.locking, Single: e.single})}}
}

// NewEncoder returns an encoder from UTF-8 to GSM 7-bit septets.
func (e gsm7Encoding) NewEncoder() *xenc.Encoder {
	t, _ := tablesFor(e.locking, e.single)
	return &xenc.Encoder{Transformer: &gsm7Encoder{t: t}}
}

// String names the encoding.
func (e gsm7Encoding) String() string {
	if e.locking == NoShift && e.single == NoShift {
		return "GSM 03.38"
	}
	return "GSM 03.38 (locking " + e.locking.String() + ", single shift " + e.single.String() + ")"
}

type gsm7Decoder struct {
	d septetDecoder
	transform.NopResetter
}

func (g *gsm7Decoder) Reset() { g.d.esc = false }

func (g *gsm7Decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	var buf [utf8.UTFMax]byte
	for nSrc < len(src) {
		c := src[nSrc] & 0x7F
		if c == esc && !g.d.esc && nSrc+1 == len(src) && !atEOF {
			return nDst, nSrc, transform.ErrShortSrc
		}
		d := g.d
		out := d.put(buf[:0], c)
		if nDst+len(out) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		g.d = d
		nDst += copy(dst[nDst:], out)
		nSrc++
	}
	if atEOF && g.d.esc {
		if nDst >= len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		g.d.esc = false
		dst[nDst] = ' '
		nDst++
	}
	return nDst, nSrc, nil
}

type gsm7Encoder struct {
	t tables
	transform.NopResetter
}

func (g *gsm7Encoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		r, size := rune(src[nSrc]), 1
		if r >= utf8.RuneSelf {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			r, size = utf8.DecodeRune(src[nSrc:])
		}
		code := g.t.code(r)
		if code < 0 || (r == utf8.RuneError && size == 1) {
			return nDst, nSrc, errRepertoire
		}
		need := 1
		if code >= 0x100 {
			need = 2
		}
		if nDst+need > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		if need == 2 {
			dst[nDst] = esc
			nDst++
		}
		dst[nDst] = byte(code)
		nDst++
		nSrc += size
	}
	return nDst, nSrc, nil
}

// repertoireError is what x/text encoders return for a character outside the
// encoding's repertoire; x/text's encoding.ReplaceUnsupported recognises it by
// its Replacement method and writes that octet instead ('?' is 0x3F in GSM).
type repertoireError byte

func (repertoireError) Error() string { return "smpp: character not in the GSM 7-bit tables" }

// Replacement returns the GSM code of '?'.
func (r repertoireError) Replacement() byte { return byte(r) }

const errRepertoire = repertoireError('?')
