package conform

import (
	"github.com/esmsafrica/smpp/pdu"
)

func init() {
	Register(
		smsc("sequence", 1, "pdus §2", "a response copies the request's sequence_number",
			"sequence_number is chosen by the requester and echoed unchanged in the response: a submit_sm with 0x00012345 gets its submit_sm_resp with 0x00012345.",
			seqEcho(0x00012345)),
		smsc("sequence", 2, "fields §10", "the largest sequence_number 0x7FFFFFFF is echoed",
			"The valid range is 0x00000001–0x7FFFFFFF; a request with 0x7FFFFFFF is answered with it.",
			seqEcho(0x7FFFFFFF)),
		smsc("sequence", 3, "fields §10", "sequence_number 1 is echoed",
			"The first sequence_number of a session is 1; it is echoed like any other.",
			seqEcho(1)),
		smsc("sequence", 4, "fields §10", "sequence numbers that go backwards are answered",
			"Responses are matched by sequence_number, not position; requests with 500, then 7, then 300 are each answered with their own number.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				for _, s := range []uint32{500, 7, 300} {
					if err := c.sendSeq(s, 0, &pdu.EnquireLink{}); err != nil {
						t.Fail("send: %v", err)
						return
					}
					if f, err := c.expect(s); err != nil || f.ID != pdu.EnquireLinkRespID {
						t.Fail("enquire_link %d: %v %v", s, f, err)
						return
					}
				}
			}),
		smsc("sequence", 5, "fields §10", "pipelined requests get one response per sequence_number",
			"Each response copies its request's sequence_number and may come in any order: 8 enquire_links written at once get 8 responses, each number once.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				var raw []byte
				want := map[uint32]int{}
				for range 8 {
					s := c.nextSeq()
					want[s] = 0
					raw = append(raw, rawPDU(0, pdu.EnquireLinkID, 0, s, nil)...)
				}
				if err := c.writeRaw(raw); err != nil {
					t.Fail("write: %v", err)
					return
				}
				for range 8 {
					f, err := c.next(t.timeout())
					if err != nil {
						t.Fail("%d of 8 answered: %v", len(want), err)
						return
					}
					n, known := want[f.Sequence]
					if f.ID != pdu.EnquireLinkRespID || !known || n > 0 {
						t.Fail("unexpected %v", f)
						return
					}
					want[f.Sequence]++
				}
			}),
		smsc("sequence", 6, "pdus §2", "a bind response copies the bind's sequence_number",
			"The bind_*_resp carries the sequence_number of the bind it answers, here 0x00ABCDEF.",
			func(t *T) {
				c := dial(t)
				if c == nil {
					return
				}
				defer c.close()
				if err := c.sendSeq(0xABCDEF, 0, t.bindPDU(pdu.BindTransmitterID)); err != nil {
					t.Fail("send: %v", err)
					return
				}
				f, err := c.next(t.timeout())
				if err != nil || f.ID != pdu.BindTransmitterRespID || f.Sequence != 0xABCDEF {
					t.Fail("got %v %v, want bind_transmitter_resp seq=%d", f, err, 0xABCDEF)
				}
			}),
		smsc("sequence", 7, "fields §10", "the SMSC's own requests use sequence numbers in range",
			"Each side numbers its own requests from 0x00000001 to 0x7FFFFFFF; an enquire_link or deliver_sm from the SMSC never carries 0 or a number with bit 31 set.",
			func(t *T) {
				c := bound(t, pdu.BindTransceiverID)
				if c == nil {
					return
				}
				defer c.close()
				c.ackDeliveries = true
				sm := t.submitPDU("sequence")
				sm.RegisteredDelivery = 1
				if c.callOK(sm) == nil {
					return
				}
				f, err := c.waitRequest(pdu.DeliverSMID, t.receiptTimeout(), nil)
				if err != nil {
					t.Fail("no request from the SMSC to look at: %v", err)
					return
				}
				if f.Sequence == 0 || f.Sequence > pdu.MaxSequence {
					t.Fail("%v has sequence_number 0x%08x", f, f.Sequence)
				}
			}, "receipts", "transceiver"),
	)
}

// seqEcho sends a submit_sm with sequence number s.
func seqEcho(s uint32) func(*T) {
	return func(t *T) {
		c := bound(t, pdu.BindTransmitterID)
		if c == nil {
			return
		}
		defer c.close()
		if err := c.sendSeq(s, 0, t.submitPDU("sequence")); err != nil {
			t.Fail("send: %v", err)
			return
		}
		f, err := c.next(t.timeout())
		if err != nil || f.ID != pdu.SubmitSMRespID || f.Sequence != s {
			t.Fail("got %v %v, want submit_sm_resp seq=%d", f, err, s)
		}
	}
}
