package conform

import (
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

func init() {
	Register(
		smsc("nack", 1, "fields §11", "an unknown command_id gets generic_nack ESME_RINVCMDID",
			"An unknown request id is answered with generic_nack ESME_RINVCMDID carrying the received sequence_number.",
			unknownCmd(0x00000099, pdu.BindTransmitterID)),
		smsc("nack", 2, "pdus §3", "a reserved 3.4 command_id gets generic_nack ESME_RINVCMDID",
			"0x0000000A is reserved in 3.4; it is answered with generic_nack ESME_RINVCMDID.",
			unknownCmd(0x0000000A, pdu.BindTransmitterID)),
		smsc("nack", 3, "pdus §3", "SMPP 5.0 broadcast_sm gets generic_nack ESME_RINVCMDID",
			"broadcast_sm (0x00000111) is not a 3.4 PDU; a 3.4 peer answers it with generic_nack ESME_RINVCMDID.",
			unknownCmd(0x00000111, pdu.BindTransmitterID)),
		smsc("nack", 4, "fields §11", "an unknown command_id on a receiver bind gets generic_nack",
			"The answer to an unknown command_id does not depend on the bind type: generic_nack ESME_RINVCMDID on a receiver too.",
			unknownCmd(0x000001FF, pdu.BindReceiverID)),
		smsc("nack", 5, "pdus §5.3", "a generic_nack from the ESME is not answered",
			"generic_nack is a response: it is never answered, and the session goes on.",
			notAnswered(func(s uint32) []byte { return rawPDU(0, pdu.GenericNackID, pdu.ESME_RINVCMDID, s, nil) })),
		smsc("nack", 6, "fields §10", "an unmatched response is dropped, not nacked",
			"A response whose sequence_number matches no outstanding request is logged and dropped: no generic_nack for a response.",
			notAnswered(func(s uint32) []byte { return rawPDU(0, pdu.DeliverSMRespID, 0, s+1000, []byte{0}) })),
		smsc("nack", 7, "pdus §5.3", "an unknown response id is not answered",
			"A command_id with bit 31 set is a response; an unknown one (0x80000099) is dropped, never answered with generic_nack.",
			notAnswered(func(s uint32) []byte { return rawPDU(0, 0x80000099, 0, s, nil) })),
		smsc("nack", 8, "pdus §3", "alert_notification from the ESME is not answered",
			"alert_notification has no response and is sent by the SMSC only; one from an ESME is dropped or refused with generic_nack, and the session goes on.",
			func(t *T) {
				b := []byte{1, 1}
				b = cstr(b, t.cfg.DestAddr)
				b = append(b, 1, 1)
				b = cstr(b, t.cfg.SourceAddr)
				nackOrNothing(t, func(s uint32) []byte { return rawPDU(0, pdu.AlertNotificationID, 0, s, b) })
			}),
		smsc("nack", 9, "pdus §3", "outbind from the ESME is not answered ESME_ROK",
			"outbind is sent by the SMSC only and has no response; one from a bound ESME is dropped or refused with generic_nack, and the session goes on.",
			func(t *T) {
				b := cstr(cstr(nil, t.cfg.SystemID), t.cfg.Password)
				nackOrNothing(t, func(s uint32) []byte { return rawPDU(0, pdu.OutbindID, 0, s, b) })
			}),
		smsc("nack", 10, "pdus §4.3", "an unknown command_id before the bind is refused",
			"In the OPEN state an unknown request is refused: generic_nack ESME_RINVCMDID (or ESME_RINVBNDSTS), or the connection closed.",
			func(t *T) {
				probe{Raw: func(s uint32) []byte { return rawPDU(0, 0x00000099, 0, s, nil) }, RawID: 0x00000099,
					Want: st(pdu.ESME_RINVCMDID, pdu.ESME_RINVBNDSTS), Nack: true, CloseOK: true}.run(t)
			}),
		smsc("nack", 11, "status §3", "the session works after a generic_nack",
			"generic_nack answers one PDU; the session stays bound: a submit_sm after it is accepted.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				if _, err := c.call(rawReq(0x00000099)); err != nil {
					t.Fail("unknown command: %v", err)
					return
				}
				c.callOK(t.submitPDU("after a nack"))
			}),
	)
}

// rawReq is a header-only request of any command_id, for call.
type rawReq pdu.CommandID

func (r rawReq) CommandID() pdu.CommandID                { return pdu.CommandID(r) }
func (r rawReq) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }
func (r rawReq) UnmarshalBinary([]byte) error            { return nil }

// unknownCmd sends a header-only request with id on a bind of type b.
func unknownCmd(id pdu.CommandID, b pdu.CommandID) func(*T) {
	return func(t *T) {
		c := bound(t, b)
		if c == nil {
			return
		}
		defer c.close()
		seq := c.nextSeq() + 40
		if err := c.sendSeq(seq, 0, rawReq(id)); err != nil {
			t.Fail("send: %v", err)
			return
		}
		f, err := c.expect(seq)
		if err != nil {
			t.Fail("%v", err)
			return
		}
		if f.ID != pdu.GenericNackID || f.Status != pdu.ESME_RINVCMDID {
			t.Fail("got %v, want generic_nack ESME_RINVCMDID seq=%d", f, seq)
			return
		}
		if f.Length != pdu.HeaderLen {
			t.Fail("generic_nack of %d octets, want 16 (header only)", f.Length)
		}
		checkInSync(t, c)
	}
}

// notAnswered writes a PDU that must get no answer, then checks the session.
func notAnswered(raw func(uint32) []byte) func(*T) {
	return func(t *T) {
		c := bound(t, pdu.BindTransmitterID)
		if c == nil {
			return
		}
		defer c.close()
		if err := c.writeRaw(raw(c.nextSeq())); err != nil {
			t.Fail("write: %v", err)
			return
		}
		got, err := c.quiet(min(t.timeout(), time.Second))
		if err != nil {
			t.Fail("%v", err)
			return
		}
		if len(got) > 0 {
			t.Fail("answered with %v", got[0])
			return
		}
		checkInSync(t, c)
	}
}

// nackOrNothing writes a request that has no response: it may be dropped or
// nacked, never answered ESME_ROK, and the session goes on.
func nackOrNothing(t *T, raw func(uint32) []byte) {
	c := bound(t, pdu.BindTransmitterID)
	if c == nil {
		return
	}
	defer c.close()
	if err := c.writeRaw(raw(c.nextSeq())); err != nil {
		t.Fail("write: %v", err)
		return
	}
	got, err := c.quiet(min(t.timeout(), time.Second))
	if err != nil {
		t.Fail("%v", err)
		return
	}
	for _, f := range got {
		if f.ID != pdu.GenericNackID || f.Status == pdu.ESME_ROK {
			t.Fail("answered with %v", f)
			return
		}
	}
	checkInSync(t, c)
}
