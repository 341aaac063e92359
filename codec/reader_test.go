package codec_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
)

// A header announcing more than the limit in force is refused before the
// Reader allocates anything near the announced length, with the header's
// sequence_number, even when the header arrives an octet at a time.
func TestReadLimitBeforeAllocating(t *testing.T) {
	hdr := pdu.Header{Length: 70000, ID: pdu.BindTransceiverID, Sequence: 42}.AppendBinary(nil)
	var before, after runtime.MemStats
	const n = 100
	readers := make([]*codec.Reader, n)
	runtime.ReadMemStats(&before)
	for i := range readers {
		r := codec.NewReader(iotest.OneByteReader(bytes.NewReader(hdr)), 512)
		_, err := r.Read()
		var le *codec.LengthError
		if !errors.As(err, &le) || le.Length != 70000 || le.Max != 512 || le.Sequence != 42 {
			t.Fatalf("got %v (%+v)", err, le)
		}
		if r.BufferLen() > codec.MinBufferLen {
			t.Fatalf("buffer of %d octets", r.BufferLen())
		}
		readers[i] = r
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 2*codec.MinBufferLen {
		t.Fatalf("%d octets allocated per Reader", per)
	}
	runtime.KeepAlive(readers)
}

// SetMaxLen raises the limit for the next PDU: a server reads with a small
// limit until the bind, then with the full one.
func TestSetMaxLen(t *testing.T) {
	var w stream
	sm := &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: bytes.Repeat([]byte("x"), 200)}
	must(t, w.Append(1, 0, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "a"}))
	must(t, w.Append(2, 0, sm))
	must(t, w.Append(3, 0, sm))
	r := codec.NewReader(bytes.NewReader(w.Bytes()), 100)
	if r.MaxLen() != 100 {
		t.Fatalf("MaxLen %d", r.MaxLen())
	}
	if f, err := r.Read(); err != nil || f.ID != pdu.BindTransceiverID {
		t.Fatalf("bind: %v", err)
	}
	r.SetMaxLen(0)
	if r.MaxLen() != codec.DefaultMaxLen {
		t.Fatalf("MaxLen %d", r.MaxLen())
	}
	if f, err := r.Read(); err != nil || f.Sequence != 2 {
		t.Fatalf("submit_sm after the limit rose: %v", err)
	}
	r.SetMaxLen(100)
	var le *codec.LengthError
	if _, err := r.Read(); !errors.As(err, &le) || le.Sequence != 3 {
		t.Fatalf("submit_sm over the lowered limit: %v", err)
	}
}

// The buffer starts small, grows while a pipelined stream keeps it full (to
// ReadAheadLen), grows to hold a PDU larger than that, and does not keep the
// large buffer once that PDU has been read.
func TestReaderBufferGrowth(t *testing.T) {
	var w stream
	sm := &pdu.SubmitSM{SourceAddr: "123", DestinationAddr: "456", ShortMessage: []byte("hi")}
	for i := uint32(1); i <= 1000; i++ {
		must(t, w.Append(i, 0, sm))
	}
	big := &pdu.SubmitSM{DestinationAddr: "1"}
	big.TLVs.SetMessagePayload(make([]byte, 60000))
	must(t, w.Append(1001, 0, big))
	must(t, w.Append(1002, 0, &pdu.EnquireLink{}))

	r := codec.NewReader(bytes.NewReader(w.Bytes()), 0)
	if r.BufferLen() != 0 {
		t.Fatal("buffer allocated before the first Read")
	}
	for i := uint32(1); i <= 1000; i++ {
		f, err := r.Read()
		if err != nil || f.Sequence != i {
			t.Fatalf("frame %d: %v %+v", i, err, f.Header)
		}
		if i == 1 && r.BufferLen() != codec.MinBufferLen {
			t.Fatalf("first buffer %d", r.BufferLen())
		}
	}
	if r.BufferLen() != codec.ReadAheadLen {
		t.Fatalf("buffer after a pipelined stream: %d, want %d", r.BufferLen(), codec.ReadAheadLen)
	}
	f, err := r.Read()
	if err != nil || f.Sequence != 1001 || len(f.Bytes()) != int(f.Length) {
		t.Fatalf("large frame: %v", err)
	}
	if r.BufferLen() < int(f.Length) {
		t.Fatalf("buffer %d for a frame of %d", r.BufferLen(), f.Length)
	}
	if f, err := r.Read(); err != nil || f.Sequence != 1002 {
		t.Fatalf("after the large frame: %v", err)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
	if r.BufferLen() > codec.ReadAheadLen {
		t.Fatalf("large buffer kept: %d", r.BufferLen())
	}

	// A stream that brings one PDU at a time never fills the buffer: it stays small.
	r = codec.NewReader(iotest.OneByteReader(bytes.NewReader(w.Bytes()[:50*len(w.Bytes())/1100])), 0)
	for range 40 {
		if _, err := r.Read(); err != nil {
			t.Fatal(err)
		}
	}
	if r.BufferLen() != codec.MinBufferLen {
		t.Fatalf("buffer %d for a trickle", r.BufferLen())
	}
}

// A read error that arrives with the last octets of a PDU is returned by
// the next Read, after the PDU.
func TestReadErrorAfterData(t *testing.T) {
	var w stream
	must(t, w.Append(1, 0, &pdu.EnquireLink{}))
	r := codec.NewReader(iotest.DataErrReader(bytes.NewReader(w.Bytes())), 0)
	if f, err := r.Read(); err != nil || f.Sequence != 1 {
		t.Fatalf("got %v", err)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
}

// A Reader that gets nothing from a stream that never fails gives up.
func TestReadNoProgress(t *testing.T) {
	r := codec.NewReader(zeroReader{}, 0)
	if _, err := r.Read(); err != io.ErrNoProgress {
		t.Fatalf("got %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// BenchmarkRead reads pipelined submit_sm frames, 200 to a chunk of the
// stream (as a busy connection brings them).
func BenchmarkRead(b *testing.B) {
	var w stream
	sm := &pdu.SubmitSM{SourceAddr: "123", DestinationAddr: "456", ShortMessage: bytes.Repeat([]byte("x"), 120)}
	for i := uint32(1); i <= 200; i++ {
		if err := w.Append(i, 0, sm); err != nil {
			b.Fatal(err)
		}
	}
	data := w.Bytes()
	src := &loopReader{data: data}
	r := codec.NewReader(src, 0)
	b.SetBytes(int64(len(data) / 200))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Read(); err != nil {
			b.Fatal(err)
		}
	}
}

// loopReader returns data over and over, in reads of at most 4 KiB.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	p = p[:min(len(p), 4096)]
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.off:])
		n += c
		l.off = (l.off + c) % len(l.data)
	}
	return n, nil
}
