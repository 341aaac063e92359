package conform

import (
	"github.com/esmsafrica/smpp/pdu"
)

// scheduled submits a message scheduled an hour ahead (so that it stays
// pending) and returns its id.
func scheduled(t *T, c *esmeConn) string {
	sm := t.submitPDU("later")
	sm.ScheduleDeliveryTime = "000000010000000R"
	return submitID(t, c, sm)
}

func (t *T) cancelPDU(id string) *pdu.CancelSM {
	return &pdu.CancelSM{MessageID: id, SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr, DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: t.cfg.DestAddr}
}

func (t *T) queryPDU(id string) *pdu.QuerySM {
	return &pdu.QuerySM{MessageID: id, SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr}
}

// qcrCase runs f on a transmitter bind.
func qcrCase(f func(t *T, c *esmeConn)) func(*T) {
	return func(t *T) {
		c := bound(t, pdu.BindTransmitterID)
		if c == nil {
			return
		}
		defer c.close()
		f(t, c)
	}
}

// wantStatus calls p and fails unless its response has one of want.
func wantStatus(t *T, c *esmeConn, p pdu.PDU, want ...pdu.Status) (frame, bool) {
	f, err := c.call(p)
	if err != nil {
		t.Fail("%v: %v", p.CommandID(), err)
		return f, false
	}
	for _, s := range want {
		if f.ID == p.CommandID().Response() && f.Status == s {
			return f, true
		}
	}
	t.Fail("%v answered with %v, want %v with %v", p.CommandID(), f, p.CommandID().Response(), statusList(want))
	return f, false
}

func init() {
	Register(
		smsc("qcr", 1, "pdus §5.9", "query_sm of an unknown message_id gets ESME_RINVMSGID",
			"A query for a message the SMSC does not hold is refused with ESME_RINVMSGID or ESME_RQUERYFAIL.",
			qcrCase(func(t *T, c *esmeConn) {
				wantStatus(t, c, t.queryPDU("ffffff0000unknown"), pdu.ESME_RINVMSGID, pdu.ESME_RQUERYFAIL)
			}), "query_sm"),
		smsc("qcr", 2, "pdus §5.10", "cancel_sm of an unknown message_id fails",
			"Cancelling a message the SMSC does not hold fails with ESME_RINVMSGID or ESME_RCANCELFAIL.",
			qcrCase(func(t *T, c *esmeConn) {
				wantStatus(t, c, t.cancelPDU("ffffff0000unknown"), pdu.ESME_RINVMSGID, pdu.ESME_RCANCELFAIL)
			}), "cancel_sm"),
		smsc("qcr", 3, "pdus §5.11", "replace_sm of an unknown message_id fails",
			"Replacing a message the SMSC does not hold fails with ESME_RINVMSGID or ESME_RREPLACEFAIL.",
			qcrCase(func(t *T, c *esmeConn) {
				wantStatus(t, c, &pdu.ReplaceSM{MessageID: "ffffff0000unknown", SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr, ShortMessage: []byte("x")},
					pdu.ESME_RINVMSGID, pdu.ESME_RREPLACEFAIL)
			}), "replace_sm"),
		smsc("qcr", 4, "fields §7", "a cancelled message is DELETED",
			"cancel_sm of a pending (scheduled) message succeeds, and query_sm then reports message_state DELETED (4).",
			qcrCase(func(t *T, c *esmeConn) {
				id := scheduled(t, c)
				if id == "" {
					return
				}
				if _, good := wantStatus(t, c, t.cancelPDU(id), pdu.ESME_ROK); !good {
					return
				}
				r, _ := c.callOK(t.queryPDU(id)).(*pdu.QuerySMResp)
				if r != nil && r.MessageState != pdu.StateDeleted {
					t.Fail("message_state %v after cancel_sm, want DELETED", r.MessageState)
				}
			}), "cancel_sm", "query_sm", "scheduled"),
		smsc("qcr", 5, "status §1", "cancelling a message twice fails the second time",
			"A message already final (cancelled) can no longer be cancelled: ESME_RCANCELFAIL (or ESME_RINVMSGID).",
			qcrCase(func(t *T, c *esmeConn) {
				id := scheduled(t, c)
				if id == "" {
					return
				}
				if _, good := wantStatus(t, c, t.cancelPDU(id), pdu.ESME_ROK); good {
					wantStatus(t, c, t.cancelPDU(id), pdu.ESME_RCANCELFAIL, pdu.ESME_RINVMSGID)
				}
			}), "cancel_sm", "scheduled"),
		smsc("qcr", 6, "status §1", "a cancelled message cannot be replaced",
			"replace_sm of a message already final fails with ESME_RREPLACEFAIL (or ESME_RINVMSGID).",
			qcrCase(func(t *T, c *esmeConn) {
				id := scheduled(t, c)
				if id == "" {
					return
				}
				if _, good := wantStatus(t, c, t.cancelPDU(id), pdu.ESME_ROK); good {
					wantStatus(t, c, &pdu.ReplaceSM{MessageID: id, SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr, ShortMessage: []byte("too late")},
						pdu.ESME_RREPLACEFAIL, pdu.ESME_RINVMSGID)
				}
			}), "cancel_sm", "replace_sm", "scheduled"),
		smsc("qcr", 7, "pdus §5.11", "a replaced pending message stays pending",
			"replace_sm of a scheduled message succeeds and the message is not final afterwards (query_sm: not DELIVERED, DELETED or another final state).",
			qcrCase(func(t *T, c *esmeConn) {
				id := scheduled(t, c)
				if id == "" {
					return
				}
				if _, good := wantStatus(t, c, &pdu.ReplaceSM{MessageID: id, SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr, ShortMessage: []byte("new text")}, pdu.ESME_ROK); !good {
					return
				}
				r, _ := c.callOK(t.queryPDU(id)).(*pdu.QuerySMResp)
				if r != nil && r.MessageState.Final() {
					t.Fail("message_state %v after replace_sm of a scheduled message", r.MessageState)
				}
			}), "replace_sm", "query_sm", "scheduled"),
		smsc("qcr", 8, "pdus §5.9", "query_sm with another source_addr does not find the message",
			"query_sm's source address must match the original submission; with another one the message is not found (ESME_RINVMSGID or ESME_RQUERYFAIL).",
			qcrCase(func(t *T, c *esmeConn) {
				id := submitID(t, c, t.submitPDU("mine"))
				if id == "" {
					return
				}
				q := t.queryPDU(id)
				q.SourceAddr = "999" + t.cfg.SourceAddr
				wantStatus(t, c, q, pdu.ESME_RINVMSGID, pdu.ESME_RQUERYFAIL)
			}), "query_sm", "query_source_check"),
		smsc("qcr", 9, "pdus §5.9", "query_sm_resp of a final message has a final_date",
			"final_date is NULL until the message reaches a final state, then 16 characters: a state that is final comes with a final_date, a state that is not with NULL.",
			qcrCase(func(t *T, c *esmeConn) {
				id := submitID(t, c, t.submitPDU("final date"))
				if id == "" {
					return
				}
				r, _ := c.callOK(t.queryPDU(id)).(*pdu.QuerySMResp)
				if r == nil {
					return
				}
				if r.MessageState.Final() != (r.FinalDate != "") {
					t.Fail("message_state %v with final_date %q", r.MessageState, r.FinalDate)
				}
			}), "query_sm"),
	)
}
