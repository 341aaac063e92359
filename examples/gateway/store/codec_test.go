package store

import (
	"bytes"
	"testing"
	"time"
)

func TestCodecRoundTrip(t *testing.T) {
	ms := []*Message{
		fullMessage("x"),
		{ID: "y", State: Unknown},
		{ID: "z", Command: 0xffffffff, Attempts: -3, Body: bytes.Repeat([]byte{0xff}, 70000),
			Created: time.Unix(0, 0), Expires: time.Date(3000, 1, 2, 3, 4, 5, 999999999, time.UTC),
			NextTry: time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC), Done: time.Unix(-1, 5),
			Route: "route", UpstreamID: "UP", Registered: 0x11, Error: 0xfe, State: Rejected},
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
		// Every truncation fails cleanly.
		for i := 0; i < len(b) && i < 200; i++ {
			if _, err := decodeMessage(b[:i]); err == nil {
				t.Fatalf("%s: truncated to %d bytes decoded", m.ID, i)
			}
		}
	}
	// State records: laid over an accepted message, they set its state
	// fields and the store's index fields, and nothing else.
	for _, m := range ms {
		st := *m
		st.upKey, st.upMore = "\x02r1key-"+m.ID, m.ID == "z"
		b := appendState(nil, &st)
		base := fullMessage("w")
		got, want := *base, *base
		if err := decodeState(b, &got); err != nil {
			t.Fatalf("%s: state: %v", m.ID, err)
		}
		want.copyState(m)
		if !equalMessage(&got, &want) || got.upKey != st.upKey || got.upMore != st.upMore {
			t.Fatalf("state round trip: got %+v, want %+v", got, want)
		}
		if err := decodeState(append(b, 9, 9), &got); err != nil {
			t.Fatalf("state with trailing bytes: %v", err)
		}
		for i := 0; i < len(b); i++ {
			if err := decodeState(b[:i], fullMessage("w")); err == nil {
				t.Fatalf("%s: state truncated to %d bytes decoded", m.ID, i)
			}
		}
	}
	if err := decodeState([]byte{99}, fullMessage("w")); err == nil {
		t.Fatal("unknown state version decoded")
	}
	d := &Delivery{Account: "a", Seq: 7, Body: []byte("deliver"), Created: time.Now()}
	got, err := decodeDelivery(appendDelivery(nil, d), "a", 7)
	if err != nil || got.Account != "a" || got.Seq != 7 || !bytes.Equal(got.Body, d.Body) || !got.Created.Equal(d.Created) {
		t.Fatalf("delivery round trip: %+v, %v", got, err)
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
