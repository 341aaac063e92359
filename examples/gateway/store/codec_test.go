package store

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// stateOf returns base with the state fields and the revision of src: what
// a state record of src laid over base's message record reads as.
func stateOf(base, src *Message) Message {
	c := *base
	c.State, c.Route, c.UpstreamID, c.Attempts = src.State, src.Route, src.UpstreamID, src.Attempts
	c.Error, c.NextTry, c.Done, c.Rev = src.Error, src.NextTry, src.Done, src.Rev
	return c
}

// bindLen is the length of a Bind's encoding at the end of a record.
func bindLen(bind string) int { return len(appendString(nil, bind)) }

// revLen is the length of rev's encoding at the end of a record.
func revLen(rev uint64) int { return len(binary.AppendUvarint(nil, rev)) }

func TestCodecRoundTrip(t *testing.T) {
	x := fullMessage("x")
	x.Rev = 1
	ms := []*Message{
		x,
		{ID: "y", State: Unknown, Rev: 300},
		{ID: "b", State: Queued, Rev: 2, Bind: strings.Repeat("b", 200)},
		{ID: "z", Command: 0xffffffff, Attempts: -3, Body: bytes.Repeat([]byte{0xff}, 70000),
			Created: time.Unix(0, 0), Expires: time.Date(3000, 1, 2, 3, 4, 5, 999999999, time.UTC),
			NextTry: time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC), Done: time.Unix(-1, 5),
			Route: "route", UpstreamID: "UP", Registered: 0x11, Error: 0xfe, State: Rejected, Rev: 1<<63 + 5},
	}
	for _, m := range ms {
		b := appendMessage(nil, m)
		got, err := decodeMessage(b)
		if err != nil {
			t.Fatalf("%s: %v", m.ID, err)
		}
		if !equalMessage(got, m) {
			t.Fatalf("round trip: got %+v, want %+v", got, m)
		}
		// Trailing bytes (fields of a later version) are ignored.
		if got, err := decodeMessage(append(b, 1, 2, 3)); err != nil || !equalMessage(got, m) {
			t.Fatalf("with trailing bytes: %v", err)
		}
		// A record of a version before the bind (without the Bind at its
		// end) has none.
		noBind := b[:len(b)-bindLen(m.Bind)]
		want := *m
		want.Bind = ""
		if got, err := decodeMessage(noBind); err != nil || !equalMessage(got, &want) {
			t.Fatalf("%s: record without Bind: %+v, %v; want Bind empty", m.ID, got, err)
		}
		// A record of a version before revisions (without the Rev at its
		// end) is revision 1.
		old := noBind[:len(noBind)-revLen(m.Rev)]
		want.Rev = 1
		if got, err := decodeMessage(old); err != nil || !equalMessage(got, &want) {
			t.Fatalf("%s: record without Rev: %+v, %v; want Rev 1", m.ID, got, err)
		}
		// Every other truncation fails cleanly.
		for i := 0; i < len(b) && i < 200; i++ {
			if i == len(old) || i == len(noBind) {
				continue
			}
			if _, err := decodeMessage(b[:i]); err == nil {
				t.Fatalf("%s: truncated to %d bytes decoded", m.ID, i)
			}
		}
	}
	// State records: laid over an accepted message, they set its state
	// fields, its revision and the store's index fields, and nothing else.
	for _, m := range ms {
		mt := meta{upKey: "\x02r1key-" + m.ID, upMore: m.ID == "z"}
		b := appendState(nil, m, &mt)
		base := fullMessage("w")
		got, want := *base, stateOf(base, m)
		var gotMeta meta
		if err := decodeState(b, &got, &gotMeta); err != nil {
			t.Fatalf("%s: state: %v", m.ID, err)
		}
		if !equalMessage(&got, &want) || gotMeta.upKey != mt.upKey || gotMeta.upMore != mt.upMore {
			t.Fatalf("state round trip: got %+v %+v, want %+v %+v", got, gotMeta, want, mt)
		}
		if gotMeta.stored != 0 {
			t.Fatalf("state record set the stored state: %+v", gotMeta)
		}
		if err := decodeState(append(b, 9, 9), &got, &gotMeta); err != nil || !equalMessage(&got, &want) {
			t.Fatalf("state with trailing bytes: %v", err)
		}
		old := b[:len(b)-revLen(m.Rev)]
		got, want.Rev = *base, 1
		if err := decodeState(old, &got, &gotMeta); err != nil || !equalMessage(&got, &want) {
			t.Fatalf("%s: state record without Rev: %+v, %v; want Rev 1", m.ID, got, err)
		}
		for i := 0; i < len(b); i++ {
			if i == len(old) {
				continue
			}
			if err := decodeState(b[:i], fullMessage("w"), &meta{}); err == nil {
				t.Fatalf("%s: state truncated to %d bytes decoded", m.ID, i)
			}
		}
	}
	if err := decodeState([]byte{99}, fullMessage("w"), &meta{}); err == nil {
		t.Fatal("unknown state version decoded")
	}
	if _, err := decodeMessage([]byte{99}); err == nil {
		t.Fatal("unknown version decoded")
	}
}

func BenchmarkCodec(b *testing.B) {
	m := fullMessage("0123456789abcdef")
	m.Body = make([]byte, 140)
	buf := appendMessage(nil, m)
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			buf = appendMessage(buf[:0], m)
		}
	})
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := decodeMessage(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCodecDecodesRecordBeforeBind decodes a message record as the version
// before Bind wrote it (bytes from that encoder): a data dir kept from it
// is still read, its messages with no bind.
func TestCodecDecodesRecordBeforeBind(t *testing.T) {
	old := []byte{0x1, 0x2, 0x6d, 0x31, 0x4, 0x64, 0x65, 0x6d, 0x6f, 0x4, 0x2, 0x73, 0x6d, 0x3, 0x73, 0x72, 0x63,
		0x3, 0x32, 0x35, 0x34, 0x1, 0x3, 0x0, 0x3, 0x73, 0x69, 0x6d, 0x2, 0x55, 0x31, 0x2, 0x1, 0x80, 0xc4, 0x9f,
		0xd5, 0xc, 0x5, 0x4}
	want := &Message{ID: "m1", Account: "demo", Command: 4, Body: []byte("sm"), Source: "src", Dest: "254",
		Registered: 1, State: Enroute, Route: "sim", UpstreamID: "U1", Attempts: 1, Created: time.Unix(1700000000, 5), Rev: 4}
	got, err := decodeMessage(old)
	if err != nil || !equalMessage(got, want) {
		t.Fatalf("record before Bind: %+v, %v; want %+v", got, err, want)
	}
	// And the same message with a bind is the old record and the bind.
	want.Bind = "1.0a0b0c0d.9"
	if b := appendMessage(nil, want); !bytes.Equal(b, append(old, append([]byte{byte(len(want.Bind))}, want.Bind...)...)) {
		t.Fatalf("record with Bind %x, want the old record %x and the bind after it", b, old)
	}
}
