package conform

import (
	"bytes"
	"fmt"
	"time"
	"unicode/utf16"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/udh"
)

// submits drives kind on a bound session and collects what the ESME sends
// for d (answering it), returning the submit_sm among them. It returns
// ok false when the case cannot go on (skipped or failed).
func submits(t *T, kind string, d time.Duration) (e *ESMEConn, all, sms []Msg, ok bool) {
	e = BoundESME(t)
	if e == nil {
		return nil, nil, nil, false
	}
	if !driveESME(t, kind) {
		e.Close()
		return nil, nil, nil, false
	}
	all, _ = collect(e, d, true)
	for _, m := range all {
		if m.ID == pdu.SubmitSMID {
			sms = append(sms, m)
		}
	}
	if len(sms) == 0 {
		t.Fail("no submit_sm within %v of asking the driver for %q", d, kind)
		e.Close()
		return nil, nil, nil, false
	}
	return e, all, sms, true
}

// airBits is the size on the air interface, in bits, of a short_message of
// data_coding dc with a UDH of udhl octets: GSM 7-bit (data_coding 0, the
// default alphabet unpacked, and 1) counts septets after the UDH, the others
// octets. The limit is 140 octets, 1120 bits.
func airBits(dc uint8, sm []byte, udhl int) int {
	if dc == 0 || dc == 1 {
		bits := udhl * 8
		if udhl > 0 {
			bits = (udhl*8 + 6) / 7 * 7 // fill bits to a septet boundary
		}
		return bits + (len(sm)-udhl)*7
	}
	return len(sm) * 8
}

func esmeSequenceCases() []*Case {
	return []*Case{
		esmeCase("sequence", "1", "smpp34-fields.md §10",
			"the bind's sequence_number is within 1..0x7FFFFFFF",
			"Sequence numbers are 0x00000001-0x7FFFFFFF; 0 is never used in a request.",
			func(t *T) {
				e := OpenESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				if s := e.First.Sequence; s == 0 || s > pdu.MaxSequence {
					t.Fail("bind with sequence_number 0x%08X", s)
				}
				e.AcceptBind()
			}),
		esmeCase("sequence", "2", "smpp34-fields.md §10",
			"requests are numbered one more than the last, in wire order",
			"Each side numbers its requests from 1 to 0x7FFFFFFF, increasing by one per request it originates (wrapping to 1): so each request on the wire has its predecessor's number plus one, none is reused and none is skipped. The tool drives a burst and checks every request of the session, the bind included, in the order it read them.",
			func(t *T) {
				e, _, _, ok := submits(t, DriveBurst, 3*time.Second)
				if !ok {
					return
				}
				defer e.Close()
				var prev pdu.Header
				for i, h := range e.Requests {
					switch {
					case h.Sequence == 0 || h.Sequence > pdu.MaxSequence:
						t.Fail("%v with sequence_number 0x%08X", h.ID, h.Sequence)
					case i > 0 && h.Sequence != pdu.NextSequence(prev.Sequence):
						t.Fail("%v with sequence_number %d follows %v with %d on the wire (want %d)",
							h.ID, h.Sequence, prev.ID, prev.Sequence, pdu.NextSequence(prev.Sequence))
					}
					prev = h
				}
				t.Logf("%d requests checked", len(e.Requests))
			}),
		esmeCase("sequence", "3", "smpp34-fields.md §11",
			"requests carry command_status 0",
			"command_status is meaningful in responses only and must be 0 (NULL) in requests.",
			func(t *T) {
				e, _, _, ok := submits(t, DriveSubmit, 2*time.Second)
				if !ok {
					return
				}
				defer e.Close()
				for _, h := range e.Requests {
					if h.Status != 0 {
						t.Fail("%v with command_status %v", h.ID, h.Status)
					}
				}
			}),
	}
}

func esmeFramingCases() []*Case {
	return []*Case{
		esmeCase("framing", "1", "smpp34-pdus.md §5.3",
			"enquire_link_resp is header only (command_length 16)",
			"enquire_link_resp has no body: command_length is exactly 16.",
			func(t *T) {
				e := BoundESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				seq, _ := e.Request(&pdu.EnquireLink{})
				m, err := e.Response(seq, esmeTimeout(t))
				if err != nil {
					t.Fail("no enquire_link_resp: %v", err)
				} else if m.Length != 16 {
					t.Fail("%v with command_length %d", m.ID, m.Length)
				}
			}),
		esmeCase("framing", "2", "smpp34-pdus.md §5.7",
			"deliver_sm_resp carries its NULL message_id",
			"deliver_sm_resp has one field, message_id, unused in 3.4: a single NULL octet, so an ESME_ROK answer is 17 octets (an error answer may be header only).",
			func(t *T) {
				e := BoundESME(t)
				if e == nil {
					return
				}
				defer e.Close()
				seq, _ := e.Request(mo(t, "framing check"))
				m, err := e.Response(seq, esmeTimeout(t))
				switch {
				case err != nil:
					t.Fail("no deliver_sm_resp: %v", err)
				case m.ID != pdu.DeliverSMRespID:
					t.Fail("answered with %v", m.ID)
				case m.Status == pdu.ESME_ROK && (m.Length != 17 || m.Raw[16] != 0):
					t.Fail("deliver_sm_resp ESME_ROK with command_length %d, body % X", m.Length, m.Raw[16:])
				}
			}),
		esmeCase("framing", "3", "smpp34-fields.md §11; smpp34-pdus.md §5.5",
			"every PDU's command_length matches its fields",
			"command_length counts the whole PDU; the fields (and TLVs) must fill it exactly. Every PDU of a driven submission is decoded strictly: no truncated field, no trailing octets, no unknown command_id.",
			func(t *T) {
				e, all, _, ok := submits(t, DriveSubmit, 2*time.Second)
				if !ok {
					return
				}
				defer e.Close()
				for _, m := range append([]Msg{e.First}, all...) {
					if m.PDU == nil {
						t.Fail("%v (command_length %d) does not decode: %v", m.ID, m.Length, m.Err)
					}
				}
			}),
	}
}

func esmeMessageCases() []*Case {
	return []*Case{
		esmeCase("message", "1", "smpp34-pdus.md §5.5",
			"submit_sm fields are within their limits",
			"source_addr and destination_addr at most 20 characters, service_type 5, sm_length at most 254, time fields empty or 16 characters, flags in range.",
			func(t *T) {
				e, _, sms, ok := submits(t, DriveSubmit, 2*time.Second)
				if !ok {
					return
				}
				defer e.Close()
				for _, m := range sms {
					if sm, _ := m.PDU.(*pdu.SubmitSM); sm == nil {
						t.Fail("submit_sm does not decode: %v", m.Err)
					} else if err := sm.Validate(); err != nil {
						t.Fail("submit_sm: %v", err)
					}
				}
			}),
		esmeCase("message", "2", "smpp34-fields.md §12",
			"an ASCII text is sent in a declared GSM/ASCII/Latin-1 coding",
			"data_coding declares how short_message is encoded: 0 (SMSC default), 1 (IA5/ASCII), 3 (Latin-1) can carry a plain ASCII text; 4 (binary) or a missing declaration cannot.",
			func(t *T) {
				e, _, sms, ok := submits(t, DriveSubmit, 2*time.Second)
				if !ok {
					return
				}
				defer e.Close()
				for _, m := range sms {
					if sm, _ := m.PDU.(*pdu.SubmitSM); sm != nil && sm.DataCoding != 0 && sm.DataCoding != 1 && sm.DataCoding != 3 && sm.DataCoding != 8 {
						t.Fail("ASCII text sent with data_coding 0x%02X", sm.DataCoding)
					}
				}
			}),
		esmeCase("message", "3", "smpp34-fields.md §12",
			"a Cyrillic text is sent as UCS-2 (data_coding 8) in whole code units",
			"Characters outside GSM 7-bit and Latin-1 need UCS-2: data_coding 8, short_message an even number of octets of big-endian UTF-16 (after any UDH).",
			func(t *T) {
				e, _, sms, ok := submits(t, DriveUnicode, 2*time.Second)
				if !ok {
					return
				}
				defer e.Close()
				for _, m := range sms {
					sm, _ := m.PDU.(*pdu.SubmitSM)
					if sm == nil {
						continue
					}
					data := sm.Payload()
					if sm.ESMClass&0x40 != 0 && len(data) > 0 {
						data = data[min(len(data), int(data[0])+1):]
					}
					if sm.DataCoding != 8 {
						t.Fail("Cyrillic text sent with data_coding 0x%02X", sm.DataCoding)
					} else if len(data)%2 != 0 {
						t.Fail("UCS-2 user data of odd length %d", len(data))
					} else if u := utf16.Decode(u16(data)); len(u) == 0 {
						t.Fail("empty UCS-2 text")
					}
				}
			}),
		esmeCase("message", "4", "udh.md §3, §6.1; gsm0338.md §6",
			"a long text is split into segments within 140 octets with a consistent UDH",
			"Each segment's user data, UDH included, fits the 140-octet air interface (GSM 7-bit counted in septets); every segment sets UDHI and carries a concatenation IE with the same reference and total, numbers 1..total each once. (A single submit with message_payload is also allowed.)",
			func(t *T) { checkLong(t) }),
		esmeCase("message", "5", "smpp34-tlv.md §6",
			"short_message and message_payload are never both used",
			"The user data goes in short_message or in the message_payload TLV, not both.",
			func(t *T) {
				e, _, sms, ok := submits(t, DriveLong, 3*time.Second)
				if !ok {
					return
				}
				defer e.Close()
				for _, m := range sms {
					if sm, _ := m.PDU.(*pdu.SubmitSM); sm != nil && len(sm.ShortMessage) > 0 && sm.TLVs.Has(0x0424) {
						t.Fail("submit_sm seq %d has short_message and message_payload", m.Sequence)
					}
				}
			}),
	}
}

func u16(b []byte) []uint16 {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return u
}

// checkLong drives a long text and checks its segments.
func checkLong(t *T) {
	e, _, sms, ok := submits(t, DriveLong, 3*time.Second)
	if !ok {
		return
	}
	defer e.Close()
	type key struct {
		ref   uint16
		total uint8
	}
	seqs := map[key]map[uint8]bool{}
	for _, m := range sms {
		sm, _ := m.PDU.(*pdu.SubmitSM)
		if sm == nil {
			t.Fail("submit_sm does not decode: %v", m.Err)
			return
		}
		if len(sms) == 1 && len(sm.ShortMessage) == 0 && sm.TLVs.Has(0x0424) {
			t.Logf("sent in one message_payload")
			return
		}
		if sm.ESMClass&0x40 == 0 {
			t.Fail("segment seq %d without UDHI (esm_class 0x%02X)", m.Sequence, sm.ESMClass)
			return
		}
		h, _, err := udh.Parse(nil, sm.ShortMessage)
		if err != nil {
			t.Fail("segment seq %d: bad UDH: %v", m.Sequence, err)
			return
		}
		c, ok := h.Concat()
		if !ok {
			t.Fail("segment seq %d: no concatenation IE in % X", m.Sequence, sm.ShortMessage[:min(8, len(sm.ShortMessage))])
			return
		}
		if bits := airBits(sm.DataCoding, sm.ShortMessage, h.Len()); bits > 1120 {
			t.Fail("segment %d/%d takes %d bits on the air, over 140 octets", c.Seq, c.Total, bits)
		}
		k := key{c.Ref, c.Total}
		if seqs[k] == nil {
			seqs[k] = map[uint8]bool{}
		}
		if seqs[k][c.Seq] || c.Seq == 0 || c.Seq > c.Total {
			t.Fail("segment number %d of %d repeated or out of range", c.Seq, c.Total)
		}
		seqs[k][c.Seq] = true
	}
	if len(seqs) != 1 {
		t.Fail("the segments name %d different (reference, total) pairs: %v", len(seqs), keys(seqs))
		return
	}
	for k, got := range seqs {
		if int(k.total) != len(got) || k.total < 2 {
			t.Fail("%d segments of a declared total of %d", len(got), k.total)
		}
	}
}

func keys[K comparable, V any](m map[K]V) string {
	var b bytes.Buffer
	for k := range m {
		fmt.Fprintf(&b, "%v ", k)
	}
	return b.String()
}
