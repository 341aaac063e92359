package encoding

import (
	"slices"
	"unicode/utf8"
)

// esc is the GSM 7-bit escape septet: the next septet is looked up in the
// extension (single shift) table.
const esc = 0x1B

// GSM7Options selects the GSM 7-bit tables and the handling of characters the
// tables cannot represent. The zero value is the default alphabet and default
// extension table, failing on unencodable characters.
type GSM7Options struct {
	// Locking is the locking shift table that replaces the default alphabet
	// (UDH IE 0x25). NoShift (zero) means the default alphabet.
	Locking Language
	// Single is the single shift table that replaces the default extension
	// table (UDH IE 0x24). NoShift (zero) means the default extension table.
	Single Language
	// Replacement, when not zero, is written instead of every character that
	// the tables cannot represent (it must itself be representable, and counts
	// as many septets as it takes). Zero means such a character is an error.
	// Decoders ignore it.
	Replacement rune
}

// AppendGSM7 appends s encoded in GSM 7-bit, one septet per octet (the
// "unpacked" form most SMSCs use in short_message), to dst and returns the
// extended buffer. A character reached through the extension or single shift
// table takes two octets (escape 0x1B and its code).
//
// A character the tables cannot represent returns an *UnencodableError (with
// dst as it was before the call) unless opts.Replacement is set. AppendGSM7
// does not allocate when dst has room.
func AppendGSM7(dst []byte, s string, opts GSM7Options) ([]byte, error) {
	t, err := tablesFor(opts.Locking, opts.Single)
	if err != nil {
		return dst, err
	}
	return t.appendSeptets(dst, s, opts.Replacement, nil, opts.Locking, opts.Single)
}

// AppendGSM7Packed appends s encoded in GSM 7-bit and packed eight septets to
// seven octets (TS 23.038 §6.1.2.1) to dst. fillBits (0–6) zero bits come
// first, to align the text on a septet boundary after a user data header: use
// FillBits(len(udh)). The last octet follows the CR rule (see PackSeptets).
func AppendGSM7Packed(dst []byte, s string, fillBits int, opts GSM7Options) ([]byte, error) {
	t, err := tablesFor(opts.Locking, opts.Single)
	if err != nil {
		return dst, err
	}
	p := packer{nbits: uint(fillBits % 7)}
	return t.appendSeptets(dst, s, opts.Replacement, &p, opts.Locking, opts.Single)
}

func (t tables) appendSeptets(dst []byte, s string, repl rune, p *packer, lock, single Language) ([]byte, error) {
	rc, err := t.replacementCode(repl)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	if p == nil {
		// Unpacked: at most two septets per input byte (an escaped ASCII
		// character), so one Grow covers the whole text.
		dst = slices.Grow(dst, 2*len(s))
		b := dst[:cap(dst)]
		n := len(dst)
		ascii := &t.lock.ascii
		for i := 0; i < len(s); {
			if v := ascii[s[i]]; v != 0xFF {
				b[n] = v
				n++
				i++
				continue
			}
			r, size := rune(s[i]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(s[i:])
			}
			code := t.code(r)
			if code < 0 {
				if rc < 0 {
					return dst[:start], unencodable(s, i, GSM7, lock, single)
				}
				code = rc
			}
			i += size
			if code >= 0x100 {
				b[n] = esc
				n++
			}
			b[n] = byte(code)
			n++
		}
		return b[:n], nil
	}
	low := &t.lock.low
	for i := 0; i < len(s); {
		c := s[i]
		size := 1
		var code int
		if c < 0x80 && low[c] >= 0 {
			code = int(low[c])
		} else {
			var r rune
			if c < 0x80 {
				r = rune(c)
			} else {
				r, size = utf8.DecodeRuneInString(s[i:])
			}
			code = t.code(r)
			if code < 0 {
				if rc < 0 {
					return dst[:start], unencodable(s, i, GSM7, lock, single)
				}
				code = rc
			}
		}
		i += size
		if p == nil {
			if code >= 0x100 {
				dst = append(dst, esc, byte(code))
			} else {
				dst = append(dst, byte(code))
			}
			continue
		}
		if code >= 0x100 {
			dst = p.put(dst, esc)
		}
		dst = p.put(dst, byte(code))
	}
	if p != nil {
		dst = p.finish(dst)
	}
	return dst, nil
}

// CountSeptets returns the number of septets s takes in GSM 7-bit with the
// given tables: one per character of the locking (or default) table, two per
// character reached through the escape. An unencodable character returns an
// *UnencodableError, unless opts.Replacement is set, in which case it counts
// as the replacement does.
func CountSeptets(s string, opts GSM7Options) (int, error) {
	t, err := tablesFor(opts.Locking, opts.Single)
	if err != nil {
		return 0, err
	}
	rc, err := t.replacementCode(opts.Replacement)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, r := range s {
		k := t.septets(r)
		if k == 0 {
			if rc < 0 {
				return 0, unencodable(s, i, GSM7, opts.Locking, opts.Single)
			}
			k = 1
			if rc >= 0x100 {
				k = 2
			}
		}
		n += k
	}
	return n, nil
}

// septetDecoder turns septets into UTF-8, keeping the escape state.
type septetDecoder struct {
	lock, single *[128]rune
	esc          bool
}

func newSeptetDecoder(opts GSM7Options) septetDecoder {
	d := septetDecoder{lock: &defaultAlphabet, single: &defaultExtension}
	// A receiver that does not know a language falls back to the default
	// tables (TS 23.038).
	if opts.Locking.HasLocking() {
		d.lock = lockingTables[opts.Locking]
	}
	if opts.Single.Known() {
		d.single = singleTables[opts.Single]
	}
	return d
}

func (d *septetDecoder) put(dst []byte, c byte) []byte {
	c &= 0x7F
	var r rune
	if d.esc {
		d.esc = false
		if c == esc {
			// Reserved for a further extension table: show a space.
			return append(dst, ' ')
		}
		r = d.single[c]
		if r == 0 {
			// Undefined escape: show the main table's character.
			r = d.lock[c]
		}
	} else {
		if c == esc {
			d.esc = true
			return dst
		}
		r = d.lock[c]
	}
	if r == 0 {
		r = utf8.RuneError
	}
	if r < 0x80 {
		return append(dst, byte(r))
	}
	return utf8.AppendRune(dst, r)
}

// end flushes a dangling escape as a space.
func (d *septetDecoder) end(dst []byte) []byte {
	if d.esc {
		d.esc = false
		return append(dst, ' ')
	}
	return dst
}

// DecodeGSM7 appends the UTF-8 text of unpacked GSM 7-bit septets (one per
// octet; the top bit is ignored) to dst. Decoding never fails: an escape at the
// very end or an escape followed by another escape becomes a space, an escape
// followed by a code its single shift table lacks shows the main table's
// character, and a code a national table leaves unassigned becomes U+FFFD.
// Unknown languages fall back to the default tables. DecodeGSM7 does not
// allocate when dst has room (at most 3 octets per septet).
func DecodeGSM7(dst, septets []byte, opts GSM7Options) []byte {
	d := newSeptetDecoder(opts)
	if d.lock == &defaultAlphabet && d.single == &defaultExtension {
		// Fast path for the default tables.
		for i := 0; i < len(septets); i++ {
			c := septets[i] & 0x7F
			if c == esc {
				d.esc = true
				for i++; i < len(septets) && d.esc; i++ {
					dst = d.put(dst, septets[i])
				}
				i--
				continue
			}
			r := defaultAlphabet[c]
			if r < 0x80 {
				dst = append(dst, byte(r))
			} else {
				dst = utf8.AppendRune(dst, r)
			}
		}
		return d.end(dst)
	}
	for _, c := range septets {
		dst = d.put(dst, c)
	}
	return d.end(dst)
}

// DecodeGSM7Packed appends the UTF-8 text of packed GSM 7-bit data to dst, as
// UnpackSeptets followed by DecodeGSM7 would, without an intermediate buffer.
func DecodeGSM7Packed(dst, src []byte, fillBits int, opts GSM7Options) []byte {
	fill := fillBits % 7
	n := packedCount(src, fill)
	d := newSeptetDecoder(opts)
	for i := range n {
		dst = d.put(dst, septetAt(src, fill, i))
	}
	return d.end(dst)
}
