package pdu

import (
	"slices"
	"strconv"
)

// Message ids are opaque strings to SMPP, but SMSCs disagree on how to write
// the same id: submit_sm_resp may carry "5A3F0001" while the receipt text says
// "5a3f0001", "05A3F0001" or even "1514078209" (the same number in decimal).
// NormalizeMessageID keys an id across case, zero padding and white space;
// OtherBaseMessageIDKeys gives the keys to try for the other base, and
// MessageIDEqual compares across all of these. Prefer the receipted_message_id
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

// NormalizeMessageID returns the key of message id id, for map lookups that
// must find an id however one SMSC wrote it, and never confuse two ids. It
// drops what does not make an id another id:
//
//   - white space and NULs around it ("  5a3f0001\x00" is "5a3f0001");
//   - the case of ASCII letters ("5A3F0001" is "5a3f0001");
//   - leading zeros ("0221067780" is "221067780"; an id of zeros only is "0").
//
// Two ids have the same key exactly when they differ only in these. Nothing
// else is changed: in particular an id is not read as a number, so the same
// number written in another base is another id ("a" and "10" have different
// keys, though hex a is 10). When an SMSC writes a receipt's id in another
// base than its submit_sm_resp, look the receipt up by its own key first,
// and then by OtherBaseMessageIDKeys.
//
// Limits: ids are taken as case-insensitive (hex ids come in either case), so
// an SMSC whose ids differ only in case (base 62) needs them as they are; and
// leading zeros are dropped from every id, numeric or not. It does not
// allocate when id is its own key; see AppendNormalizedMessageID for a form
// that never does.
func NormalizeMessageID(id string) string {
	if isNormalizedMessageID(id) {
		return id
	}
	var buf [64]byte
	return string(AppendNormalizedMessageID(buf[:0], id))
}

// AppendNormalizedMessageID appends the key NormalizeMessageID returns to
// dst. With a map[string]V, m[string(key)] looks up without allocating.
func AppendNormalizedMessageID(dst []byte, id string) []byte {
	id = trimMessageID(id)
	if id == "" {
		return dst
	}
	if t := trimZeros(id); t != "" {
		id = t
	} else {
		id = "0"
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

// isNormalizedMessageID reports whether id is its own key.
func isNormalizedMessageID(id string) bool {
	if id == "" {
		return true
	}
	if isSpace(id[0]) || isSpace(id[len(id)-1]) || (id[0] == '0' && len(id) > 1) {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return true
}

// trimMessageID drops white space and NULs around id.
func trimMessageID(id string) string {
	for len(id) > 0 && isSpace(id[0]) {
		id = id[1:]
	}
	for len(id) > 0 && isSpace(id[len(id)-1]) {
		id = id[:len(id)-1]
	}
	return id
}

// OtherBaseMessageIDKeys returns the keys (see NormalizeMessageID) of the ids
// that write id's number in the other base: for an id of decimal digits, its
// value in hexadecimal; for an id of hexadecimal digits, its value in
// decimal; both for an id of decimal digits only, which reads either way
// ("10" gives "a", its value read as decimal, and "16", its value read as
// hex). Values must fit 64 bits. It returns nil for any other id, and never
// id's own key.
//
// These are different ids that an SMSC may mean as one: some answer
// submit_sm with a hex id and write the receipt text in decimal, or the
// reverse. Try them only after the receipt's own key found nothing (the
// receipted_message_id TLV, which SMSCs copy verbatim, never needs them), as
// they can name another message of the same SMSC.
func OtherBaseMessageIDKeys(id string) []string {
	key := NormalizeMessageID(id)
	var out []string
	if v, ok := parseUint(key, 10); ok && key != "" {
		if k := strconv.FormatUint(v, 16); k != key {
			out = append(out, k)
		}
	}
	if v, ok := parseUint(key, 16); ok && key != "" {
		if k := strconv.FormatUint(v, 10); k != key && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
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
