package bench

import (
	"strings"
	"testing"

	"github.com/linxGnu/gosmpp/data"

	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/udh"
)

var (
	encText160  = strings.Repeat("Hello, World! 0123456789 abcdefghij ", 5)[:160]
	encText70   = string([]rune(strings.Repeat("Привет, мир! ", 6))[:70])
	encText1000 = strings.Repeat("The quick brown fox jumps over the lazy dog, 0123456789. ", 18)[:1000]
)

// BenchmarkEncoding compares the text codecs and splitting of package encoding
// and udh with gosmpp v0.3.1's, on the same inputs, side by side.
func BenchmarkEncoding(b *testing.B) {
	septets, _ := encoding.AppendGSM7(nil, encText160, encoding.GSM7Options{})
	ucs, _ := encoding.AppendUCS2(nil, encText70)

	b.Run("GSM7Encode160/ours", func(b *testing.B) {
		buf := make([]byte, 0, 320)
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = encoding.AppendGSM7(buf[:0], encText160, encoding.GSM7Options{})
		}
	})
	b.Run("GSM7Encode160/gosmpp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = data.GSM7BIT.Encode(encText160)
		}
	})
	b.Run("GSM7Decode160/ours", func(b *testing.B) {
		buf := make([]byte, 0, 480)
		b.ReportAllocs()
		for b.Loop() {
			buf = encoding.DecodeGSM7(buf[:0], septets, encoding.GSM7Options{})
		}
	})
	b.Run("GSM7Decode160/gosmpp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = data.GSM7BIT.Decode(septets)
		}
	})
	b.Run("UCS2Encode70/ours", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = encoding.AppendUCS2(buf[:0], encText70)
		}
	})
	b.Run("UCS2Encode70/gosmpp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = data.UCS2.Encode(encText70)
		}
	})
	b.Run("UCS2Decode70/ours", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			buf = encoding.DecodeUCS2(buf[:0], ucs)
		}
	})
	b.Run("UCS2Decode70/gosmpp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = data.UCS2.Decode(ucs)
		}
	})
	b.Run("Split1000/ours", func(b *testing.B) {
		s := udh.NewSplitter(udh.Options{})
		b.ReportAllocs()
		for b.Loop() {
			_, _ = s.Split(encText1000)
		}
	})
	b.Run("Split1000/gosmpp", func(b *testing.B) {
		sp := data.GSM7BIT.(data.Splitter)
		b.ReportAllocs()
		for b.Loop() {
			_, _ = sp.EncodeSplit(encText1000, 134)
		}
	})
}
