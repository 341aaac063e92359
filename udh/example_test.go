package udh_test

import (
	"fmt"
	"time"

	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/udh"
)

// Split a long text with an emoji: the splitter picks UCS-2 and sizes each
// segment for its 6-octet UDH (67 UTF-16 units).
func ExampleSplitter_Split() {
	var refs udh.Counter // one per connection, owned by the caller
	s := udh.NewSplitter(udh.Options{Refs: &refs})
	text := "Your parcel is on its way 🚚. " +
		"It will arrive tomorrow between 9:00 and 12:00; reply STOP to opt out of these updates."
	m, err := s.Split(text)
	if err != nil {
		panic(err)
	}
	fmt.Println("alphabet:", m.Encoding.Alphabet, "units:", m.Encoding.Units)
	for i, seg := range m.Segments {
		fmt.Printf("segment %d: esm_class UDHI=%v data_coding=0x%02X short_message=%d octets, UDH % X\n",
			i+1, seg.UDHI, seg.DataCoding, len(seg.ShortMessage), seg.ShortMessage[:6])
	}
	// Output:
	// alphabet: UCS2 units: 117
	// segment 1: esm_class UDHI=true data_coding=0x08 short_message=140 octets, UDH 05 00 03 01 02 01
	// segment 2: esm_class UDHI=true data_coding=0x08 short_message=106 octets, UDH 05 00 03 01 02 02
}

// National language tables keep Turkish text in GSM 7-bit when the
// destination supports them.
func ExampleSplitter_Split_turkish() {
	s := udh.NewSplitter(udh.Options{
		Encoding: encoding.Options{Languages: []encoding.Language{encoding.Turkish}},
	})
	m, _ := s.Split("Şimdi ödeme yapın, ığdır")
	seg := m.Segments[0]
	fmt.Println(m.Encoding.Alphabet, "single shift:", m.Encoding.Single, "locking:", m.Encoding.Locking)
	fmt.Printf("UDH % X, data_coding 0x%02X\n", seg.ShortMessage[:4], seg.DataCoding)
	// Output:
	// GSM7 single shift: Turkish locking: default
	// UDH 03 24 01 01, data_coding 0x00
}

// Reassemble inbound parts that arrive out of order.
func ExampleReassembler() {
	r := udh.NewReassembler(udh.Config{TTL: 3 * time.Minute})
	now := time.Now()
	parts := []udh.Part{
		{Source: "447700900001", Dest: "2020", UDHI: true, ShortMessage: []byte("\x05\x00\x03\x2A\x02\x02world!")},
		{Source: "447700900001", Dest: "2020", UDHI: true, ShortMessage: []byte("\x05\x00\x03\x2A\x02\x01Hello, ")},
	}
	for _, p := range parts {
		msg, done, err := r.Add(p, now)
		if err != nil {
			panic(err)
		}
		if done {
			text, _ := msg.Text()
			fmt.Printf("%s -> %s (%d parts, ref %d): %s\n", msg.Source, msg.Dest, msg.Total, msg.Ref, text)
		}
	}
	// Later, from a ticker: messages whose parts never all arrived.
	for _, partial := range r.Expire(now.Add(time.Hour)) {
		fmt.Println("incomplete:", partial.Missing)
	}
	// Output:
	// 447700900001 -> 2020 (2 parts, ref 42): Hello, world!
}
