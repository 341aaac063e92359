package codec_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
)

func TestReadWriteMany(t *testing.T) {
	var w stream
	sm := &pdu.SubmitSM{SourceAddr: "123", DestinationAddr: "456", ShortMessage: []byte("hi")}
	for i := uint32(1); i <= 100; i++ {
		if err := w.Append(i, 0, sm); err != nil {
			t.Fatal(err)
		}
	}
	w.Append(101, pdu.ESME_RTHROTTLED, &pdu.SubmitSMResp{MessageID: "x"})
	w.AppendHeaderOnly(pdu.GenericNackID, pdu.ESME_RINVCMDID, 102)
	var stream bytes.Buffer
	if _, err := w.WriteTo(&stream); err != nil || w.Len() != 0 {
		t.Fatal(err)
	}
	r := codec.NewReader(&stream, 0)
	for i := uint32(1); i <= 100; i++ {
		f, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		var got pdu.SubmitSM
		if f.ID != pdu.SubmitSMID || f.Sequence != i {
			t.Fatalf("frame %d: %+v", i, f.Header)
		}
		if err := got.UnmarshalBinary(f.Body); err != nil || string(got.ShortMessage) != "hi" {
			t.Fatalf("frame %d: %v %q", i, err, got.ShortMessage)
		}
		if int(f.Length) != len(f.Bytes()) {
			t.Fatal("length")
		}
	}
	f, err := r.Read()
	if err != nil || f.Length != 16 || f.Status != pdu.ESME_RTHROTTLED {
		t.Fatalf("error response not header-only: %+v %v", f.Header, err)
	}
	f, err = r.Read()
	if err != nil || f.ID != pdu.GenericNackID || f.Sequence != 102 {
		t.Fatalf("nack: %+v %v", f.Header, err)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
}

func TestLengthOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
	}{
		{"length 8", "0000000800000004"},
		{"length 15", "0000000f000000040000000000000001"},
		{"length 2^31", "80000000000000040000000000000007"},
		{"length max+1", "00011801000000040000000000000007"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tc.hex)
			r := codec.NewReader(bytes.NewReader(b), 70*1024)
			_, err := r.Read()
			var le *codec.LengthError
			if !errors.As(err, &le) || !errors.Is(err, pdu.ESME_RINVCMDLEN) || !errors.Is(err, codec.ErrLength) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestLargePDU(t *testing.T) {
	payload := bytes.Repeat([]byte{0xAB}, 60000)
	sm := &pdu.SubmitSM{DestinationAddr: "1"}
	sm.TLVs.SetMessagePayload(payload)
	var w stream
	if err := w.Append(9, 0, sm); err != nil {
		t.Fatal(err)
	}
	r := codec.NewReader(bytes.NewReader(w.Bytes()), 0)
	f, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	var got pdu.SubmitSM
	if err := got.UnmarshalBinary(f.Body); err != nil || !bytes.Equal(got.Payload(), payload) {
		t.Fatalf("large payload lost: %v", err)
	}
}

func TestTruncated(t *testing.T) {
	b, _ := hex.DecodeString("0000001a0000000400000000000000010000")
	r := codec.NewReader(bytes.NewReader(b), 0)
	if _, err := r.Read(); err != io.ErrUnexpectedEOF {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownCommandSurfaced(t *testing.T) {
	b, _ := hex.DecodeString("00000010000000aa0000000000000005")
	r := codec.NewReader(bytes.NewReader(b), 0)
	f, err := r.Read()
	if err != nil || f.ID.Known() || f.Sequence != 5 {
		t.Fatalf("got %+v %v", f.Header, err)
	}
}

func TestReadAllocs(t *testing.T) {
	var w stream
	sm := &pdu.SubmitSM{SourceAddr: "123", DestinationAddr: "456", ShortMessage: []byte("hi")}
	for i := 0; i < 1000; i++ {
		w.Append(uint32(i+1), 0, sm)
	}
	data := w.Bytes()
	rd := bytes.NewReader(data)
	r := codec.NewReader(rd, 0)
	var got pdu.SubmitSM
	allocs := testing.AllocsPerRun(500, func() {
		f, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		if err := got.UnmarshalBinary(f.Body); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Read+Unmarshal allocates %v times per PDU", allocs)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{0, 0, 0, 8, 0, 0})
	f.Add([]byte{0x80, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := codec.NewReader(bytes.NewReader(data), 4096)
		for i := 0; i < 64; i++ {
			fr, err := r.Read()
			if err != nil {
				return
			}
			if int(fr.Length) != len(fr.Bytes()) || len(fr.Body) != int(fr.Length)-16 {
				t.Fatalf("frame length mismatch")
			}
			h, p, err := pdu.Decode(fr.Bytes(), pdu.DecodeOptions{})
			if err != nil || p == nil {
				continue
			}
			// Round trip: what decoded encodes, and decodes to the same bytes again.
			out, err := pdu.AppendPDU(nil, h.Sequence, h.Status, p)
			if err != nil {
				continue
			}
			_, p2, err := pdu.Decode(out, pdu.DecodeOptions{})
			if err != nil {
				t.Fatalf("re-decode of %x: %v", out, err)
			}
			out2, err := pdu.AppendPDU(nil, h.Sequence, h.Status, p2)
			if err != nil || !bytes.Equal(out, out2) {
				t.Fatalf("unstable round trip %x vs %x (%v)", out, out2, err)
			}
		}
	})
}
