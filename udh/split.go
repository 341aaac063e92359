package udh

import (
	"strconv"
	"sync/atomic"
	"unicode/utf8"

	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/tlv"
)

// Method is how a long message travels over SMPP (udh.md §6).
type Method uint8

// The three carriage methods.
const (
	// InShortMessage puts a UDH with a concatenation IE at the start of each
	// segment's short_message and sets esm_class UDHI (0x40).
	InShortMessage Method = iota
	// SARTLVs sends each segment without a concatenation IE and adds the
	// sar_msg_ref_num, sar_total_segments and sar_segment_seqnum TLVs; the SMSC
	// builds the UDH towards the handset.
	SARTLVs
	// MessagePayload sends the whole text in one message_payload TLV and lets
	// the SMSC segment it.
	MessagePayload
)

// String returns "udh", "sar" or "message_payload".
func (m Method) String() string {
	switch m {
	case InShortMessage:
		return "udh"
	case SARTLVs:
		return "sar"
	case MessagePayload:
		return "message_payload"
	}
	return "Method(" + strconv.Itoa(int(m)) + ")"
}

// RefSource hands out concatenation reference numbers. The caller owns it, so
// that one counter can serve every message to a destination (or a whole
// connection); it must be safe for concurrent use if the splitters using it
// are. 8-bit references use the low 8 bits.
type RefSource interface {
	NextRef() uint16
}

// RefFunc adapts a function to RefSource.
type RefFunc func() uint16

// NextRef calls f.
func (f RefFunc) NextRef() uint16 { return f() }

// Counter is a RefSource that counts up from 1, safe for concurrent use. The
// zero value is ready to use.
type Counter struct{ n atomic.Uint32 }

// NextRef returns the next reference.
func (c *Counter) NextRef() uint16 { return uint16(c.n.Add(1)) }

// Options configures a Splitter. The zero value splits with a UDH in
// short_message, 8-bit references from the splitter's own counter, GSM 7-bit
// or UCS-2 as the text needs, unpacked septets.
type Options struct {
	// Method is the carriage method (InShortMessage by default).
	Method Method
	// Ref16 selects 16-bit concatenation references (IE 0x08, 152 GSM-7
	// characters per segment) instead of 8-bit (IE 0x00, 153). With SARTLVs it
	// sizes segments for the 16-bit UDH the SMSC may build.
	Ref16 bool
	// Refs hands out reference numbers (nil: a counter private to the
	// Splitter).
	Refs RefSource
	// Encoding chooses the alphabet (see encoding.Choose).
	Encoding encoding.Options
	// Default is what data_coding 0x00 means to the peer and whether it wants
	// GSM 7-bit packed (zero: GSM 7-bit, unpacked). Packed segments after a UDH
	// get their fill bits.
	Default encoding.Default
	// Ports, when not nil, adds an application port addressing IE to every
	// segment.
	Ports *Ports
	// MaxSegments bounds the number of segments (0: 255, the most a
	// concatenation IE can count).
	MaxSegments int
	// MaxShortMessage, when not zero, also bounds the octets of each
	// short_message, for SMSCs that count unpacked GSM-7 septets as octets
	// (set 140). Zero: only the 140-octet air interface limit applies, so an
	// unpacked GSM-7 segment may take up to 6+153 octets.
	MaxShortMessage int
}

// Segment is one submit_sm's worth of a split message. Its byte slices alias
// the Splitter's buffer and are valid until the Splitter's next call.
type Segment struct {
	// ShortMessage is the short_message value: the UDH (if UDHI) followed by
	// the encoded text. Empty with MessagePayload.
	ShortMessage []byte
	// MessagePayload is the message_payload value with MessagePayload (UDH
	// included when UDHI); nil otherwise.
	MessagePayload []byte
	// UDHI reports that the message starts with a UDH: set esm_class bit 0x40.
	UDHI bool
	// DataCoding is the data_coding value.
	DataCoding byte
	// SAR holds the sar_* TLV values when HasSAR (SARTLVs with more than one
	// segment).
	SAR tlv.SAR
	// HasSAR reports that SAR is to be sent.
	HasSAR bool
}

// Message is a text split into segments.
type Message struct {
	// Encoding is the encoding chosen for the text (alphabet, national tables).
	Encoding encoding.Choice
	// Segments are the segments in order. The slice is reused by the next
	// call of the Splitter.
	Segments []Segment
	// Ref is the concatenation reference (0 for a single segment).
	Ref uint16
}

// Splitter splits texts into segments. It reuses its buffers, so after the
// first few calls splitting does not allocate; what it returns is valid until
// its next call. A Splitter is not safe for concurrent use; use one per
// goroutine (they may share a RefSource).
type Splitter struct {
	opts  Options
	own   Counter
	buf   []byte
	spans []int // start/end offsets in buf, pairs per segment
	cuts  []int // text offsets
	segs  []Segment
	tmp   [8]byte
}

// NewSplitter returns a Splitter with the given options.
func NewSplitter(opts Options) *Splitter { return &Splitter{opts: opts} }

// Options returns the splitter's options.
func (s *Splitter) Options() Options { return s.opts }

// Split splits a text into segments per the options: it chooses the
// cheapest encoding, announces national tables in each UDH, sizes segments
// from the real header length (GSM-7 160/153/152 septets, UCS-2 70/67/66 code
// units, less with port or shift IEs), never cuts an escape pair or a
// surrogate pair, and fetches one reference for a multi-part message.
func (s *Splitter) Split(text string) (Message, error) {
	c, err := encoding.Choose(text, s.opts.Encoding)
	if err != nil {
		return Message{}, err
	}
	return s.split(c, text, nil, false, 0)
}

// SplitBinary splits 8-bit data (a WAP push, an OTA payload) into segments
// carrying data_coding dc, with the options' method, references and ports.
func (s *Splitter) SplitBinary(data []byte, dc byte) (Message, error) {
	c := encoding.Choice{Alphabet: encoding.Binary, Units: len(data)}
	return s.split(c, "", data, true, dc)
}

// capacity returns the units that fit in 140 octets of user data after a UDH
// of air octets, and in MaxShortMessage after sm octets of UDH in
// short_message.
func (s *Splitter) capacity(a encoding.Alphabet, air, sm int) int {
	packed := s.opts.Default.Packed()
	var n int
	switch a {
	case encoding.GSM7:
		n = (1120 - 8*air) / 7
	case encoding.UCS2:
		n = (140 - air) / 2
	default:
		n = 140 - air
	}
	if max := s.opts.MaxShortMessage; max > 0 {
		var m int
		switch {
		case a == encoding.GSM7 && packed:
			m = (8*(max-sm) - encoding.FillBits(sm)) / 7
		case a == encoding.UCS2:
			m = (max - sm) / 2
		default:
			m = max - sm
		}
		n = min(n, m)
	}
	return n
}

func (s *Splitter) split(c encoding.Choice, text string, data []byte, binary bool, binDC byte) (Message, error) {
	o := &s.opts
	dc := o.Default.DataCoding(c.Alphabet)
	if binary {
		dc = binDC
	}
	hs := headerSpec{ports: o.Ports, lock: c.Locking, single: c.Single, ref16: o.Ref16}
	s.buf = s.buf[:0]
	s.spans = s.spans[:0]
	s.cuts = s.cuts[:0]
	s.segs = s.segs[:0]
	msg := Message{Encoding: c}

	if o.Method == MessagePayload {
		start := len(s.buf)
		s.buf = hs.append(s.buf)
		var err error
		if s.buf, err = s.appendText(c, text, data, s.buf, encoding.FillBits(hs.size())); err != nil {
			return Message{}, err
		}
		s.segs = append(s.segs, Segment{MessagePayload: s.buf[start:len(s.buf):len(s.buf)], UDHI: hs.size() > 0, DataCoding: dc})
		msg.Segments = s.segs
		return msg, nil
	}

	units := c.Units
	// One segment, no concatenation?
	one := hs.size()
	if units <= s.capacity(c.Alphabet, one, one) {
		start := len(s.buf)
		s.buf = hs.append(s.buf)
		var err error
		if s.buf, err = s.appendText(c, text, data, s.buf, encoding.FillBits(one)); err != nil {
			return Message{}, err
		}
		s.segs = append(s.segs, Segment{ShortMessage: s.buf[start:len(s.buf):len(s.buf)], UDHI: one > 0, DataCoding: dc})
		msg.Segments = s.segs
		return msg, nil
	}

	// Several segments. The air-interface header always has a concatenation
	// IE; the short_message carries it only with InShortMessage.
	hs.concat = true
	air := hs.size()
	sm := air
	if o.Method == SARTLVs {
		hs.concat = false
		sm = hs.size()
	}
	capN := s.capacity(c.Alphabet, air, sm)
	maxSeg := o.MaxSegments
	if maxSeg <= 0 || maxSeg > 255 {
		maxSeg = 255
	}
	n := len(text)
	if binary {
		n = len(data)
	}
	packedGSM := c.Alphabet == encoding.GSM7 && o.Default.Packed()
	fill := encoding.FillBits(sm)
	for off := 0; off < n; {
		var k, units int
		if binary {
			k = min(capN, n-off)
		} else {
			k, units = c.Cut(text[off:], capN)
		}
		if k == 0 {
			return Message{}, ErrCapacity
		}
		if packedGSM && (fill+7*units)%8 == 0 {
			// A packed segment ending exactly on an octet boundary with CR or
			// @ would get a CR added by the CR rule (one octet more, and a
			// stray CR in the joined text): end it one character earlier.
			_, size := utf8.DecodeLastRuneInString(text[off : off+k])
			last, _ := c.Append(s.tmp[:0], text[off+k-size:off+k])
			if l := len(last); l > 0 && (last[l-1] == '\r' || last[l-1] == 0) && k > size {
				k -= size
			}
		}
		off += k
		s.cuts = append(s.cuts, off)
		if len(s.cuts) > maxSeg {
			return Message{}, ErrTooManySegments
		}
	}
	total := len(s.cuts)
	refs := o.Refs
	if refs == nil {
		refs = &s.own
	}
	ref := refs.NextRef()
	if !o.Ref16 && o.Method == InShortMessage {
		ref &= 0xFF
	}
	msg.Ref = ref
	hs.ref, hs.total = ref, uint8(total)
	prev := 0
	for i, end := range s.cuts {
		hs.seq = uint8(i + 1)
		start := len(s.buf)
		s.buf = hs.append(s.buf)
		var err error
		if binary {
			s.buf = append(s.buf, data[prev:end]...)
		} else if s.buf, err = s.appendText(c, text[prev:end], nil, s.buf, encoding.FillBits(sm)); err != nil {
			return Message{}, err
		}
		s.spans = append(s.spans, start, len(s.buf))
		prev = end
	}
	for i := range total {
		b := s.buf[s.spans[2*i]:s.spans[2*i+1]:s.spans[2*i+1]]
		seg := Segment{ShortMessage: b, UDHI: sm > 0, DataCoding: dc}
		if o.Method == SARTLVs {
			seg.SAR = tlv.SAR{Ref: ref, Total: uint8(total), Seq: uint8(i + 1)}
			seg.HasSAR = true
		}
		s.segs = append(s.segs, seg)
	}
	msg.Segments = s.segs
	return msg, nil
}

func (s *Splitter) appendText(c encoding.Choice, text string, data, dst []byte, fill int) ([]byte, error) {
	if c.Alphabet == encoding.Binary {
		return append(dst, data...), nil
	}
	if s.opts.Default.Packed() {
		return c.AppendPacked(dst, text, fill)
	}
	return c.Append(dst, text)
}

// Split splits text with a new Splitter (see Splitter.Split). The result does
// not alias any shared buffer.
func Split(text string, opts Options) (Message, error) {
	return NewSplitter(opts).Split(text)
}
