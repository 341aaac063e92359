package conform

import (
	"github.com/esmsafrica/smpp/pdu"
)

func init() {
	Register(
		smsc("pdu", 1, "pdus §5.5", "submit_sm is answered with a message_id",
			"submit_sm_resp with ESME_ROK carries the SMSC-assigned message_id (a C-Octet String of at most 64 characters) used later by query, cancel, replace and receipts.",
			func(t *T) {
				probe{Bind: pdu.BindTransmitterID, Req: t.submitPDU("hello"), Want: okOnly, Check: wantMessageID}.run(t)
			}),
		smsc("pdu", 2, "pdus §4.1", "submit_sm on a transceiver bind is accepted",
			"A transceiver supports the complete set of operations of a transmitter: submit_sm on BOUND_TRX is accepted.",
			func(t *T) {
				probe{Bind: pdu.BindTransceiverID, Req: t.submitPDU("trx"), Want: okOnly, Check: wantMessageID}.run(t)
			}, "transceiver"),
		smsc("pdu", 3, "pdus §5.3", "enquire_link is answered with a header-only enquire_link_resp",
			"enquire_link_resp is header only: command_length 16, ESME_ROK.",
			func(t *T) {
				probe{Bind: pdu.BindTransmitterID, Req: &pdu.EnquireLink{}, Want: okOnly, Check: headerOnly}.run(t)
			}),
		smsc("pdu", 4, "pdus §5.3", "enquire_link on a receiver bind is answered",
			"enquire_link is legal in every bound state, BOUND_RX included.",
			func(t *T) {
				probe{Bind: pdu.BindReceiverID, Req: &pdu.EnquireLink{}, Want: okOnly, Check: headerOnly}.run(t)
			}),
		smsc("pdu", 5, "pdus §5.8", "data_sm is answered with a message_id",
			"data_sm from the ESME (user data in message_payload) is answered by data_sm_resp with ESME_ROK and a message_id.",
			func(t *T) {
				d := &pdu.DataSM{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr, DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: t.cfg.DestAddr}
				d.TLVs.SetMessagePayload([]byte("data_sm"))
				probe{Bind: pdu.BindTransmitterID, Req: d, Want: okOnly, Check: wantMessageID}.run(t)
			}, "data_sm"),
		smsc("pdu", 6, "pdus §5.6", "submit_multi to two destinations is answered",
			"submit_multi_resp with ESME_ROK carries a message_id and no_unsuccess with as many unsuccess_sme entries, each for one of the destinations sent.",
			func(t *T) {
				m := &pdu.SubmitMulti{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr, ShortMessage: []byte("multi"),
					Dests: []pdu.DestAddress{{Flag: 1, DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: t.cfg.DestAddr}, {Flag: 1, DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: t.cfg.DestAddr + "1"}}}
				probe{Bind: pdu.BindTransmitterID, Req: m, Want: okOnly, Check: func(t *T, f frame) {
					wantMessageID(t, f)
					p, _ := f.decode()
					if r, ok := p.(*pdu.SubmitMultiResp); ok && len(r.Unsuccess) > 2 {
						t.Fail("%d unsuccess_sme entries for 2 destinations", len(r.Unsuccess))
					}
				}}.run(t)
			}, "submit_multi"),
		smsc("pdu", 7, "pdus §5.9", "query_sm of a submitted message is answered",
			"query_sm_resp echoes the queried message_id and gives a message_state of the 3.4 table (1–8; 0 and 9 of SMPP 5.0 tolerated); final_date is NULL or 16 characters.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				id := submitID(t, c, t.submitPDU("query me"))
				if id == "" {
					return
				}
				r, _ := c.callOK(&pdu.QuerySM{MessageID: id, SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr}).(*pdu.QuerySMResp)
				if r == nil {
					return
				}
				if !pdu.MessageIDEqual(r.MessageID, id) {
					t.Fail("query_sm_resp message_id %q, queried %q", r.MessageID, id)
				}
				if r.MessageState > 9 {
					t.Fail("message_state %d", r.MessageState)
				}
				if n := len(r.FinalDate); n != 0 && n != 16 {
					t.Fail("final_date %q is neither NULL nor 16 characters", r.FinalDate)
				}
			}, "query_sm"),
		smsc("pdu", 8, "pdus §5.10", "cancel_sm of a submitted message is answered header-only",
			"cancel_sm_resp is header only; the status is ESME_ROK, or ESME_RCANCELFAIL when the message was already final.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				id := submitID(t, c, t.submitPDU("cancel me"))
				if id == "" {
					return
				}
				f, err := c.call(&pdu.CancelSM{MessageID: id, SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr, DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: t.cfg.DestAddr})
				if err != nil || f.ID != pdu.CancelSMRespID || (f.Status != pdu.ESME_ROK && f.Status != pdu.ESME_RCANCELFAIL) {
					t.Fail("got %v %v, want cancel_sm_resp ESME_ROK or ESME_RCANCELFAIL", f, err)
					return
				}
				headerOnly(t, f)
			}, "cancel_sm"),
		smsc("pdu", 9, "pdus §5.11", "replace_sm of a submitted message is answered header-only",
			"replace_sm_resp is header only; the status is ESME_ROK, or ESME_RREPLACEFAIL when the message can no longer be replaced.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				id := submitID(t, c, t.submitPDU("replace me"))
				if id == "" {
					return
				}
				f, err := c.call(&pdu.ReplaceSM{MessageID: id, SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr, ShortMessage: []byte("replaced")})
				if err != nil || f.ID != pdu.ReplaceSMRespID || (f.Status != pdu.ESME_ROK && f.Status != pdu.ESME_RREPLACEFAIL) {
					t.Fail("got %v %v, want replace_sm_resp ESME_ROK or ESME_RREPLACEFAIL", f, err)
					return
				}
				headerOnly(t, f)
			}, "replace_sm"),
		smsc("pdu", 10, "pdus §5.5", "submit_sm with message_payload and sm_length 0 is accepted",
			"User data goes in short_message or in the message_payload TLV; with message_payload, sm_length is 0 and the submission is accepted.",
			func(t *T) {
				sm := t.submitPDU("")
				sm.TLVs.SetMessagePayload([]byte("payload instead of short_message"))
				probe{Bind: pdu.BindTransmitterID, Req: sm, Want: okOnly, Check: wantMessageID}.run(t)
			}, "message_payload"),
		smsc("pdu", 11, "fields §4.3", "submit_sm with a UDH (esm_class 0x40) is accepted",
			"esm_class bit 0x40 (UDHI) says short_message starts with a user data header; a concatenated part is an ordinary submission.",
			func(t *T) {
				sm := t.submitPDU("")
				sm.ESMClass = 0x40
				sm.ShortMessage = append([]byte{5, 0, 3, 0x42, 2, 1}, "part one"...)
				probe{Bind: pdu.BindTransmitterID, Req: sm, Want: okOnly, Check: wantMessageID}.run(t)
			}),
		smsc("pdu", 12, "fields §12", "submit_sm in UCS2 (data_coding 8) is accepted",
			"data_coding 0x08 is UCS2; short_message holds UTF-16BE and is accepted.",
			func(t *T) {
				sm := t.submitPDU("")
				sm.DataCoding = 8
				sm.ShortMessage = []byte{0x04, 0x1f, 0x04, 0x40, 0x04, 0x38}
				probe{Bind: pdu.BindTransmitterID, Req: sm, Want: okOnly, Check: wantMessageID}.run(t)
			}),
		smsc("pdu", 13, "pdus §5.5", "two submissions get different message_ids",
			"The message_id identifies one message for query, cancel, replace and receipts, so two submissions get two ids.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				a := submitID(t, c, t.submitPDU("one"))
				b := submitID(t, c, t.submitPDU("two"))
				if a != "" && a == b {
					t.Fail("both got message_id %q", a)
				}
			}),
		smsc("pdu", 14, "fields §8.2", "submit_sm with a relative validity_period is accepted",
			"validity_period may be relative (YYMMDDhhmmss000R); one hour is a valid value.",
			func(t *T) {
				sm := t.submitPDU("valid an hour")
				sm.ValidityPeriod = "000000010000000R"
				probe{Bind: pdu.BindTransmitterID, Req: sm, Want: okOnly}.run(t)
			}),
		smsc("pdu", 15, "pdus §5.3", "unbind is answered with a header-only unbind_resp",
			"unbind_resp is header only: command_length 16, ESME_ROK, the unbind's sequence_number.",
			func(t *T) {
				probe{Bind: pdu.BindTransmitterID, Req: &pdu.Unbind{}, Want: okOnly, Check: headerOnly}.run(t)
			}),
	)
}

// wantMessageID checks that a response carries a message_id of 1 to 64
// characters.
func wantMessageID(t *T, f frame) {
	p, err := f.decode()
	if err != nil {
		t.Fail("%v", err)
		return
	}
	var id string
	switch r := p.(type) {
	case *pdu.SubmitSMResp:
		id = r.MessageID
	case *pdu.DataSMResp:
		id = r.MessageID
	case *pdu.SubmitMultiResp:
		id = r.MessageID
	}
	if id == "" || len(id) > 64 {
		t.Fail("message_id %q: want 1 to 64 characters", id)
	}
}

// headerOnly checks that a response has no body.
func headerOnly(t *T, f frame) {
	if f.Length != pdu.HeaderLen {
		t.Fail("%v has %d octets, want 16 (header only)", f.ID, f.Length)
	}
}

// submitID submits sm and returns its message_id ("" with the case failed).
func submitID(t *T, c *esmeConn, sm *pdu.SubmitSM) string {
	r, _ := c.callOK(sm).(*pdu.SubmitSMResp)
	if r == nil {
		return ""
	}
	if r.MessageID == "" {
		t.Fail("submit_sm_resp without a message_id")
	}
	return r.MessageID
}
