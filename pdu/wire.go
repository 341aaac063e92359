package pdu

import (
	"bytes"
	"unsafe"

	"github.com/esmsafrica/smpp/tlv"
)

// decoder reads the mandatory fields of one PDU body. The first error sticks;
// later reads return zero values.
type decoder struct {
	src     []byte
	off     int
	cmd     CommandID
	lenient bool
	err     error
}

func (d *decoder) fail(field string, st Status, err error) {
	if d.err == nil {
		d.err = &FieldError{Command: d.cmd, Field: field, Status: st, Err: err}
	}
}

func (d *decoder) u8(field string) uint8 {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.src) {
		d.fail(field, ESME_RINVCMDLEN, ErrTruncated)
		return 0
	}
	v := d.src[d.off]
	d.off++
	return v
}

func (d *decoder) u32(field string) uint32 {
	if d.err != nil {
		return 0
	}
	if len(d.src)-d.off < 4 {
		d.fail(field, ESME_RINVCMDLEN, ErrTruncated)
		return 0
	}
	b := d.src[d.off:]
	d.off += 4
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// cstring reads a C-Octet String of at most max octets including the NUL. The
// returned string aliases src. In lenient mode a longer string is accepted, and
// a string that runs to the end of the body without a NUL is accepted when
// lastOK is set (the message_id of some responses).
func (d *decoder) cstring(field string, max int, st Status, lastOK bool) string {
	if d.err != nil {
		return ""
	}
	rest := d.src[d.off:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		if d.lenient && lastOK {
			d.off = len(d.src)
			return aliasString(rest)
		}
		if len(rest) >= max {
			d.fail(field, st, ErrNoNUL)
		} else {
			d.fail(field, ESME_RINVCMDLEN, ErrTruncated)
		}
		return ""
	}
	if i+1 > max && !d.lenient {
		d.fail(field, st, ErrTooLong)
		return ""
	}
	d.off += i + 1
	return aliasString(rest[:i])
}

// timeString reads a schedule_delivery_time, validity_period or final_date: a
// lone NUL or 16 characters and a NUL.
func (d *decoder) timeString(field string, st Status) string {
	s := d.cstring(field, 17, st, false)
	if d.err == nil && len(s) != 0 && len(s) != 16 && !d.lenient {
		d.fail(field, st, ErrBadValue)
	}
	return s
}

// octets reads n octets, aliasing src.
func (d *decoder) octets(field string, n int, st Status) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.src)-d.off < n {
		d.fail(field, st, ErrTruncated)
		return nil
	}
	b := d.src[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

// lengthOctets reads a 1-octet length field and the octets it counts (sm_length
// and short_message), at most max octets (a length up to 255 is accepted in
// lenient mode), aliasing src.
func (d *decoder) lengthOctets(lenField, field string, max int, st Status) []byte {
	n := int(d.u8(lenField))
	if d.err == nil && n > max && !d.lenient {
		d.fail(lenField, st, ErrTooLong)
		return nil
	}
	return d.octets(field, n, st)
}

// tlvs scans the rest of the body into dst.
func (d *decoder) tlvs(dst tlv.List) tlv.List {
	dst = dst[:0]
	if d.err != nil || d.off >= len(d.src) {
		return dst
	}
	dst, err := tlv.Scan(dst, d.src[d.off:])
	d.off = len(d.src)
	if err != nil {
		st := ESME_RINVOPTPARSTREAM
		field := "tlv"
		if le, ok := err.(*tlv.LengthError); ok {
			st = ESME_RINVPARLEN
			field = le.Tag.String()
			if d.lenient {
				return dst
			}
		}
		d.fail(field, st, err)
	}
	return dst
}

// end checks that the body has no octets left (for bodies without TLVs).
func (d *decoder) end() {
	if d.err == nil && d.off != len(d.src) && !d.lenient {
		d.fail("body", ESME_RINVCMDLEN, ErrTrailing)
	}
}

// aliasString returns a string sharing b's memory, so that decoding does not
// allocate. Decoded strings are therefore only valid while the decoded bytes are.
func aliasString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// encoder appends the mandatory fields of one PDU body. With check set (the
// Validate methods) it checks the fields as it would to append them, and
// appends nothing.
type encoder struct {
	dst   []byte
	start int
	cmd   CommandID
	err   error
	check bool
}

func newEncoder(dst []byte, cmd CommandID) encoder {
	return encoder{dst: dst, start: len(dst), cmd: cmd}
}

func (e *encoder) fail(field string, st Status, err error) {
	if e.err == nil {
		e.err = &FieldError{Command: e.cmd, Field: field, Status: st, Err: err}
	}
}

func (e *encoder) u8(v uint8) {
	if !e.check {
		e.dst = append(e.dst, v)
	}
}

func (e *encoder) u32(v uint32) {
	if !e.check {
		e.dst = append(e.dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

func (e *encoder) cstring(field, s string, max int, st Status) {
	if len(s)+1 > max {
		e.fail(field, st, ErrTooLong)
		return
	}
	if hasNUL(s) {
		e.fail(field, st, ErrBadValue)
		return
	}
	if e.check {
		return
	}
	e.dst = append(e.dst, s...)
	e.dst = append(e.dst, 0)
}

// putCString writes s and its terminating NUL at b[i:], which has room for
// them, and returns the index after the NUL.
func putCString(b []byte, i int, s string) int {
	i += copy(b[i:], s)
	b[i] = 0
	return i + 1
}

// hasNUL reports whether s holds a zero octet. The strings are short (at most
// 64 octets): eight octets at a time, the last eight (or four) overlapping the
// ones before, with no loop over single octets.
func hasNUL(s string) bool {
	n := len(s)
	switch {
	case n >= 8:
		for i := 0; i+8 <= n; i += 8 {
			if zeroIn8(s[i:]) {
				return true
			}
		}
		return n%8 != 0 && zeroIn8(s[n-8:])
	case n >= 4:
		return zeroIn4(s) || zeroIn4(s[n-4:])
	case n > 0:
		// One to three octets: these three indexes cover them all.
		return s[0] == 0 || s[n/2] == 0 || s[n-1] == 0
	}
	return false
}

// zeroIn8 reports whether one of the first eight octets of s is zero.
func zeroIn8(s string) bool {
	_ = s[7] // one bounds check, and one load
	v := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	return (v-0x0101010101010101)&^v&0x8080808080808080 != 0
}

// zeroIn4 reports whether one of the first four octets of s is zero.
func zeroIn4(s string) bool {
	_ = s[3]
	v := uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
	return (v-0x01010101)&^v&0x80808080 != 0
}

func (e *encoder) timeString(field, s string, st Status) {
	if len(s) != 0 && len(s) != 16 {
		e.fail(field, st, ErrBadValue)
		return
	}
	e.cstring(field, s, 17, st)
}

// lengthOctets appends a 1-octet length field and b, at most max octets.
func (e *encoder) lengthOctets(field string, b []byte, max int, st Status) {
	if len(b) > max {
		e.fail(field, st, ErrTooLong)
		return
	}
	if e.check {
		return
	}
	e.dst = append(e.dst, byte(len(b)))
	e.dst = append(e.dst, b...)
}

func (e *encoder) tlvs(l tlv.List) {
	if e.check {
		// What tlv.List.AppendBinary refuses: a value too long for its
		// 2-octet length.
		for _, f := range l {
			if len(f.Value) > 0xFFFF {
				e.fail("tlv", ESME_RINVPARLEN, tlv.ErrTooLong)
				return
			}
		}
		return
	}
	var err error
	e.dst, err = l.AppendBinary(e.dst)
	if err != nil {
		e.fail("tlv", ESME_RINVPARLEN, err)
	}
}

// done returns the appended bytes, or the original dst and the first error.
func (e *encoder) done() ([]byte, error) {
	if e.err != nil {
		return e.dst[:e.start], e.err
	}
	return e.dst, nil
}
