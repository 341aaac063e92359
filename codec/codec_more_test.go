package codec_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
)

// A stream that arrives one octet at a time still frames correctly.
func TestReadOneByteAtATime(t *testing.T) {
	var w stream
	for i := uint32(1); i <= 5; i++ {
		must(t, w.Append(i, 0, &pdu.SubmitSMResp{MessageID: strings.Repeat("x", int(i))}))
	}
	r := codec.NewReader(iotest.OneByteReader(bytes.NewReader(w.Bytes())), 0)
	for i := uint32(1); i <= 5; i++ {
		f, err := r.Read()
		must(t, err)
		var resp pdu.SubmitSMResp
		must(t, resp.UnmarshalBinary(f.Body))
		if f.Sequence != i || resp.MessageID != strings.Repeat("x", int(i)) {
			t.Fatalf("frame %d: %+v %q", i, f.Header, resp.MessageID)
		}
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
}

// A header cut short after an out-of-range command_length reports the length.
func TestShortHeaderBadLength(t *testing.T) {
	r := codec.NewReader(bytes.NewReader([]byte{0, 0, 0, 4, 0, 0}), 0)
	_, err := r.Read()
	var le *codec.LengthError
	if !errors.As(err, &le) || le.Length != 4 || !strings.Contains(le.Error(), "out of range") {
		t.Fatalf("got %v", err)
	}
	r = codec.NewReader(bytes.NewReader([]byte{0, 0, 0, 16, 0, 0}), 0)
	if _, err := r.Read(); err != io.ErrUnexpectedEOF {
		t.Fatalf("got %v", err)
	}
}

// Bytes beyond the first PDU stay buffered for the next Read.
func TestBuffered(t *testing.T) {
	var w stream
	must(t, w.Append(1, 0, &pdu.EnquireLink{}))
	must(t, w.Append(2, 0, &pdu.EnquireLink{}))
	r := codec.NewReader(bytes.NewReader(w.Bytes()), 0)
	if _, err := r.Read(); err != nil || r.Buffered() != 16 {
		t.Fatalf("%v, buffered %d", err, r.Buffered())
	}
}

// stream builds the byte stream of a batch of PDUs for the tests, with
// pdu.AppendPDU as a writer does.
type stream struct{ buf []byte }

func (s *stream) Append(seq uint32, status pdu.Status, p pdu.PDU) error {
	var err error
	s.buf, err = pdu.AppendPDU(s.buf, seq, status, p)
	return err
}

// AppendHeaderOnly appends a PDU that is only a header.
func (s *stream) AppendHeaderOnly(id pdu.CommandID, status pdu.Status, seq uint32) {
	s.buf = pdu.Header{Length: pdu.HeaderLen, ID: id, Status: status, Sequence: seq}.AppendBinary(s.buf)
}

func (s *stream) Bytes() []byte { return s.buf }

func (s *stream) Len() int { return len(s.buf) }

// WriteTo writes the stream in one call and empties it.
func (s *stream) WriteTo(dst io.Writer) (int64, error) {
	n, err := dst.Write(s.buf)
	s.buf = s.buf[:0]
	return int64(n), err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
