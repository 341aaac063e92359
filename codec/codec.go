// Package codec frames SMPP PDUs on a byte stream.
//
// A Reader reads one PDU at a time into a buffer it reuses, and checks
// command_length against a maximum before it reads the body or grows its
// buffer, so a hostile length costs nothing. Writing needs no type of its
// own: pdu.AppendPDU appends whole PDUs to one buffer (it reserves the
// header, appends the body and backfills command_length), so that many PDUs
// leave in one write, as the session's writer does.
package codec

import (
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

// Reader reads PDUs from a stream into one buffer it reuses. The buffer
// starts small (MinBufferLen octets, enough for any bind) and grows on demand:
// to hold a PDU longer than it, and, while the stream keeps it full, up to
// ReadAheadLen octets so that pipelined PDUs arrive many per read. It never
// grows before command_length has been checked against the limit in force, so
// a peer that announces a large PDU costs nothing until the limit allows it.
type Reader struct {
	rd   io.Reader
	buf  []byte // buf[r:w] is read from the stream and not yet returned
	r, w int
	size int   // the buffer's size between PDUs; a larger one, made for one large PDU, is not kept
	hot  bool  // the last read filled the buffer: the stream has more
	max  int   // the limit in force
	err  error // a read error that came with the data still buffered
}

// Buffer sizes of a Reader.
const (
	// MinBufferLen is a new Reader's buffer: more than any bind PDU, so an
	// unbound peer costs no more.
	MinBufferLen = 512
	// ReadAheadLen is the most a Reader's buffer grows to for reading ahead
	// (a PDU longer than it gets a buffer of its own length, dropped once
	// it has been read).
	ReadAheadLen = 16 * 1024
)

// NewReader returns a Reader on r that accepts PDUs of at most maxLen octets
// (DefaultMaxLen when maxLen <= 0). It allocates its buffer at the first Read.
func NewReader(r io.Reader, maxLen int) *Reader {
	rd := &Reader{rd: r, size: MinBufferLen}
	rd.SetMaxLen(maxLen)
	return rd
}

// SetMaxLen changes the largest command_length accepted from the next Read on
// (DefaultMaxLen when maxLen <= 0): a server reads with a small limit until
// the peer has bound, then with the full one.
func (r *Reader) SetMaxLen(maxLen int) {
	if maxLen <= 0 {
		maxLen = DefaultMaxLen
	}
	r.max = maxLen
}

// MaxLen returns the largest command_length accepted.
func (r *Reader) MaxLen() int { return r.max }

// Read reads the next PDU. The returned Frame aliases the Reader's buffer until
// the next Read. A command_length out of range returns a *LengthError, with
// the sequence_number of the header when the stream gives the rest of the
// 16-octet header (the body is never waited for); io.EOF means the peer
// closed between PDUs, io.ErrUnexpectedEOF inside one. An unknown command_id
// is not an error here: the Frame is returned for the caller to answer with
// generic_nack ESME_RINVCMDID.
func (r *Reader) Read() (Frame, error) {
	if r.r == r.w {
		r.r, r.w = 0, 0
		if len(r.buf) > r.size {
			r.buf = nil // made for one large PDU: not kept while idle
		}
	}
	if err := r.fill(4); err != nil {
		if err == io.EOF && r.w > r.r {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(r.buf[r.r:])
	if n < pdu.HeaderLen || int64(n) > int64(r.max) {
		le := &LengthError{Length: n, Max: r.max}
		if n >= pdu.HeaderLen && r.fill(pdu.HeaderLen) == nil {
			le.Sequence = binary.BigEndian.Uint32(r.buf[r.r+12:])
		}
		return Frame{}, le
	}
	if err := r.fill(int(n)); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	raw := r.buf[r.r : r.r+int(n) : r.r+int(n)]
	r.r += int(n)
	h, _ := pdu.ParseHeader(raw)
	return Frame{Header: h, Body: raw[pdu.HeaderLen:], raw: raw}, nil
}

// fill reads until at least need octets are buffered. The caller has checked
// need against the limit.
func (r *Reader) fill(need int) error {
	if r.w-r.r >= need {
		return nil
	}
	if r.err != nil {
		err := r.err
		r.err = nil
		return err
	}
	if len(r.buf)-r.r < need {
		r.makeRoom(need)
	}
	for empty := 0; r.w-r.r < need; {
		m, err := r.rd.Read(r.buf[r.w:])
		if m < 0 || m > len(r.buf)-r.w {
			return errors.New("smpp: reader returned an invalid count")
		}
		r.w += m
		r.hot = r.w == len(r.buf)
		if err != nil {
			if r.w-r.r >= need {
				r.err = err // for the next call, once the data is used
				return nil
			}
			return err
		}
		if m == 0 {
			if empty++; empty >= 100 {
				return io.ErrNoProgress
			}
		}
	}
	return nil
}

// makeRoom moves the buffered octets to the front of the buffer, in a larger
// one when need octets would not fit or when the stream has been filling it.
func (r *Reader) makeRoom(need int) {
	if r.hot && r.size < ReadAheadLen {
		r.size = min(2*r.size, ReadAheadLen)
	}
	r.hot = false
	if size := max(r.size, need); size > len(r.buf) {
		b := make([]byte, size)
		r.w = copy(b, r.buf[r.r:r.w])
		r.r = 0
		r.buf = b
		return
	}
	r.w = copy(r.buf, r.buf[r.r:r.w])
	r.r = 0
}

// HasFrame reports whether a whole PDU is already buffered, so that the next
// Read returns without waiting for the stream.
func (r *Reader) HasFrame() bool {
	n := r.w - r.r
	if n < 4 {
		return false
	}
	l := int(binary.BigEndian.Uint32(r.buf[r.r:]))
	return l >= pdu.HeaderLen && l <= n
}

// Buffered returns the number of octets read from the stream but not yet returned.
func (r *Reader) Buffered() int { return r.w - r.r }

// BufferLen returns the size of the Reader's buffer now (0 before the first
// Read): what the Reader holds in memory.
func (r *Reader) BufferLen() int { return len(r.buf) }
