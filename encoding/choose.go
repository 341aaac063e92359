package encoding

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Options says which encodings Choose may use for a text.
//
// The zero value allows the GSM 7-bit default alphabet and UCS-2, and fails on
// nothing (every valid text fits UCS-2).
type Options struct {
	// Languages lists the national languages whose shift tables the
	// destination's handsets are known to support (nil: none, the default).
	// Choose then also considers GSM 7-bit with those single shift and
	// locking shift tables.
	Languages []Language
	// SingleShiftOnly restricts national tables to single shift tables
	// (false: locking shift tables are allowed too).
	SingleShiftOnly bool
	// AllowLatin1 lets Choose pick ISO-8859-1 (data_coding 0x03) when it is
	// cheaper than UCS-2 (false: never).
	AllowLatin1 bool
	// Force, when not Unknown (the zero value), is the only alphabet Choose may
	// use: GSM7 (still choosing among the allowed national tables), ASCII,
	// Latin1, Cyrillic, Hebrew or UCS2.
	Force Alphabet
	// Replacement, when not zero, is written instead of each character the
	// chosen alphabet cannot represent (U+003F '?' is a usual choice). It only
	// matters with Force, or for bytes that are not valid UTF-8. Zero (the
	// default) means such a character is an *UnencodableError: text is never
	// changed silently.
	Replacement rune
}

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

// Choose picks the cheapest encoding of s allowed by opts. Cheapest means the
// fewest SMS segments (counting the 3 octets of UDH each national table costs);
// among equals it prefers, in order, the GSM 7-bit default alphabet, GSM 7-bit
// with a national single shift table of opts.Languages, GSM 7-bit with a
// national locking shift table, ISO-8859-1 (only when allowed) and UCS-2. It
// does not allocate.
func Choose(s string, opts Options) (Choice, error) {
	for _, l := range opts.Languages {
		if l == NoShift || !l.Known() {
			return Choice{}, fmt.Errorf("%w: %s", ErrLanguage, l)
		}
	}
	switch opts.Force {
	case Unknown, GSM7:
	case UCS2, Latin1, ASCII, Cyrillic, Hebrew:
		return chooseForced(s, opts)
	default:
		return Choice{}, fmt.Errorf("%w: cannot encode text as %s", ErrAlphabet, opts.Force)
	}

	def, _ := tablesFor(NoShift, NoShift)
	n, bad := def.count(s)
	if bad < 0 {
		return Choice{Alphabet: GSM7, Units: n, Replacement: opts.Replacement}, nil
	}

	best := Choice{Alphabet: Unknown}
	bestRank := rank{segments: int(^uint(0) >> 1)}
	if len(opts.Languages) > 0 {
		if c, r, ok := chooseNational(s, opts); ok {
			best, bestRank = c, r
		}
	}
	if opts.Force == GSM7 {
		if best.Alphabet == GSM7 {
			return best, nil
		}
		if opts.Replacement == 0 {
			return Choice{}, unencodable(s, bad, GSM7, NoShift, NoShift)
		}
		n, err := CountSeptets(s, GSM7Options{Replacement: opts.Replacement})
		if err != nil {
			return Choice{}, err
		}
		return Choice{Alphabet: GSM7, Units: n, Replacement: opts.Replacement}, nil
	}
	if opts.AllowLatin1 {
		if n, ok := countLatin1(s, 0xFF); ok {
			if r := (rank{segments: segments(n, 140, 134), pref: 3}); r.less(bestRank) {
				best, bestRank = Choice{Alphabet: Latin1, Units: n, Replacement: opts.Replacement}, r
			}
		}
	}
	units, valid := countUTF16Valid(s)
	if !valid && opts.Replacement == 0 {
		if best.Alphabet != Unknown {
			return best, nil
		}
		return Choice{}, unencodable(s, firstInvalid(s), UCS2, NoShift, NoShift)
	}
	if r := (rank{segments: segments(units, 70, 67), pref: 4}); r.less(bestRank) {
		best = Choice{Alphabet: UCS2, Units: units, Replacement: opts.Replacement}
	}
	return best, nil
}

// rank orders candidate encodings: fewer SMS segments first, then the
// preference order (default GSM 7-bit, single shift only, locking shift,
// Latin-1, UCS-2), then fewer bits.
type rank struct {
	segments, pref, bits int
}

func (a rank) less(b rank) bool {
	if a.segments != b.segments {
		return a.segments < b.segments
	}
	if a.pref != b.pref {
		return a.pref < b.pref
	}
	return a.bits < b.bits
}

// segments estimates the SMS count of a text of n units, with capacity one
// for a single message and more per part of a concatenated one (8-bit
// reference).
func segments(n, one, more int) int {
	if n <= one {
		return 1
	}
	return (n + more - 1) / more
}

// gsm7Capacity returns the septets that fit in 140 octets after a UDH of hdr
// octets (UDHL included).
func gsm7Capacity(hdr int) int { return (1120 - 8*hdr) / 7 }

func chooseForced(s string, opts Options) (Choice, error) {
	c := Choice{Alphabet: opts.Force, Replacement: opts.Replacement}
	if opts.Force == UCS2 {
		units, valid := countUTF16Valid(s)
		if !valid && opts.Replacement == 0 {
			return Choice{}, unencodable(s, firstInvalid(s), UCS2, NoShift, NoShift)
		}
		c.Units = units
		return c, nil
	}
	if opts.Replacement != 0 && !byteEncodable(opts.Force, opts.Replacement) {
		return Choice{}, &UnencodableError{Rune: opts.Replacement, Offset: -1, Index: -1, Alphabet: opts.Force}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		invalid := r == utf8.RuneError && size == 1
		if (invalid || !byteEncodable(opts.Force, r)) && opts.Replacement == 0 {
			return Choice{}, unencodable(s, i, opts.Force, NoShift, NoShift)
		}
		c.Units++
		i += size
	}
	return c, nil
}

// byteEncodable reports whether r has a code in a one-octet alphabet.
func byteEncodable(a Alphabet, r rune) bool {
	switch a {
	case ASCII:
		return r < 0x80
	case Latin1:
		return r <= 0xFF
	case Cyrillic:
		_, ok := charmap.ISO8859_5.EncodeRune(r)
		return ok
	case Hebrew:
		_, ok := charmap.ISO8859_8.EncodeRune(r)
		return ok
	}
	return false
}

// chooseNational finds the cheapest pair of national tables covering s.
func chooseNational(s string, opts Options) (Choice, rank, bool) {
	locks := [numLanguages]Language{NoShift}
	singles := [numLanguages]Language{NoShift}
	nl, ns := 1, 1
	var seen [numLanguages]bool
	for _, l := range opts.Languages {
		if seen[l] {
			continue
		}
		seen[l] = true
		singles[ns] = l
		ns++
		if l.HasLocking() && !opts.SingleShiftOnly {
			locks[nl] = l
			nl++
		}
	}
	var lt, st [numLanguages]*revTable
	for i := range nl {
		lt[i] = revLocking[locks[i]].get(lockingTables[locks[i]])
	}
	for j := range ns {
		st[j] = revSingle[singles[j]].get(singleTables[singles[j]])
	}
	var count [numLanguages][numLanguages]int
	var dead [numLanguages][numLanguages]bool
	for _, r := range s {
		var inS [numLanguages]bool
		for j := range ns {
			inS[j] = st[j].code(r) >= 0
		}
		for i := range nl {
			if lt[i].code(r) >= 0 {
				for j := range ns {
					count[i][j]++
				}
				continue
			}
			for j := range ns {
				if inS[j] {
					count[i][j] += 2
				} else {
					dead[i][j] = true
				}
			}
		}
	}
	var best Choice
	var bestRank rank
	found := false
	for i := range nl {
		for j := range ns {
			if dead[i][j] {
				continue
			}
			ies, pref := 0, 1
			if i > 0 {
				ies++
				pref = 2
			}
			if j > 0 {
				ies++
			}
			n := count[i][j]
			one := gsm7Capacity(1 + 3*ies)
			more := gsm7Capacity(1 + 5 + 3*ies)
			r := rank{segments: segments(n, one, more), pref: pref, bits: 7*n + 24*ies}
			if !found || r.less(bestRank) {
				best = Choice{Alphabet: GSM7, Locking: locks[i], Single: singles[j],
					Units: n, Replacement: opts.Replacement}
				bestRank, found = r, true
			}
		}
	}
	return best, bestRank, found
}

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
