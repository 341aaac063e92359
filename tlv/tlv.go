// Package tlv implements the optional parameters (tag, length, value) of SMPP 3.4.
//
// A PDU's optional parameters are kept as a [List] in wire order. Tags this package
// does not know, including the vendor range 0x1400–0x3FFF, are kept verbatim, so a
// PDU decoded and encoded again is byte for byte the same. Values returned by the
// accessors alias the List's storage: a List filled by [Scan] aliases the PDU
// bytes it was scanned from, and is valid only as long as those bytes are.
package tlv

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Field is one optional parameter. Value holds the value octets only (a C-Octet
// String value includes its terminating NUL).
type Field struct {
	Tag   Tag    // the parameter tag; tags this package does not know are kept as they are
	Value []byte // the value octets; nil or empty for a zero-length value
}

// List is the ordered list of a PDU's optional parameters. The zero value is an
// empty list ready to use.
type List []Field

var (
	// ErrStream means the TLV area is malformed: fewer than four octets left for a
	// header, or a length that runs past the end of the PDU. A server answers
	// ESME_RINVOPTPARSTREAM.
	ErrStream = errors.New("smpp: malformed TLV stream")
	// ErrLength means a known tag has a value length its type does not allow
	// (for example message_state with two octets). A server answers ESME_RINVPARLEN.
	ErrLength = errors.New("smpp: TLV value length invalid for its tag")
	// ErrTooLong means a value does not fit the 16-bit length field.
	ErrTooLong = errors.New("smpp: TLV value longer than 65535 octets")
)

// LengthError reports a known tag whose value length is invalid. It wraps ErrLength.
type LengthError struct {
	Tag Tag // the tag whose value length is wrong
	Len int // the length found
}

// Error names the tag and the length found.
func (e *LengthError) Error() string {
	return fmt.Sprintf("smpp: TLV %s has invalid length %d", e.Tag, e.Len)
}

// Unwrap returns ErrLength.
func (e *LengthError) Unwrap() error { return ErrLength }

// Scan parses the TLV area src and appends its fields to dst, which it returns.
// Values alias src. Unknown tags are kept. A truncated header or a length that
// runs past src returns ErrStream; a known tag with a wrong length returns a
// *LengthError, after scanning the rest, so the whole list is still available.
// Scan does not allocate when dst has room for the fields, and allocates
// once otherwise (a decoded PDU's TLVs take one allocation however many
// there are).
func Scan(dst List, src []byte) (List, error) {
	if n := count(src); cap(dst)-len(dst) < n {
		grown := make(List, len(dst), len(dst)+n)
		copy(grown, dst)
		dst = grown
	}
	var lenErr error
	for len(src) > 0 {
		if len(src) < 4 {
			return dst, ErrStream
		}
		tag := Tag(binary.BigEndian.Uint16(src))
		n := int(binary.BigEndian.Uint16(src[2:]))
		if len(src)-4 < n {
			return dst, ErrStream
		}
		v := src[4 : 4+n : 4+n]
		if lenErr == nil && !tag.LengthOK(n) {
			lenErr = &LengthError{Tag: tag, Len: n}
		}
		dst = append(dst, Field{Tag: tag, Value: v})
		src = src[4+n:]
	}
	return dst, lenErr
}

// count returns the number of fields whose headers and values lie within
// src, up to the first that does not.
func count(src []byte) int {
	n := 0
	for len(src) >= 4 {
		l := int(binary.BigEndian.Uint16(src[2:]))
		if len(src)-4 < l {
			break
		}
		n++
		src = src[4+l:]
	}
	return n
}

// AppendBinary appends the wire form of every field, in order, to dst.
func (l List) AppendBinary(dst []byte) ([]byte, error) {
	for _, f := range l {
		if len(f.Value) > 0xFFFF {
			return dst, ErrTooLong
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(f.Tag))
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(f.Value)))
		dst = append(dst, f.Value...)
	}
	return dst, nil
}

// Len returns the number of octets AppendBinary writes.
func (l List) Len() int {
	n := 0
	for _, f := range l {
		n += 4 + len(f.Value)
	}
	return n
}

// Clone returns a deep copy of l that shares no memory with it.
func (l List) Clone() List {
	if l == nil {
		return nil
	}
	n := 0
	for _, f := range l {
		n += len(f.Value)
	}
	buf := make([]byte, 0, n)
	out := make(List, len(l))
	for i, f := range l {
		start := len(buf)
		buf = append(buf, f.Value...)
		out[i] = Field{Tag: f.Tag, Value: buf[start:len(buf):len(buf)]}
	}
	return out
}

// Lookup returns the value of the first field with tag t.
func (l List) Lookup(t Tag) ([]byte, bool) {
	for _, f := range l {
		if f.Tag == t {
			return f.Value, true
		}
	}
	return nil, false
}

// Has reports whether a field with tag t is present.
func (l List) Has(t Tag) bool { _, ok := l.Lookup(t); return ok }

// Set replaces the value of the first field with tag t, or appends a new field.
// The list keeps v (no copy).
func (l *List) Set(t Tag, v []byte) {
	for i := range *l {
		if (*l)[i].Tag == t {
			(*l)[i].Value = v
			return
		}
	}
	*l = append(*l, Field{Tag: t, Value: v})
}

// Add appends a field even if the tag is already present (callback_num may repeat).
func (l *List) Add(t Tag, v []byte) { *l = append(*l, Field{Tag: t, Value: v}) }

// Del removes every field with tag t, keeping the order of the rest.
func (l *List) Del(t Tag) {
	out := (*l)[:0]
	for _, f := range *l {
		if f.Tag != t {
			out = append(out, f)
		}
	}
	*l = out
}

// Uint reads an integer value of 1, 2 or 4 octets.
func (l List) Uint(t Tag) (uint32, bool) {
	v, ok := l.Lookup(t)
	if !ok {
		return 0, false
	}
	switch len(v) {
	case 1:
		return uint32(v[0]), true
	case 2:
		return uint32(binary.BigEndian.Uint16(v)), true
	case 4:
		return binary.BigEndian.Uint32(v), true
	}
	return 0, false
}

// Uint8 reads a one-octet integer value.
func (l List) Uint8(t Tag) (uint8, bool) {
	v, ok := l.Lookup(t)
	if !ok || len(v) != 1 {
		return 0, false
	}
	return v[0], true
}

// Uint16 reads a two-octet integer value.
func (l List) Uint16(t Tag) (uint16, bool) {
	v, ok := l.Lookup(t)
	if !ok || len(v) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

// Uint32 reads a four-octet integer value.
func (l List) Uint32(t Tag) (uint32, bool) {
	v, ok := l.Lookup(t)
	if !ok || len(v) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(v), true
}

// CString returns a C-Octet String value without its NUL (the value aliases the
// list). A value without a NUL is returned whole.
func (l List) CString(t Tag) ([]byte, bool) {
	v, ok := l.Lookup(t)
	if !ok {
		return nil, false
	}
	if n := len(v); n > 0 && v[n-1] == 0 {
		v = v[:n-1]
	}
	return v, true
}

// SetUint8 sets a one-octet integer value.
func (l *List) SetUint8(t Tag, v uint8) { l.Set(t, []byte{v}) }

// SetUint16 sets a two-octet integer value.
func (l *List) SetUint16(t Tag, v uint16) { l.Set(t, binary.BigEndian.AppendUint16(nil, v)) }

// SetUint32 sets a four-octet integer value.
func (l *List) SetUint32(t Tag, v uint32) { l.Set(t, binary.BigEndian.AppendUint32(nil, v)) }

// SetCString sets a C-Octet String value; the NUL is added.
func (l *List) SetCString(t Tag, s string) {
	b := make([]byte, len(s)+1)
	copy(b, s)
	l.Set(t, b)
}
