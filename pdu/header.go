package pdu

import "encoding/binary"

// HeaderLen is the size of a PDU header.
const HeaderLen = 16

// MaxSequence is the largest valid sequence_number; sequences wrap from it to 1.
const MaxSequence = 0x7FFFFFFF

// Header is the 16-octet header every PDU starts with.
type Header struct {
	Length   uint32    // command_length: the whole PDU, header included
	ID       CommandID // command_id
	Status   Status    // command_status: 0 in requests
	Sequence uint32    // sequence_number, echoed by the response
}

// ParseHeader reads a header from the first 16 octets of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, ErrShortHeader
	}
	return Header{
		Length:   binary.BigEndian.Uint32(b),
		ID:       CommandID(binary.BigEndian.Uint32(b[4:])),
		Status:   Status(binary.BigEndian.Uint32(b[8:])),
		Sequence: binary.BigEndian.Uint32(b[12:]),
	}, nil
}

// AppendBinary appends the 16-octet header to dst.
func (h Header) AppendBinary(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, h.Length)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.ID))
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Status))
	return binary.BigEndian.AppendUint32(dst, h.Sequence)
}

// NextSequence returns the sequence number after s, wrapping from MaxSequence to 1.
func NextSequence(s uint32) uint32 {
	if s >= MaxSequence {
		return 1
	}
	return s + 1
}
