package udh

import (
	"encoding/binary"
	"strconv"

	"github.com/esmsafrica/smpp/encoding"
)

// IEI is an information element identifier (TS 23.040 §9.2.3.24).
type IEI uint8

// Information element identifiers this package interprets. Any other IE is
// kept verbatim.
const (
	IEIConcat8       IEI = 0x00 // concatenated short messages, 8-bit reference
	IEISpecialSMS    IEI = 0x01 // special SMS message indication
	IEIPort8         IEI = 0x04 // application port addressing, 8-bit ports
	IEIPort16        IEI = 0x05 // application port addressing, 16-bit ports
	IEIConcat16      IEI = 0x08 // concatenated short messages, 16-bit reference
	IEISingleShift   IEI = 0x24 // national language single shift
	IEILockingShift  IEI = 0x25 // national language locking shift
	ieiNone          IEI = 0xFF
	maxHeaderPayload     = 255
)

// String returns the IE's name, or its hexadecimal value.
func (i IEI) String() string {
	switch i {
	case IEIConcat8:
		return "concat-8"
	case IEISpecialSMS:
		return "special-sms"
	case IEIPort8:
		return "port-8"
	case IEIPort16:
		return "port-16"
	case IEIConcat16:
		return "concat-16"
	case IEISingleShift:
		return "single-shift"
	case IEILockingShift:
		return "locking-shift"
	}
	return "IEI(0x" + strconv.FormatUint(uint64(i), 16) + ")"
}

// dataLen returns the IE data length TS 23.040 requires for i, or -1 if any.
func (i IEI) dataLen() int {
	switch i {
	case IEIConcat8:
		return 3
	case IEIPort8, IEISpecialSMS:
		return 2
	case IEIPort16, IEIConcat16:
		return 4
	case IEISingleShift, IEILockingShift:
		return 1
	}
	return -1
}

// IE is one information element. Data holds the IE data only (not the IEI or
// length octets).
type IE struct {
	ID   IEI
	Data []byte
}

// Header is a user data header: its information elements in wire order. IEs
// this package does not interpret are kept verbatim. A Header filled by Parse
// aliases the bytes it was parsed from. The zero value is an empty header.
type Header []IE

// Concat is a concatenation IE: this segment's place in a long message.
type Concat struct {
	// Ref is the reference number shared by all segments of the message.
	Ref uint16
	// Total is the number of segments (1–255).
	Total uint8
	// Seq is this segment's number, 1..Total.
	Seq uint8
	// Ref16 selects the 16-bit reference IE (0x08) instead of 0x00.
	Ref16 bool
}

// Ports is an application port addressing IE.
type Ports struct {
	// Dst and Src are the destination and originator ports.
	Dst, Src uint16
	// Wide selects the 16-bit port IE (0x05); false is the 8-bit IE (0x04),
	// which requires ports below 256.
	Wide bool
}

// Parse parses the user data header at the start of sm (a short_message or
// message_payload sent with esm_class UDHI) and appends its IEs to dst. It
// returns the header and the user data after it. The IEs alias sm.
//
// A UDHL of 0, a header longer than sm, or an IE running past the header is a
// *HeaderError wrapping ErrMalformed, and nothing is returned. An interpreted
// IE with the wrong data length (a concatenation IE of 2 octets, say) is a
// *HeaderError wrapping ErrIELength, returned with the full header and
// payload so the caller may still use them. Parse does not allocate when dst
// has room.
func Parse(dst Header, sm []byte) (Header, []byte, error) {
	if len(sm) == 0 {
		return dst, nil, &HeaderError{Offset: 0, IEI: ieiNone, Err: ErrMalformed, Reason: "empty user data"}
	}
	udhl := int(sm[0])
	if udhl == 0 {
		return dst, nil, &HeaderError{Offset: 0, IEI: ieiNone, Err: ErrMalformed, Reason: "UDHL is 0"}
	}
	if udhl+1 > len(sm) {
		return dst, nil, &HeaderError{Offset: 0, IEI: ieiNone, Err: ErrMalformed,
			Reason: "UDHL " + strconv.Itoa(udhl) + " runs past the user data of " + strconv.Itoa(len(sm)) + " octets"}
	}
	start := len(dst)
	var lenErr error
	for off := 1; off < udhl+1; {
		if off+2 > udhl+1 {
			return dst[:start], nil, &HeaderError{Offset: off, IEI: IEI(sm[off]), Err: ErrMalformed, Reason: "IE header truncated"}
		}
		id, n := IEI(sm[off]), int(sm[off+1])
		if off+2+n > udhl+1 {
			return dst[:start], nil, &HeaderError{Offset: off, IEI: id, Err: ErrMalformed,
				Reason: "IE length " + strconv.Itoa(n) + " runs past the header"}
		}
		if want := id.dataLen(); want >= 0 && n != want && lenErr == nil {
			lenErr = &HeaderError{Offset: off, IEI: id, Err: ErrIELength,
				Reason: "length " + strconv.Itoa(n) + ", want " + strconv.Itoa(want)}
		}
		dst = append(dst, IE{ID: id, Data: sm[off+2 : off+2+n : off+2+n]})
		off += 2 + n
	}
	return dst, sm[udhl+1:], lenErr
}

// Len returns the header's size on the wire, UDHL octet included; 0 for an
// empty header.
func (h Header) Len() int {
	if len(h) == 0 {
		return 0
	}
	n := 1
	for _, ie := range h {
		n += 2 + len(ie.Data)
	}
	return n
}

// AppendBinary appends the header (UDHL and IEs) to dst. An empty header
// appends nothing. A header longer than 255 octets, or an IE longer than 255
// octets, returns ErrTooLong.
func (h Header) AppendBinary(dst []byte) ([]byte, error) {
	n := h.Len()
	if n == 0 {
		return dst, nil
	}
	if n-1 > maxHeaderPayload {
		return dst, ErrTooLong
	}
	dst = append(dst, byte(n-1))
	for _, ie := range h {
		if len(ie.Data) > 255 {
			return dst, ErrTooLong
		}
		dst = append(dst, byte(ie.ID), byte(len(ie.Data)))
		dst = append(dst, ie.Data...)
	}
	return dst, nil
}

// Lookup returns the data of the last IE with identifier id (TS 23.040: a
// repeated IE's last occurrence counts).
func (h Header) Lookup(id IEI) ([]byte, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].ID == id {
			return h[i].Data, true
		}
	}
	return nil, false
}

// Concat returns the concatenation IE (8- or 16-bit reference, the later one
// if both appear). ok is false when there is none, or when it is to be ignored
// (wrong length, total 0, sequence 0 or above total).
func (h Header) Concat() (c Concat, ok bool) {
	for i := len(h) - 1; i >= 0; i-- {
		d := h[i].Data
		switch {
		case h[i].ID == IEIConcat8 && len(d) == 3:
			c = Concat{Ref: uint16(d[0]), Total: d[1], Seq: d[2]}
		case h[i].ID == IEIConcat16 && len(d) == 4:
			c = Concat{Ref: binary.BigEndian.Uint16(d), Total: d[2], Seq: d[3], Ref16: true}
		default:
			continue
		}
		return c, c.Total > 0 && c.Seq > 0 && c.Seq <= c.Total
	}
	return Concat{}, false
}

// Ports returns the application port addressing IE (the later one if both
// sizes appear).
func (h Header) Ports() (p Ports, ok bool) {
	for i := len(h) - 1; i >= 0; i-- {
		d := h[i].Data
		switch {
		case h[i].ID == IEIPort8 && len(d) == 2:
			return Ports{Dst: uint16(d[0]), Src: uint16(d[1])}, true
		case h[i].ID == IEIPort16 && len(d) == 4:
			return Ports{Dst: binary.BigEndian.Uint16(d), Src: binary.BigEndian.Uint16(d[2:]), Wide: true}, true
		}
	}
	return Ports{}, false
}

// SingleShift returns the national language single shift IE's language.
func (h Header) SingleShift() (encoding.Language, bool) { return h.language(IEISingleShift) }

// LockingShift returns the national language locking shift IE's language.
func (h Header) LockingShift() (encoding.Language, bool) { return h.language(IEILockingShift) }

func (h Header) language(id IEI) (encoding.Language, bool) {
	d, ok := h.Lookup(id)
	if !ok || len(d) != 1 {
		return encoding.NoShift, false
	}
	return encoding.Language(d[0]), true
}

// Tables returns the GSM 7-bit tables the header selects (NoShift where it
// has no shift IE), ready for encoding.DecodeGSM7.
func (h Header) Tables() encoding.GSM7Options {
	var o encoding.GSM7Options
	o.Locking, _ = h.LockingShift()
	o.Single, _ = h.SingleShift()
	return o
}

// ConcatIE returns the IE for c.
func ConcatIE(c Concat) IE {
	if c.Ref16 {
		return IE{ID: IEIConcat16, Data: []byte{byte(c.Ref >> 8), byte(c.Ref), c.Total, c.Seq}}
	}
	return IE{ID: IEIConcat8, Data: []byte{byte(c.Ref), c.Total, c.Seq}}
}

// PortsIE returns the IE for p.
func PortsIE(p Ports) IE {
	if p.Wide {
		return IE{ID: IEIPort16, Data: []byte{byte(p.Dst >> 8), byte(p.Dst), byte(p.Src >> 8), byte(p.Src)}}
	}
	return IE{ID: IEIPort8, Data: []byte{byte(p.Dst), byte(p.Src)}}
}

// SingleShiftIE returns the national language single shift IE for l.
func SingleShiftIE(l encoding.Language) IE { return IE{ID: IEISingleShift, Data: []byte{byte(l)}} }

// LockingShiftIE returns the national language locking shift IE for l.
func LockingShiftIE(l encoding.Language) IE { return IE{ID: IEILockingShift, Data: []byte{byte(l)}} }

// headerSpec is the set of IEs the splitter writes, built without allocating.
type headerSpec struct {
	ports        *Ports
	lock, single encoding.Language
	concat       bool
	ref16        bool
	ref          uint16
	total, seq   uint8
}

// base returns the octets of the IEs other than concatenation.
func (s *headerSpec) base() int {
	n := 0
	if s.ports != nil {
		n += 4
		if s.ports.Wide {
			n += 2
		}
	}
	if s.lock != encoding.NoShift {
		n += 3
	}
	if s.single != encoding.NoShift {
		n += 3
	}
	return n
}

func concatLen(ref16 bool) int {
	if ref16 {
		return 6
	}
	return 5
}

// size returns the header octets (UDHL included), 0 when empty.
func (s *headerSpec) size() int {
	n := s.base()
	if s.concat {
		n += concatLen(s.ref16)
	}
	if n == 0 {
		return 0
	}
	return n + 1
}

func (s *headerSpec) append(dst []byte) []byte {
	n := s.size()
	if n == 0 {
		return dst
	}
	dst = append(dst, byte(n-1))
	if s.concat {
		if s.ref16 {
			dst = append(dst, byte(IEIConcat16), 4, byte(s.ref>>8), byte(s.ref), s.total, s.seq)
		} else {
			dst = append(dst, byte(IEIConcat8), 3, byte(s.ref), s.total, s.seq)
		}
	}
	if p := s.ports; p != nil {
		if p.Wide {
			dst = append(dst, byte(IEIPort16), 4, byte(p.Dst>>8), byte(p.Dst), byte(p.Src>>8), byte(p.Src))
		} else {
			dst = append(dst, byte(IEIPort8), 2, byte(p.Dst), byte(p.Src))
		}
	}
	if s.lock != encoding.NoShift {
		dst = append(dst, byte(IEILockingShift), 1, byte(s.lock))
	}
	if s.single != encoding.NoShift {
		dst = append(dst, byte(IEISingleShift), 1, byte(s.single))
	}
	return dst
}
