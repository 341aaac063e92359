package udh

import (
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/encoding"
)

var text1000 = strings.Repeat("The quick brown fox jumps over the lazy dog; price 5€ [ok]. ", 17)[:1000]
var text1000UCS2 = strings.Repeat("Быстрая лиса 😀 прыгает. ", 40)[:1000]

func TestSplitAllocs(t *testing.T) {
	var refs Counter
	for _, tt := range []struct {
		name string
		text string
		opts Options
	}{
		{"GSM-7 udh", text1000, Options{Refs: &refs}},
		{"GSM-7 packed", text1000, Options{Refs: &refs, Default: encoding.DefaultGSM7Packed}},
		{"GSM-7 sar", text1000, Options{Refs: &refs, Method: SARTLVs}},
		{"UCS-2 udh 16-bit", text1000UCS2, Options{Refs: &refs, Ref16: true}},
		{"Turkish", strings.Repeat("ışık şğ ", 100), Options{Refs: &refs, Encoding: encoding.Options{Languages: []encoding.Language{encoding.Turkish}}}},
		{"payload", text1000, Options{Method: MessagePayload}},
	} {
		s := NewSplitter(tt.opts)
		if _, err := s.Split(tt.text); err != nil { // warm up the buffers
			t.Fatal(err)
		}
		n := testing.AllocsPerRun(100, func() {
			if _, err := s.Split(tt.text); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("%s: %v allocs/op, want 0", tt.name, n)
		}
	}
	var h Header
	sm := []byte{5, 0, 3, 1, 2, 1, 'x'}
	if n := testing.AllocsPerRun(100, func() { h, _, _ = Parse(h[:0], sm) }); n != 0 {
		t.Errorf("Parse: %v allocs/op", n)
	}
}

func BenchmarkSplit1000(b *testing.B) {
	s := NewSplitter(Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Split(text1000); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplit1000UCS2(b *testing.B) {
	s := NewSplitter(Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Split(text1000UCS2); err != nil {
			b.Fatal(err)
		}
	}
}
