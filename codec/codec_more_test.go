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
	var w codec.Writer
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

// A failed Append leaves what was buffered untouched.
func TestWriterAppendErrorKeepsBuffer(t *testing.T) {
	var w codec.Writer
	must(t, w.Append(1, 0, &pdu.EnquireLink{}))
	n := w.Len()
	err := w.Append(2, 0, &pdu.SubmitSM{SourceAddr: strings.Repeat("1", 30)})
	if !errors.Is(err, pdu.ESME_RINVSRCADR) || w.Len() != n {
		t.Fatalf("got %v, len %d want %d", err, w.Len(), n)
	}
	w.Reset()
	if w.Len() != 0 {
		t.Fatal("Reset")
	}
	w.AppendRaw([]byte{1, 2, 3})
	if !bytes.Equal(w.Bytes(), []byte{1, 2, 3}) {
		t.Fatal("AppendRaw")
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
	var w codec.Writer
	must(t, w.Append(1, 0, &pdu.EnquireLink{}))
	must(t, w.Append(2, 0, &pdu.EnquireLink{}))
	r := codec.NewReader(bytes.NewReader(w.Bytes()), 0)
	if _, err := r.Read(); err != nil || r.Buffered() != 16 {
		t.Fatalf("%v, buffered %d", err, r.Buffered())
	}
}

// Writer.Append does not allocate once its buffer has grown.
func TestWriterAllocs(t *testing.T) {
	var w codec.Writer
	sm := &pdu.SubmitSM{SourceAddr: "123", DestinationAddr: "456", ShortMessage: []byte("hi")}
	for range 10 {
		must(t, w.Append(1, 0, sm))
	}
	if n := testing.AllocsPerRun(200, func() {
		w.Reset()
		for range 10 {
			_ = w.Append(1, 0, sm)
		}
		_, _ = w.WriteTo(io.Discard)
	}); n != 0 {
		t.Fatalf("Writer allocates %v per batch", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
