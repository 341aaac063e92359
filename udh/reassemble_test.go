package udh

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/tlv"
)

func udhPart(src string, ref, total, seq byte, text string) Part {
	sm := append([]byte{5, 0, 3, ref, total, seq}, text...)
	return Part{Source: src, Dest: "100", UDHI: true, ShortMessage: sm}
}

func TestReassembleOutOfOrderAndDuplicates(t *testing.T) {
	r := NewReassembler(Config{})
	now := time.Unix(0, 0)
	for _, p := range []Part{udhPart("a", 7, 3, 3, "three"), udhPart("a", 7, 3, 1, "one "), udhPart("a", 7, 3, 1, "one ")} {
		if _, done, err := r.Add(p, now); done || err != nil {
			t.Fatalf("done early: %v", err)
		}
	}
	// Same reference from another source is another message.
	if _, done, _ := r.Add(udhPart("b", 7, 3, 2, "XXX"), now); done {
		t.Fatal("sources mixed")
	}
	// Same reference, different total: another message.
	if _, done, _ := r.Add(udhPart("a", 7, 4, 2, "YYY"), now); done {
		t.Fatal("totals mixed")
	}
	a, done, err := r.Add(udhPart("a", 7, 3, 2, "two "), now)
	if err != nil || !done {
		t.Fatalf("not done: %v", err)
	}
	if text, _ := a.Text(); text != "one two three" || a.Total != 3 || a.Ref != 7 || a.Partial || a.Method != InShortMessage {
		t.Fatalf("%q %+v", text, a)
	}
	// A late duplicate does not start a new message.
	if _, done, _ := r.Add(udhPart("a", 7, 3, 2, "two "), now); done || r.Len() != 2 {
		t.Fatalf("late duplicate: pending %d", r.Len())
	}
}

func TestReassembleExpire(t *testing.T) {
	var got []Assembled
	r := NewReassembler(Config{TTL: time.Minute, Incomplete: func(a Assembled) { got = append(got, a) }})
	t0 := time.Unix(100, 0)
	r.Add(udhPart("a", 1, 3, 1, "first "), t0)
	r.Add(udhPart("a", 1, 3, 3, "third"), t0.Add(10*time.Second))
	r.Add(udhPart("b", 2, 2, 1, "other"), t0.Add(30*time.Second))
	if out := r.Expire(t0.Add(59 * time.Second)); out != nil || len(got) != 0 {
		t.Fatal("expired early")
	}
	r.Expire(t0.Add(time.Minute))
	if len(got) != 1 {
		t.Fatalf("%d reported", len(got))
	}
	a := got[0]
	if !a.Partial || !errors.Is(a.Reason, ErrExpired) || a.Received != 2 || len(a.Missing) != 1 || a.Missing[0] != 2 || string(a.Payload) != "first third" {
		t.Fatalf("%+v", a)
	}
	if r.Len() != 1 {
		t.Fatalf("pending %d", r.Len())
	}
	// Without a callback, Expire returns them.
	r2 := NewReassembler(Config{TTL: time.Minute})
	r2.Add(udhPart("a", 1, 2, 1, "x"), t0)
	if out := r2.Expire(t0.Add(2 * time.Minute)); len(out) != 1 || !out[0].Partial {
		t.Fatalf("%+v", out)
	}
	// Add also expires what is due.
	r2.Add(udhPart("a", 2, 2, 1, "x"), t0)
	r2.Add(udhPart("c", 3, 2, 1, "y"), t0.Add(5*time.Minute))
	if out := r2.Expire(t0.Add(5 * time.Minute)); len(out) != 1 || out[0].Source != "a" {
		t.Fatalf("%+v", out)
	}
}

func TestReassembleBounds(t *testing.T) {
	r := NewReassembler(Config{MaxPending: 2})
	t0 := time.Unix(0, 0)
	r.Add(udhPart("a", 1, 2, 1, "a"), t0)
	r.Add(udhPart("b", 1, 2, 1, "b"), t0)
	r.Add(udhPart("c", 1, 2, 1, "c"), t0)
	out := r.Expire(t0)
	if len(out) != 1 || out[0].Source != "a" || !errors.Is(out[0].Reason, ErrEvicted) {
		t.Fatalf("%+v", out)
	}
	if r.Len() != 2 {
		t.Fatalf("pending %d", r.Len())
	}
	rb := NewReassembler(Config{MaxBytes: 100})
	rb.Add(udhPart("a", 1, 2, 1, strings.Repeat("a", 60)), t0)
	rb.Add(udhPart("b", 1, 2, 1, strings.Repeat("b", 60)), t0)
	out = rb.Expire(t0)
	if len(out) != 1 || out[0].Source != "a" || rb.Len() != 1 {
		t.Fatalf("bytes bound: %d reported, %d pending", len(out), rb.Len())
	}
}

func TestReassembleCarriage(t *testing.T) {
	r := NewReassembler(Config{})
	now := time.Unix(0, 0)
	// SAR.
	var l1, l2 tlv.List
	l1.SetSAR(tlv.SAR{Ref: 0x0102, Total: 2, Seq: 2})
	l2.SetSAR(tlv.SAR{Ref: 0x0102, Total: 2, Seq: 1})
	r.Add(Part{Source: "a", Dest: "b", ShortMessage: []byte("world"), TLVs: l1}, now)
	a, done, _ := r.Add(Part{Source: "a", Dest: "b", ShortMessage: []byte("hello "), TLVs: l2}, now)
	if !done || string(a.Payload) != "hello world" || a.Method != SARTLVs || a.Ref != 0x0102 {
		t.Fatalf("SAR: %+v", a)
	}
	// A UDH segment with the same reference does not mix with SAR ones.
	var l3 tlv.List
	l3.SetSAR(tlv.SAR{Ref: 5, Total: 2, Seq: 1})
	r.Add(Part{Source: "a", Dest: "b", ShortMessage: []byte("sar"), TLVs: l3}, now)
	if _, done, _ := r.Add(udhPart("a", 5, 2, 2, "udh"), now); done {
		t.Fatal("SAR and UDH mixed")
	}
	// message_payload with a port UDH.
	var l4 tlv.List
	l4.SetMessagePayload([]byte{6, 5, 4, 0x0B, 0x84, 0x23, 0xF0, 0xDE, 0xAD})
	a, done, _ = r.Add(Part{Source: "a", Dest: "b", UDHI: true, DataCoding: 4, TLVs: l4}, now)
	if !done || a.Method != MessagePayload || !a.HasPorts || a.Ports.Dst != 2948 || string(a.Payload) != "\xde\xad" {
		t.Fatalf("payload: %+v", a)
	}
	// A plain message.
	a, done, _ = r.Add(Part{Source: "a", Dest: "b", DataCoding: 8, ShortMessage: []byte{0, 'h', 0, 'i'}}, now)
	if s, _ := a.Text(); !done || s != "hi" {
		t.Fatalf("plain: %q", s)
	}
	// Concat IE to ignore (seq 0): a message on its own.
	a, done, _ = r.Add(udhPart("a", 9, 2, 0, "solo"), now)
	if !done || string(a.Payload) != "solo" {
		t.Fatalf("seq 0: %+v", a)
	}
	// Malformed UDH is an error.
	if _, _, err := r.Add(Part{UDHI: true, ShortMessage: []byte{9, 0, 3}}, now); !errors.Is(err, ErrMalformed) {
		t.Fatalf("malformed: %v", err)
	}
	// Packed GSM-7 segments with fill bits.
	text := strings.Repeat("Packed text with fill bits, ", 8)
	s := NewSplitter(Options{Default: encoding.DefaultGSM7Packed})
	m, err := s.Split(text)
	if err != nil || len(m.Segments) < 2 {
		t.Fatalf("%v %d", err, len(m.Segments))
	}
	rp := NewReassembler(Config{Default: encoding.DefaultGSM7Packed})
	for i := len(m.Segments) - 1; i >= 0; i-- {
		seg := m.Segments[i]
		a, done, _ = rp.Add(Part{Source: "x", Dest: "y", UDHI: true, DataCoding: seg.DataCoding, ShortMessage: seg.ShortMessage}, now)
	}
	if got, _ := a.Text(); !done || got != text {
		t.Fatalf("packed: %q", got)
	}
}

func FuzzReassemble(f *testing.F) {
	f.Add([]byte{5, 0, 3, 1, 2, 1, 'a'}, []byte{5, 0, 3, 1, 2, 2, 'b'}, byte(0), true)
	f.Add([]byte{6, 8, 4, 0, 1, 2, 2, 'b'}, []byte{6, 8, 4, 0, 1, 2, 1, 'a'}, byte(8), true)
	f.Add([]byte{0, 0x41}, []byte{}, byte(0xF0), false)
	f.Fuzz(func(t *testing.T, a, b []byte, dc byte, udhi bool) {
		for _, def := range []encoding.Default{encoding.DefaultGSM7, encoding.DefaultGSM7Packed} {
			r := NewReassembler(Config{Default: def, MaxPending: 2, MaxBytes: 64, TTL: time.Second})
			now := time.Unix(0, 0)
			for i, sm := range [][]byte{a, b, a} {
				m, done, err := r.Add(Part{Source: "s", Dest: "d", UDHI: udhi, DataCoding: dc, ShortMessage: sm}, now.Add(time.Duration(i)*time.Millisecond))
				if err != nil && !errors.Is(err, ErrMalformed) {
					t.Fatalf("unexpected error %v", err)
				}
				if done {
					_, _ = m.Text()
				}
			}
			for _, m := range r.Expire(now.Add(time.Hour)) {
				if !m.Partial || m.Reason == nil {
					t.Fatalf("%+v", m)
				}
			}
			if r.Len() != 0 {
				t.Fatal("pending after expiry")
			}
		}
	})
}
