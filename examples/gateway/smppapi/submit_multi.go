package smppapi

import (
	"fmt"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// submitMulti stores one message per SME destination; distribution lists
// are not provisioned here and are reported unsuccessful.
func (h *Handlers) submitMulti(w server.ResponseWriter, r *server.Request) {
	if h.throttled(w, r) {
		return
	}
	mm := r.PDU.(*pdu.SubmitMulti)
	acct, ok := h.account(r)
	if !ok {
		w.Respond(nil, pdu.ESME_RSYSERR)
		return
	}
	now := time.Now()
	// Every field within its 3.4 limit (the request may have been read
	// leniently) and every value allowed, or nothing is accepted: a
	// destination too long to be forwarded could not even be named in the
	// unsuccess list.
	if st := Refused(mm); st != 0 {
		h.answer(w, acct, "submit_multi", nil, st)
		return
	}
	exp, err := mm.ValidityTime(now)
	if err != nil {
		h.answer(w, acct, "submit_multi", nil, pdu.StatusOf(err))
		return
	}
	sched, err := mm.ScheduleTime(now)
	if err != nil {
		h.answer(w, acct, "submit_multi", nil, pdu.StatusOf(err))
		return
	}
	base := h.ids.Next()
	bind := h.bindOf(r)
	resp := &pdu.SubmitMultiResp{MessageID: base}
	var accepted []*store.Message
	for i, d := range mm.Dests {
		if d.Flag == pdu.DestFlagList {
			resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestinationAddr: d.DLName, ErrorStatusCode: pdu.ESME_RINVDLNAME})
			continue
		}
		if st := h.Check(acct, mm.SourceAddr, d.DestinationAddr); st != 0 {
			resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr, ErrorStatusCode: st})
			continue
		}
		sm := &pdu.SubmitSM{
			ServiceType: mm.ServiceType, SourceAddrTON: mm.SourceAddrTON, SourceAddrNPI: mm.SourceAddrNPI, SourceAddr: mm.SourceAddr,
			DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr,
			ESMClass: mm.ESMClass, ProtocolID: mm.ProtocolID, PriorityFlag: mm.PriorityFlag,
			ScheduleDeliveryTime: mm.ScheduleDeliveryTime, ValidityPeriod: mm.ValidityPeriod,
			RegisteredDelivery: mm.RegisteredDelivery, ReplaceIfPresentFlag: mm.ReplaceIfPresentFlag,
			DataCoding: mm.DataCoding, SMDefaultMsgID: mm.SMDefaultMsgID, ShortMessage: mm.ShortMessage, TLVs: mm.TLVs,
		}
		body, err := sm.AppendBinary(nil)
		if err != nil {
			st := pdu.StatusOf(err)
			resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr, ErrorStatusCode: st})
			continue
		}
		m := &store.Message{
			ID: fmt.Sprintf("%s-%d", base, i+1), Account: acct, Command: uint32(pdu.SubmitSMID), Body: body,
			Source: sm.SourceAddr, Dest: sm.DestinationAddr, Registered: sm.RegisteredDelivery,
			Bind: bind, State: store.Queued, Created: now, Expires: h.Expiry(exp, now), NextTry: scheduled(sched, now),
		}
		if st := h.Accept(m); st != 0 {
			resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr, ErrorStatusCode: st})
			continue
		}
		accepted = append(accepted, m)
	}
	if len(accepted) == 0 {
		h.answer(w, acct, "submit_multi", nil, pdu.ESME_RSUBMITFAIL)
		return
	}
	h.answer(w, acct, "submit_multi", resp, 0)
}
