package udh

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/tlv"
)

// segmentText decodes one segment's text (for tests).
func segmentText(t *testing.T, seg Segment, d encoding.Default) string {
	t.Helper()
	b := seg.ShortMessage
	if seg.MessagePayload != nil {
		b = seg.MessagePayload
	}
	var tables encoding.GSM7Options
	fill := 0
	if seg.UDHI {
		h, rest, err := Parse(nil, b)
		if err != nil {
			t.Fatal(err)
		}
		tables = h.Tables()
		fill = encoding.FillBits(len(b) - len(rest))
		b = rest
	}
	out, err := encoding.Decode(nil, b, d.ParseDataCoding(seg.DataCoding), tables, fill)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestSplitGoldenEdges(t *testing.T) {
	euro152 := strings.Repeat("a", 152) + "€" + strings.Repeat("b", 10)
	emoji := func(at int) string { return strings.Repeat("ж", at) + "😀" + strings.Repeat("ж", 10) }
	tests := []struct {
		name     string
		text     string
		opts     Options
		segments int
		firstLen int // text units in the first segment (septets / UTF-16 units)
		udhLen   int // UDH octets in each segment of a multi-part message
		dc       byte
	}{
		{"160 GSM-7 = 1", strings.Repeat("x", 160), Options{}, 1, 160, 0, 0x00},
		{"161 GSM-7 = 2", strings.Repeat("x", 161), Options{}, 2, 153, 6, 0x00},
		{"161 GSM-7 16-bit ref", strings.Repeat("x", 161), Options{Ref16: true}, 2, 152, 7, 0x00},
		{"306 GSM-7 = 2", strings.Repeat("x", 306), Options{}, 2, 153, 6, 0x00},
		{"307 GSM-7 = 3", strings.Repeat("x", 307), Options{}, 3, 153, 6, 0x00},
		{"escape pair moves whole", euro152, Options{}, 2, 152, 6, 0x00},
		{"70 UCS-2 = 1", strings.Repeat("ж", 70), Options{}, 1, 70, 0, 0x08},
		{"71 UCS-2 = 2", strings.Repeat("ж", 71), Options{}, 2, 67, 6, 0x08},
		{"emoji at units 67/68 moves whole", emoji(66), Options{}, 2, 66, 6, 0x08},
		{"emoji before the cut stays", emoji(65), Options{}, 2, 67, 6, 0x08},
		{"UCS-2 16-bit ref", strings.Repeat("ж", 71), Options{Ref16: true}, 2, 66, 7, 0x08},
		{"ports 16-bit + concat", strings.Repeat("x", 200), Options{Ports: &Ports{Dst: 2948, Src: 9200, Wide: true}}, 2, 146, 12, 0x00},
		{"ports single segment", strings.Repeat("x", 150), Options{Ports: &Ports{Dst: 2948, Src: 9200, Wide: true}}, 1, 150, 7, 0x00},
		{"MaxShortMessage 140 unpacked", strings.Repeat("x", 200), Options{MaxShortMessage: 140}, 2, 134, 6, 0x00},
		{"packed GSM-7", strings.Repeat("x", 161), Options{Default: encoding.DefaultGSM7Packed}, 2, 153, 6, 0x00},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewSplitter(tt.opts).Split(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Segments) != tt.segments {
				t.Fatalf("%d segments, want %d", len(m.Segments), tt.segments)
			}
			var whole strings.Builder
			for i, seg := range m.Segments {
				if seg.DataCoding != tt.dc {
					t.Fatalf("data_coding 0x%02X", seg.DataCoding)
				}
				if tt.segments > 1 || tt.udhLen > 0 {
					if !seg.UDHI || int(seg.ShortMessage[0])+1 != tt.udhLen {
						t.Fatalf("segment %d: UDHI %v, UDH % X", i, seg.UDHI, seg.ShortMessage[:1])
					}
				}
				text := segmentText(t, seg, tt.opts.Default)
				if i == 0 {
					units := 0
					if tt.dc == 0x08 {
						units = encoding.CountUTF16(text)
					} else if units, err = encoding.CountSeptets(text, encoding.GSM7Options{}); err != nil {
						t.Fatal(err)
					}
					if units != tt.firstLen {
						t.Fatalf("first segment holds %d units, want %d", units, tt.firstLen)
					}
				}
				whole.WriteString(text)
			}
			if whole.String() != tt.text {
				t.Fatal("segments do not join to the text")
			}
		})
	}
}

func TestSplitEscapeAndSurrogateDetails(t *testing.T) {
	// 152 plain characters then €: the escape pair goes whole to segment 2.
	m, err := Split(strings.Repeat("a", 152)+"€"+strings.Repeat("b", 20), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s1 := m.Segments[0].ShortMessage[6:]
	s2 := m.Segments[1].ShortMessage[6:]
	if len(s1) != 152 || s1[len(s1)-1] == 0x1B || !bytes.Equal(s2[:3], []byte{0x1B, 0x65, 'b'}) {
		t.Fatalf("segment 1 ends % X, segment 2 % X", s1[len(s1)-2:], s2)
	}
	// Emoji at UTF-16 units 67/68: segment 1 ends one unit short.
	m, err = Split(strings.Repeat("ж", 66)+"😀"+strings.Repeat("ж", 5), Options{})
	if err != nil {
		t.Fatal(err)
	}
	u1 := m.Segments[0].ShortMessage[6:]
	u2 := m.Segments[1].ShortMessage[6:]
	if len(u1) != 132 || !bytes.Equal(u2[:4], []byte{0xD8, 0x3D, 0xDE, 0x00}) {
		t.Fatalf("segment 1 %d octets, segment 2 starts % X", len(u1), u2[:4])
	}
}

func TestSplitTurkishShift(t *testing.T) {
	text := "Günaydın! Bugün İstanbul'da hava çok güzel, şehir ışıl ışıl. Yarın görüşürüz, hoşça kal."
	opts := Options{Encoding: encoding.Options{Languages: []encoding.Language{encoding.Turkish}}}
	m, err := Split(text, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Segments) != 1 || m.Encoding.Alphabet != encoding.GSM7 {
		t.Fatalf("%d segments, %s", len(m.Segments), m.Encoding.Alphabet)
	}
	seg := m.Segments[0]
	if seg.DataCoding != 0x00 || !seg.UDHI {
		t.Fatalf("data_coding 0x%02X UDHI %v", seg.DataCoding, seg.UDHI)
	}
	h, _, err := Parse(nil, seg.ShortMessage)
	if err != nil {
		t.Fatal(err)
	}
	if tb := h.Tables(); tb.Single != encoding.Turkish && tb.Locking != encoding.Turkish {
		t.Fatalf("no Turkish IE in % X", seg.ShortMessage[:8])
	}
	if got := segmentText(t, seg, 0); got != text {
		t.Fatalf("decoded %q", got)
	}
	// Without the language allowed: UCS-2, two segments.
	m, _ = Split(text, Options{})
	if m.Encoding.Alphabet != encoding.UCS2 || len(m.Segments) != 2 {
		t.Fatalf("without Turkish: %s, %d segments", m.Encoding.Alphabet, len(m.Segments))
	}
	// Long Turkish text: each segment carries the shift IE(s) and decodes alone.
	long := strings.Repeat(text+" ", 5)
	m, err = Split(long, opts)
	if err != nil {
		t.Fatal(err)
	}
	var whole strings.Builder
	for _, seg := range m.Segments {
		h, _, _ := Parse(nil, seg.ShortMessage)
		if _, ok := h.Concat(); !ok {
			t.Fatal("no concat IE")
		}
		whole.WriteString(segmentText(t, seg, 0))
	}
	if whole.String() != long {
		t.Fatal("long Turkish text does not join")
	}
}

func TestSplitMethods(t *testing.T) {
	text := strings.Repeat("Hello world! ", 20) // 260 chars
	refs := RefFunc(func() uint16 { return 0x1234 })

	sar, err := Split(text, Options{Method: SARTLVs, Refs: refs})
	if err != nil {
		t.Fatal(err)
	}
	if len(sar.Segments) != 2 {
		t.Fatalf("SAR: %d segments", len(sar.Segments))
	}
	for i, seg := range sar.Segments {
		if seg.UDHI || !seg.HasSAR || seg.SAR != (tlv.SAR{Ref: 0x1234, Total: 2, Seq: uint8(i + 1)}) {
			t.Fatalf("SAR segment %d: %+v", i, seg)
		}
		if len(seg.ShortMessage) > 153 {
			t.Fatalf("SAR segment %d: %d octets", i, len(seg.ShortMessage))
		}
	}
	udh, _ := Split(text, Options{Refs: refs})
	if udh.Ref != 0x34 || udh.Segments[0].ShortMessage[3] != 0x34 {
		t.Fatalf("8-bit ref: %x", udh.Ref)
	}
	mp, err := Split(text, Options{Method: MessagePayload})
	if err != nil {
		t.Fatal(err)
	}
	if len(mp.Segments) != 1 || len(mp.Segments[0].MessagePayload) != 260 || mp.Segments[0].ShortMessage != nil || mp.Segments[0].UDHI {
		t.Fatalf("payload: %+v", mp.Segments)
	}
	if _, err := Split(strings.Repeat("x", 153*3+1), Options{MaxSegments: 3}); !errors.Is(err, ErrTooManySegments) {
		t.Fatalf("MaxSegments: %v", err)
	}
	if _, err := Split(strings.Repeat("x", 153*255+1), Options{}); !errors.Is(err, ErrTooManySegments) {
		t.Fatalf("255 segments: %v", err)
	}
	bin, err := NewSplitter(Options{Ports: &Ports{Dst: 2948, Src: 9200, Wide: true}}).SplitBinary(bytes.Repeat([]byte{0xAB}, 300), 0x04)
	if err != nil {
		t.Fatal(err)
	}
	if len(bin.Segments) != 3 || len(bin.Segments[0].ShortMessage) != 140 || bin.Segments[0].DataCoding != 0x04 {
		t.Fatalf("binary: %d segments, %d octets", len(bin.Segments), len(bin.Segments[0].ShortMessage))
	}
}

func TestCounterWraps(t *testing.T) {
	var c Counter
	seen := map[uint16]bool{}
	for range 3 {
		seen[c.NextRef()] = true
	}
	if len(seen) != 3 {
		t.Fatal("Counter repeats")
	}
}

// randomText returns random text mixing the kinds of characters that change
// encodings and capacities.
func randomText(rng *rand.Rand) string {
	pools := [][]rune{
		[]rune("abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,!?@£$"),
		[]rune("€[]{}^~|\\"),
		[]rune("şğıİçöüŞĞ"),
		[]rune("жизньПривет"),
		[]rune("नमस्तेकखग"),
		{'😀', '🎉', '𝄞', '👍'},
		[]rune("àéèìòù"),
	}
	n := rng.IntN(700)
	mix := rng.IntN(1 << len(pools))
	var b strings.Builder
	for range n {
		p := rng.IntN(len(pools))
		if mix&(1<<p) == 0 {
			p = 0
		}
		pool := pools[p]
		b.WriteRune(pool[rng.IntN(len(pool))])
	}
	return b.String()
}

func TestPropertySplitReassemble(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	methods := []Method{InShortMessage, SARTLVs, MessagePayload}
	defaults := []encoding.Default{encoding.DefaultGSM7, encoding.DefaultGSM7Packed}
	var refs Counter
	iterations := 400
	if testing.Short() {
		iterations = 50
	}
	for i := range iterations {
		text := randomText(rng)
		if strings.HasSuffix(text, "@") {
			text += "x" // packed CR rule aside (covered in package encoding)
		}
		for _, method := range methods {
			for _, def := range defaults {
				opts := Options{
					Method: method, Default: def, Refs: &refs, Ref16: rng.IntN(2) == 0,
					Encoding: encoding.Options{},
				}
				if rng.IntN(2) == 0 {
					opts.Encoding.Languages = []encoding.Language{encoding.Turkish, encoding.Hindi, encoding.Spanish}
				}
				if rng.IntN(4) == 0 {
					opts.Ports = &Ports{Dst: 16000, Src: 16001, Wide: true}
				}
				name := fmt.Sprintf("iter %d %s %s", i, method, def)
				checkRoundTrip(t, name, text, opts, rng)
			}
		}
	}
}

func checkRoundTrip(t *testing.T, name, text string, opts Options, rng *rand.Rand) {
	t.Helper()
	m, err := NewSplitter(opts).Split(text)
	if err != nil {
		t.Fatalf("%s: split %q: %v", name, text, err)
	}
	packed := opts.Default.Packed()
	var parts []Part
	for _, seg := range m.Segments {
		if opts.Method != MessagePayload {
			if len(m.Segments) > 1 || opts.Ports != nil {
				// Octets on the air interface: ≤ 140.
				hdr := 0
				if seg.UDHI {
					hdr = int(seg.ShortMessage[0]) + 1
				}
				airHdr := hdr
				if opts.Method == SARTLVs && len(m.Segments) > 1 {
					// The SMSC adds a concatenation IE.
					airHdr = max(hdr, 1) + concatLen(opts.Ref16)
				}
				body := len(seg.ShortMessage) - hdr
				air := airHdr + body
				if m.Encoding.Alphabet == encoding.GSM7 && !packed {
					air = airHdr + encoding.PackedLen(body, encoding.FillBits(airHdr))
				}
				if air > 140 {
					t.Fatalf("%s: segment of %d air octets", name, air)
				}
			}
			if packed && len(seg.ShortMessage) > 140 || m.Encoding.Alphabet == encoding.UCS2 && len(seg.ShortMessage) > 140 {
				t.Fatalf("%s: short_message of %d octets", name, len(seg.ShortMessage))
			}
		}
		p := Part{Source: "447700900001", Dest: "1234", UDHI: seg.UDHI, DataCoding: seg.DataCoding,
			ShortMessage: append([]byte(nil), seg.ShortMessage...)}
		if seg.HasSAR {
			p.TLVs.SetSAR(seg.SAR)
		}
		if seg.MessagePayload != nil {
			p.TLVs.SetMessagePayload(append([]byte(nil), seg.MessagePayload...))
		}
		parts = append(parts, p)
	}
	// Shuffle and add duplicates.
	rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	dups := rng.IntN(3)
	if len(parts) == 1 {
		dups = 0 // a message without a reference cannot be told from its duplicate
	}
	for range dups {
		parts = append(parts, parts[rng.IntN(len(parts))])
		k := len(parts) - 1
		j := rng.IntN(len(parts))
		parts[k], parts[j] = parts[j], parts[k]
	}
	r := NewReassembler(Config{Default: opts.Default})
	now := time.Unix(1000, 0)
	var got []Assembled
	for _, p := range parts {
		a, done, err := r.Add(p, now)
		if err != nil {
			t.Fatalf("%s: Add: %v", name, err)
		}
		if done {
			got = append(got, a)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%s: %d messages completed from %d segments", name, len(got), len(m.Segments))
	}
	if got[0].Partial || got[0].Total != len(m.Segments) {
		t.Fatalf("%s: %+v", name, got[0])
	}
	s, err := got[0].Text()
	if err != nil {
		t.Fatal(err)
	}
	if s != text {
		t.Fatalf("%s: reassembled %q\nwant %q", name, s, text)
	}
	if r.Len() != 0 {
		t.Fatalf("%s: %d pending after completion", name, r.Len())
	}
	if !utf8.ValidString(s) {
		t.Fatal("invalid UTF-8")
	}
}
