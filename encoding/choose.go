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
