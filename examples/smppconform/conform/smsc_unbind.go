package conform

import (
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

func init() {
	Register(
		smsc("unbind", 1, "pdus §4.1", "after unbind_resp the session takes no submission",
			"unbind / unbind_resp end the session (CLOSED): a submit_sm after it is refused with ESME_RINVBNDSTS, or the SMSC has closed the connection.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				if c.callOK(&pdu.Unbind{}) == nil {
					return
				}
				f, err := c.call(t.submitPDU("after unbind"))
				switch {
				case err != nil && (isClosed(err) || errorsIsNoPDU(err)):
				case err != nil:
					t.Fail("%v", err)
				case f.Status == pdu.ESME_ROK:
					t.Fail("a submit_sm after unbind was accepted: %v", f)
				}
			}),
		smsc("unbind", 2, "pdus §4.2", "unbind on a receiver bind is answered",
			"unbind is legal in every bound state: on BOUND_RX it gets unbind_resp ESME_ROK.",
			func(t *T) {
				probe{Bind: pdu.BindReceiverID, Req: &pdu.Unbind{}, Want: okOnly, Check: headerOnly}.run(t)
			}),
		smsc("unbind", 3, "pdus §4.2", "unbind on a transceiver bind is answered",
			"unbind is legal in every bound state: on BOUND_TRX it gets unbind_resp ESME_ROK.",
			func(t *T) {
				probe{Bind: pdu.BindTransceiverID, Req: &pdu.Unbind{}, Want: okOnly, Check: headerOnly}.run(t)
			}, "transceiver"),
		smsc("unbind", 4, "pdus §4.3", "unbind before the bind is refused",
			"unbind is not legal in the OPEN state: ESME_RINVBNDSTS (or generic_nack), or the connection closed; never ESME_ROK.",
			func(t *T) {
				probe{Req: &pdu.Unbind{}, Want: st(pdu.ESME_RINVBNDSTS), Nack: true, CloseOK: true}.run(t)
			}),
		smsc("unbind", 5, "fields §14", "a new session binds after an unbind",
			"The initiator closes TCP after unbind_resp; the next connection of the same system_id binds normally.",
			func(t *T) {
				for range 3 {
					c := bound(t, pdu.BindTransmitterID)
					if c == nil {
						return
					}
					if c.callOK(&pdu.Unbind{}) == nil {
						c.close()
						return
					}
					c.close()
				}
			}),
		smsc("unbind", 6, "pdus §4.1", "a connection dropped without unbind does not block the next bind",
			"Losing the TCP connection ends the session (CLOSED); the SMSC frees the bind and the ESME binds again.",
			func(t *T) {
				for range 3 {
					c := bound(t, pdu.BindTransceiverID)
					if c == nil {
						return
					}
					c.close()
					smscSleep(t, 50*time.Millisecond)
				}
			}, "transceiver"),
	)
}

func errorsIsNoPDU(err error) bool { return err != nil && isNoPDU(err) }
