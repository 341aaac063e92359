// Package codec frames SMPP PDUs on a byte stream.
//
// A Reader reads one PDU at a time into a buffer it reuses, and checks
// command_length against a maximum before it reads the body, so a hostile length
// costs nothing. A Writer appends PDUs into one buffer (reserving the header,
// appending the body, backfilling command_length), so that many PDUs leave in
// one write.
package codec

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/esmsafrica/smpp/pdu"
)

// DefaultMaxLen is the largest command_length a Reader accepts by default: a
// 64 KiB message_payload plus room for the header and the other fields.
const DefaultMaxLen = 70 * 1024

// ErrLength reports a command_length below 16 or above the Reader's maximum. The
// stream cannot be resynchronised after it: answer generic_nack with
// ESME_RINVCMDLEN and close the connection.
var ErrLength = errors.New("smpp: command_length out of range")

// LengthError is returned by Reader.Read for a command_length out of range. It
// wraps ErrLength and pdu.ESME_RINVCMDLEN.
type LengthError struct {
	Length   uint32 // the command_length read
	Max      int    // the Reader's maximum
	Sequence uint32 // the sequence_number, when the header could be read (else 0)
}

// Error implements error.
func (e *LengthError) Error() string {
	return fmt.Sprintf("smpp: command_length %d out of range 16..%d; the connection must be closed", e.Length, e.Max)
}

// Unwrap returns ErrLength and pdu.ESME_RINVCMDLEN.
func (e *LengthError) Unwrap() []error { return []error{ErrLength, pdu.ESME_RINVCMDLEN} }

// Frame is one PDU as read: its header and its body. Body aliases the Reader's
// buffer and is valid only until the next call to Read.
type Frame struct {
	pdu.Header
	Body []byte
	raw  []byte
}

// Bytes returns the whole PDU. Like Body, it is valid until the next Read.
func (f Frame) Bytes() []byte { return f.raw }

// Reader reads PDUs from a stream.
type Reader struct {
	br  *bufio.Reader
	max int
	buf []byte // for PDUs larger than the bufio buffer
}

// NewReader returns a Reader on r that accepts PDUs of at most maxLen octets
// (DefaultMaxLen when maxLen <= 0).
func NewReader(r io.Reader, maxLen int) *Reader {
	if maxLen <= 0 {
		maxLen = DefaultMaxLen
	}
	return &Reader{br: bufio.NewReaderSize(r, 16*1024), max: maxLen}
}

// Read reads the next PDU. The returned Frame aliases the Reader's buffer until
// the next Read. A command_length out of range returns a *LengthError; io.EOF
// means the peer closed between PDUs, io.ErrUnexpectedEOF inside one. An unknown
// command_id is not an error here: the Frame is returned for the caller to answer
// with generic_nack ESME_RINVCMDID.
func (r *Reader) Read() (Frame, error) {
	// command_length is checked as soon as its four octets are in, so a short
	// or hostile length is answered without waiting for the rest.
	lb, err := r.br.Peek(4)
	if err != nil {
		if err == io.EOF && len(lb) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(lb)
	if n < pdu.HeaderLen || int64(n) > int64(r.max) {
		le := &LengthError{Length: n, Max: r.max}
		if n >= pdu.HeaderLen && r.br.Buffered() >= pdu.HeaderLen {
			hb, _ := r.br.Peek(pdu.HeaderLen)
			le.Sequence = binary.BigEndian.Uint32(hb[12:])
		}
		return Frame{}, le
	}
	var raw []byte
	if int(n) <= r.br.Size() {
		raw, err = r.br.Peek(int(n))
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Frame{}, err
		}
		_, _ = r.br.Discard(int(n))
	} else {
		if cap(r.buf) < int(n) {
			r.buf = make([]byte, n)
		}
		raw = r.buf[:n]
		if _, err := io.ReadFull(r.br, raw); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Frame{}, err
		}
	}
	h, _ := pdu.ParseHeader(raw)
	return Frame{Header: h, Body: raw[pdu.HeaderLen:], raw: raw}, nil
}

// HasFrame reports whether a whole PDU is already buffered, so that the next
// Read returns without waiting for the stream.
func (r *Reader) HasFrame() bool {
	n := r.br.Buffered()
	if n < 4 {
		return false
	}
	b, _ := r.br.Peek(4)
	l := int(binary.BigEndian.Uint32(b))
	return l >= pdu.HeaderLen && l <= n
}

// Buffered returns the number of octets read from the stream but not yet returned.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// Writer accumulates PDUs in one buffer for a single write.
type Writer struct {
	buf []byte
}

// Append appends a whole PDU to the buffer. A response with a non-zero status is
// written header-only (see pdu.AppendPDU).
func (w *Writer) Append(seq uint32, status pdu.Status, p pdu.PDU) error {
	var err error
	w.buf, err = pdu.AppendPDU(w.buf, seq, status, p)
	return err
}

// AppendHeaderOnly appends a PDU that is only a header (generic_nack, or an
// error response).
func (w *Writer) AppendHeaderOnly(id pdu.CommandID, status pdu.Status, seq uint32) {
	w.buf = pdu.Header{Length: pdu.HeaderLen, ID: id, Status: status, Sequence: seq}.AppendBinary(w.buf)
}

// AppendRaw appends an already encoded PDU.
func (w *Writer) AppendRaw(b []byte) { w.buf = append(w.buf, b...) }

// Len returns the number of buffered octets.
func (w *Writer) Len() int { return len(w.buf) }

// Bytes returns the buffered octets.
func (w *Writer) Bytes() []byte { return w.buf }

// Reset empties the buffer, keeping its memory.
func (w *Writer) Reset() { w.buf = w.buf[:0] }

// WriteTo writes the buffer to dst in one call and empties it.
func (w *Writer) WriteTo(dst io.Writer) (int64, error) {
	n, err := dst.Write(w.buf)
	w.buf = w.buf[:0]
	return int64(n), err
}
