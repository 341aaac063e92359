// Package pdu defines the protocol data units of SMPP 3.4: the header, the
// command ids and status codes, and every PDU body as a plain struct.
//
// Bodies encode by appending to a caller's buffer and decode from a frame without
// allocating:
//
//	buf, err := pdu.AppendPDU(buf[:0], seq, pdu.ESME_ROK, &pdu.SubmitSM{...})
//	var sm pdu.SubmitSM
//	err = sm.UnmarshalBinary(body)
//
// Decoding does not copy: the strings and byte slices of a decoded body alias the
// bytes it was decoded from, and are valid only while those bytes are not reused.
// Call the body's Clone method to keep a copy beyond that.
//
// Every body has a Validate method: it checks the fields against their SMPP
// 3.4 limits as AppendBinary does, without encoding, for a server that reads
// requests leniently (DecodeOptions) and must refuse, before accepting one,
// what it could not forward.
//
// Errors are typed: a *FieldError names the PDU and the field and carries the
// command_status a server must answer with (see StatusOf). Status implements
// error, so errors.Is(err, pdu.ESME_RTHROTTLED) works across wrapping.
package pdu

import "encoding/binary"

//go:generate go run ./internal/gen -table bodies.txt -out zpdu.go

// PDU is a PDU body. AppendBinary appends the body (without the header) to dst;
// UnmarshalBinary fills the struct from a body (without the header).
type PDU interface {
	CommandID() CommandID
	AppendBinary(dst []byte) ([]byte, error)
	UnmarshalBinary(body []byte) error
}

// DecodeOptions select how strictly bodies are decoded. The zero value is strict.
type DecodeOptions struct {
	// Lenient accepts the deviations real peers send: C-Octet Strings longer than
	// their spec maximum, a response's last C-Octet String (message_id, a
	// bind_resp's system_id) or an outbind's password without its NUL at the end
	// of the body (a request's, such as a bind's address_range, is refused),
	// time strings of other lengths, trailing octets after a TLV-less body, and
	// known TLVs with a wrong length (kept as they are). Error responses with or
	// without a body are accepted in both modes.
	Lenient bool
}

// Unmarshal decodes body into p with these options. For the bodies of this
// package it does not allocate.
func (o DecodeOptions) Unmarshal(p PDU, body []byte) error {
	d := decoder{src: body, cmd: p.CommandID(), lenient: o.Lenient}
	if !decodeBody(p, &d) {
		return p.UnmarshalBinary(body)
	}
	return d.err
}

// AppendPDU appends a whole PDU, header and body, to dst: it reserves the header,
// appends the body and backfills command_length. A response with a non-zero
// status is written header-only, as SMPP 3.4 says (generic_nack has no body
// anyway), except a BindResp whose BodyOnError is set.
func AppendPDU(dst []byte, seq uint32, status Status, p PDU) ([]byte, error) {
	start := len(dst)
	id := p.CommandID()
	dst = Header{ID: id, Status: status, Sequence: seq}.AppendBinary(dst)
	if !(id.IsResponse() && status != ESME_ROK) || bodyOnError(p) {
		var err error
		dst, err = p.AppendBinary(dst)
		if err != nil {
			return dst[:start], err
		}
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst, nil
}

// bodyOnError reports whether p is a response to write with its body even
// with a non-zero command_status: only a bind_resp, when it asks for it.
func bodyOnError(p PDU) bool {
	r, ok := p.(*BindResp)
	return ok && r.BodyOnError
}

// Decode parses a whole PDU (header and body) into a new body of the right type.
// The body aliases frame. An unknown command_id returns the header and an error
// wrapping ErrUnknownCommand. A response with a non-zero command_status never
// fails on its body: a body present is decoded leniently, and dropped (the
// zero body is returned) when even that fails.
func Decode(frame []byte, opts DecodeOptions) (Header, PDU, error) {
	h, err := ParseHeader(frame)
	if err != nil {
		return h, nil, err
	}
	if int(h.Length) != len(frame) {
		return h, nil, &FieldError{Command: h.ID, Field: "command_length", Status: ESME_RINVCMDLEN, Err: ErrBadValue}
	}
	p := New(h.ID)
	if p == nil {
		return h, nil, &FieldError{Command: h.ID, Field: "command_id", Status: ESME_RINVCMDID, Err: ErrUnknownCommand}
	}
	body := frame[HeaderLen:]
	if h.ID.IsResponse() && h.Status != ESME_ROK && len(body) > 0 {
		// An error response: its status is what counts. Peers that send a body
		// with it send all sorts; decode what can be decoded, else drop it.
		if err := (DecodeOptions{Lenient: true}).Unmarshal(p, body); err != nil {
			p = New(h.ID)
		}
		return h, p, nil
	}
	return h, p, opts.Unmarshal(p, body)
}
