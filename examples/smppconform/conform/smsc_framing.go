package conform

import (
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

func init() {
	Register(
		smsc("framing", 1, "fields §11", "command_length below 16 gets ESME_RINVCMDLEN or a close",
			"command_length includes the 16-octet header; a smaller value is answered with generic_nack ESME_RINVCMDLEN, and since framing is lost the SMSC may close the connection.",
			badLength(8)),
		smsc("framing", 2, "fields §11", "command_length 0 gets ESME_RINVCMDLEN or a close",
			"A command_length of zero cannot frame a PDU: generic_nack ESME_RINVCMDLEN, or the connection closed.",
			badLength(0)),
		smsc("framing", 3, "fields §11", "an enormous command_length is refused without waiting for the body",
			"3.4 sets no maximum but a receiver caps command_length defensively; 0x7FFFFFFF is answered with ESME_RINVCMDLEN or a close, not by waiting for 2 GiB.",
			badLength(0x7FFFFFFF)),
		smsc("framing", 4, "fields §11", "two PDUs in one write are both answered",
			"The PDU boundary is command_length, not the TCP segment: two enquire_links written at once get two responses.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				a, b := c.nextSeq(), c.nextSeq()
				raw := append(rawPDU(0, pdu.EnquireLinkID, 0, a, nil), rawPDU(0, pdu.EnquireLinkID, 0, b, nil)...)
				if err := c.writeRaw(raw); err != nil {
					t.Fail("write: %v", err)
					return
				}
				for _, s := range []uint32{a, b} {
					if f, err := c.expect(s); err != nil || f.ID != pdu.EnquireLinkRespID {
						t.Fail("enquire_link %d: %v %v", s, f, err)
					}
				}
			}),
		smsc("framing", 5, "fields §11", "a PDU written a few octets at a time is answered",
			"A receiver reads exactly command_length octets however they arrive: a submit_sm written in 3-octet pieces is answered normally.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				seq := c.nextSeq()
				raw, _ := pdu.AppendPDU(nil, seq, 0, t.submitPDU("slowly"))
				for i := 0; i < len(raw); i += 3 {
					if err := c.writeRaw(raw[i:min(i+3, len(raw))]); err != nil {
						t.Fail("write: %v", err)
						return
					}
					smscSleep(t, 5*time.Millisecond)
				}
				f, err := c.expect(seq)
				if err != nil || f.ID != pdu.SubmitSMRespID || f.Status != pdu.ESME_ROK {
					t.Fail("got %v %v, want submit_sm_resp ESME_ROK", f, err)
				}
			}),
		smsc("framing", 6, "pdus §1", "a submit_sm body cut short is refused and the stream stays in step",
			"Everything is read up to command_length even when the body decoder fails; a body that ends inside the mandatory fields is refused (an error response or generic_nack), and the next PDU is read normally.",
			func(t *T) {
				b := bodyOf(t.submitPDU("cut"))[:8]
				probe{Bind: pdu.BindTransmitterID, Raw: func(s uint32) []byte { return rawPDU(0, pdu.SubmitSMID, 0, s, b) }, RawID: pdu.SubmitSMID,
					Want: nonOK, Nack: true, Sync: true}.run(t)
			}),
		smsc("framing", 7, "pdus §5.3", "an enquire_link with an unexpected body keeps the stream in step",
			"enquire_link is header-only; one with 4 extra octets may be answered or refused, but the receiver skips to command_length and the next PDU is read normally.",
			func(t *T) {
				probe{Bind: pdu.BindTransmitterID, Raw: func(s uint32) []byte { return rawPDU(0, pdu.EnquireLinkID, 0, s, []byte{1, 2, 3, 4}) },
					RawID: pdu.EnquireLinkID, Want: anyStatus, Nack: true, Sync: true}.run(t)
			}),
		smsc("framing", 8, "fields §11", "a non-zero command_status in a request is ignored",
			"command_status must be 0 in requests, and receivers usually ignore a non-zero value: an enquire_link with command_status 5 is still answered with its sequence_number.",
			func(t *T) {
				probe{Bind: pdu.BindTransmitterID, Raw: func(s uint32) []byte { return rawPDU(0, pdu.EnquireLinkID, 5, s, nil) },
					RawID: pdu.EnquireLinkID, Want: anyStatus, Nack: true, Sync: true}.run(t)
			}),
		smsc("framing", 9, "status §1", "sm_length beyond the body gets an error",
			"sm_length that disagrees with the remaining body is ESME_RINVMSGLEN (or ESME_RINVCMDLEN, the body overrunning command_length); never ESME_ROK.",
			func(t *T) {
				r := t.newRawSubmit()
				r.SMLength = 40
				probe(submitRaw(r, nonOK...)).run(t)
			}),
		smsc("framing", 10, "pdus §1", "a C-Octet String without its NULL is refused",
			"A C-Octet String is ended by a NULL; a bind whose last field runs to the end of the PDU without one is a malformed field, refused (non-zero status, generic_nack or a close), never accepted.",
			func(t *T) {
				b := bodyOf(t.bindPDU(pdu.BindTransmitterID))
				b = b[:len(b)-1] // drop address_range's NULL
				probe{Raw: func(s uint32) []byte { return rawPDU(0, pdu.BindTransmitterID, 0, s, b) }, RawID: pdu.BindTransmitterID,
					Want: nonOK, Nack: true, CloseOK: true}.run(t)
			}),
		smsc("framing", 11, "fields §11", "a submit_sm with message_payload of 64 KiB is read whole",
			"command_length has no 3.4 maximum below what message_payload (up to 64 KB) needs; a large submit_sm is answered (accepted or refused with a status), and the stream stays in step.",
			func(t *T) {
				sm := t.submitPDU("")
				sm.TLVs.SetMessagePayload(make([]byte, 60000))
				probe{Bind: pdu.BindTransmitterID, Req: sm, Want: anyStatus, Nack: true, Sync: true}.run(t)
			}, "message_payload"),
	)
}

// nonOK is every status but ESME_ROK; anyStatus every status.
var (
	nonOK     = statusRange(1)
	anyStatus = statusRange(0)
)

func statusRange(from uint32) []pdu.Status {
	var s []pdu.Status
	for i := from; i <= 0x4FF; i++ {
		s = append(s, pdu.Status(i))
	}
	return s
}

// badLength sends a header whose command_length is n.
func badLength(n uint32) func(*T) {
	return func(t *T) {
		c := bound(t, pdu.BindTransmitterID)
		if c == nil {
			return
		}
		defer c.close()
		seq := c.nextSeq()
		raw := rawPDU(0, pdu.EnquireLinkID, 0, seq, nil)
		raw[0], raw[1], raw[2], raw[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
		if err := c.writeRaw(raw); err != nil {
			t.Fail("write: %v", err)
			return
		}
		f, err := c.next(t.timeout())
		switch {
		case err != nil && isClosed(err):
			t.Logf("the SMSC closed the connection")
		case err != nil:
			t.Fail("neither generic_nack nor a close: %v", err)
		case f.ID != pdu.GenericNackID || f.Status != pdu.ESME_RINVCMDLEN:
			t.Fail("got %v, want generic_nack ESME_RINVCMDLEN or a close", f)
		}
	}
}
