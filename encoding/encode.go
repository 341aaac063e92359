package encoding

import "fmt"

// Encode chooses the cheapest encoding of s allowed by opts (see Choose) and
// appends the encoded text to dst (GSM 7-bit unpacked). It does not allocate
// when dst has room.
func Encode(dst []byte, s string, opts Options) (Choice, []byte, error) {
	c, err := Choose(s, opts)
	if err != nil {
		return Choice{}, dst, err
	}
	dst, err = c.Append(dst, s)
	return c, dst, err
}

// Decode appends the UTF-8 text of src, encoded per dc, to dst. For GSM 7-bit,
// tables gives the national tables announced in the UDH (Replacement is
// ignored) and, when dc.Packed, fillBits is the number of fill bits after the
// UDH (FillBits of its length; 0 without a UDH). Binary data, compressed text
// and the alphabets this package does not implement return ErrAlphabet.
func Decode(dst, src []byte, dc DataCoding, tables GSM7Options, fillBits int) ([]byte, error) {
	if dc.Compressed {
		return dst, fmt.Errorf("%w: compressed text", ErrAlphabet)
	}
	switch dc.Alphabet {
	case GSM7:
		if dc.Packed {
			return DecodeGSM7Packed(dst, src, fillBits, tables), nil
		}
		return DecodeGSM7(dst, src, tables), nil
	case UCS2:
		return DecodeUCS2(dst, src), nil
	case Latin1:
		return DecodeLatin1(dst, src), nil
	case ASCII:
		return DecodeASCII(dst, src), nil
	case Cyrillic, Hebrew:
		return decodeCharmap(dst, src, dc.Alphabet), nil
	}
	return dst, fmt.Errorf("%w: cannot decode %s as text", ErrAlphabet, dc.Alphabet)
}
