package pdu

import "strconv"

// Message ids are opaque strings to SMPP, but SMSCs disagree on how to write
// the same id: submit_sm_resp may carry "5A3F0001" (hex) while the receipt text
// says "1514078209" (decimal), or "0221067780" with leading zeros. The helpers
// below compare and key ids across these forms. Prefer the receipted_message_id
// TLV, which SMSCs copy verbatim, whenever a receipt carries it.

// MessageIDEqual reports whether a and b name the same message, trying in
// order: exact equality; equality ignoring ASCII case; equality ignoring case
// and leading zeros; and hexadecimal↔decimal conversion (a read as hex equals
// b read as decimal, or the other way round, each within 64 bits).
//
// The last step can equate different ids when both are short and made only of
// decimal digits ("10" read as hex is 16, so "10" and "16" match). Look up an
// exact match first and use this as the fallback, or know which representation
// the SMSC uses. Empty ids match only each other. It does not allocate.
func MessageIDEqual(a, b string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" {
		return false
	}
	if len(a) == len(b) && equalFoldString(a, b) {
		return true
	}
	ta, tb := trimZeros(a), trimZeros(b)
	if len(ta) == len(tb) && equalFoldString(ta, tb) {
		return true
	}
	if x, ok := parseUint(ta, 16); ok {
		if y, ok := parseUint(tb, 10); ok && x == y {
			return true
		}
	}
	if x, ok := parseUint(ta, 10); ok {
		if y, ok := parseUint(tb, 16); ok && x == y {
			return true
		}
	}
	return false
}

// NormalizeMessageID returns a canonical key for id, for map lookups that
// should find an id whatever form an SMSC wrote it in:
//
//   - an id of decimal digits that fits 64 bits: its decimal value, without
//     leading zeros ("0221067780" → "221067780");
//   - an id of hex digits with at least one letter a–f that fits 64 bits: its
//     value in decimal ("5A3F0001" → "1514078209");
//   - anything else (UUIDs, longer ids, other characters): lower-cased.
//
// Limits: an id of hex digits that happens to have no letter ("12345678") is
// read as decimal, so its key differs from its decimal form's key; that case
// needs MessageIDEqual or knowledge of the SMSC. Ids over 64 bits are only
// lower-cased (leading zeros kept). See AppendNormalizedMessageID for a form
// that does not allocate.
func NormalizeMessageID(id string) string {
	var buf [64]byte
	b := AppendNormalizedMessageID(buf[:0], id)
	if string(b) == id {
		return id
	}
	return string(b)
}

// AppendNormalizedMessageID appends the key NormalizeMessageID returns to
// dst. With a map[string]V, m[string(key)] looks up without allocating.
func AppendNormalizedMessageID(dst []byte, id string) []byte {
	if id == "" {
		return dst
	}
	if v, ok := parseUint(id, 10); ok {
		return strconv.AppendUint(dst, v, 10)
	}
	if hasHexLetter(id) {
		if v, ok := parseUint(id, 16); ok {
			return strconv.AppendUint(dst, v, 10)
		}
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// parseUint reads s as an unsigned number in base 10 or 16, without sign or
// prefix; ok is false for an empty s, another character, or overflow.
func parseUint(s string, base uint64) (uint64, bool) {
	s = trimZeros(s)
	if s == "" {
		return 0, true // all zeros (the caller rejected the empty id)
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		var d uint64
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case base == 16 && c|0x20 >= 'a' && c|0x20 <= 'f':
			d = uint64(c|0x20-'a') + 10
		default:
			return 0, false
		}
		if v > (^uint64(0)-d)/base {
			return 0, false
		}
		v = v*base + d
	}
	return v, true
}

func hasHexLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c >= 'a' && c <= 'f' {
			return true
		}
	}
	return false
}

func trimZeros(s string) string {
	for len(s) > 0 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

func equalFoldString(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c, d := a[i], b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if d >= 'A' && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}
