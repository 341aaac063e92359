package encoding

import (
	"fmt"
	"unicode/utf8"
)

// Choice is how a text is encoded: the alphabet, the GSM 7-bit tables, and the
// text's length in the alphabet's units.
type Choice struct {
	// Alphabet is the chosen alphabet.
	Alphabet Alphabet
	// Locking and Single are the national GSM 7-bit tables (NoShift: default).
	// Each one other than NoShift must be announced in the UDH of every
	// segment (IE 0x25 and 0x24).
	Locking, Single Language
	// Units is the length of the whole text: septets for GSM7 (an escaped
	// character counts two), UTF-16 code units for UCS2, octets otherwise.
	Units int
	// Replacement is Options.Replacement, used by Append and Cut.
	Replacement rune
}

// DataCoding returns the data_coding value for the choice (see
// Alphabet.DataCoding).
func (c Choice) DataCoding() byte { return c.Alphabet.DataCoding() }

// GSM7Options returns the GSM 7-bit tables and replacement of the choice.
func (c Choice) GSM7Options() GSM7Options {
	return GSM7Options{Locking: c.Locking, Single: c.Single, Replacement: c.Replacement}
}

// Octets returns the number of octets the encoded text takes: Units, except
// two per unit for UCS2 and the packed length for packed GSM 7-bit.
func (c Choice) Octets(packed bool) int {
	switch {
	case c.Alphabet == UCS2:
		return 2 * c.Units
	case c.Alphabet == GSM7 && packed:
		return PackedLen(c.Units, 0)
	}
	return c.Units
}

// Append appends s encoded per the choice to dst (GSM 7-bit unpacked, one
// septet per octet). It does not allocate when dst has room.
func (c Choice) Append(dst []byte, s string) ([]byte, error) {
	switch c.Alphabet {
	case GSM7:
		return AppendGSM7(dst, s, c.GSM7Options())
	case UCS2:
		return appendUCS2(dst, s, c.Replacement)
	case Latin1:
		return appendLatin1(dst, s, 0xFF, Latin1, c.Replacement)
	case ASCII:
		return appendLatin1(dst, s, 0x7F, ASCII, c.Replacement)
	case Cyrillic, Hebrew:
		return appendCharmap(dst, s, c.Alphabet, c.Replacement)
	}
	return dst, fmt.Errorf("%w: cannot encode text as %s", ErrAlphabet, c.Alphabet)
}

// AppendPacked is Append with GSM 7-bit text packed after fillBits fill bits
// (see AppendGSM7Packed). Other alphabets ignore fillBits.
func (c Choice) AppendPacked(dst []byte, s string, fillBits int) ([]byte, error) {
	if c.Alphabet == GSM7 {
		return AppendGSM7Packed(dst, s, fillBits, c.GSM7Options())
	}
	return c.Append(dst, s)
}

// RuneUnits returns how many units r takes in the choice's alphabet (septets,
// UTF-16 units or octets), counting an unencodable character as its
// replacement; 0 means r cannot be encoded.
func (c Choice) RuneUnits(r rune) int {
	switch c.Alphabet {
	case GSM7:
		t, err := tablesFor(c.Locking, c.Single)
		if err != nil {
			return 0
		}
		return c.gsm7Units(t, r)
	case UCS2:
		if r >= 0x10000 && r <= utf8.MaxRune {
			return 2
		}
		return 1
	case Latin1, ASCII, Cyrillic, Hebrew:
		if byteEncodable(c.Alphabet, r) || (c.Replacement != 0 && byteEncodable(c.Alphabet, c.Replacement)) {
			return 1
		}
	}
	return 0
}

func (c Choice) gsm7Units(t tables, r rune) int {
	if k := t.septets(r); k > 0 {
		return k
	}
	if c.Replacement != 0 {
		return t.septets(c.Replacement)
	}
	return 0
}

// Cut returns the length in bytes of the longest prefix of s that takes at most
// max units in the choice's alphabet, and the units it takes. It never cuts an
// escape pair (a GSM 7-bit character taking two septets) or a UTF-16 surrogate
// pair: such a character that does not fit whole is left for the next part. It
// stops before a character that cannot be encoded at all. It does not allocate.
func (c Choice) Cut(s string, max int) (n, units int) {
	var t tables
	if c.Alphabet == GSM7 {
		var err error
		if t, err = tablesFor(c.Locking, c.Single); err != nil {
			return 0, 0
		}
	}
	for i := 0; i < len(s); {
		ch := s[i]
		k, size := 1, 1
		switch {
		case c.Alphabet == GSM7 && ch < 0x80 && t.lock.low[ch] >= 0:
		case c.Alphabet == UCS2 && ch < 0x80:
		default:
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if c.Alphabet == GSM7 {
				k = c.gsm7Units(t, r)
			} else {
				k = c.RuneUnits(r)
			}
		}
		if k == 0 || units+k > max {
			return i, units
		}
		units += k
		i += size
	}
	return len(s), units
}
