package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// refused returns the status that refuses a submission before anything of
// it is stored, or 0: a field beyond its SMPP 3.4 limit (Validate), else a
// value 3.4 does not allow (CheckValues: priority_flag, registered_delivery,
// replace_if_present_flag, the time strings, short_message with
// message_payload).
func refused(p interface {
	Validate() error
	CheckValues() error
}) pdu.Status {
	if err := p.Validate(); err != nil {
		return pdu.StatusOf(err)
	}
	return pdu.StatusOf(p.CheckValues())
}

func (gw *Gateway) handleSubmit(w server.ResponseWriter, r *server.Request) {
	if gw.throttled(w, r) {
		return
	}
	sm := r.PDU.(*pdu.SubmitSM)
	a := accountOf(r)
	now := time.Now()
	if st := gw.checkSubmit(a, sm.SourceAddr, sm.DestinationAddr); st != 0 {
		gw.answer(w, a, "submit_sm", nil, st)
		return
	}
	// A field beyond its 3.4 limit (the request was read leniently), or a
	// value 3.4 does not allow, is refused here, before anything is
	// stored: it could not be forwarded upstream. Once every field is
	// within its limit, the body as it came is the strict encoding (see
	// server.Request): it is stored as it is, not encoded again, and it is
	// the request's own memory.
	if st := refused(sm); st != 0 {
		gw.answer(w, a, "submit_sm", nil, st)
		return
	}
	exp, err := sm.ValidityTime(now)
	if err != nil {
		gw.answer(w, a, "submit_sm", nil, pdu.StatusOf(err))
		return
	}
	sched, err := sm.ScheduleTime(now)
	if err != nil {
		gw.answer(w, a, "submit_sm", nil, pdu.StatusOf(err))
		return
	}
	m := &store.Message{
		ID: gw.newID(), Account: a.cfg.SystemID, Command: uint32(pdu.SubmitSMID), Body: r.Body,
		Source: sm.SourceAddr, Dest: sm.DestinationAddr, Registered: sm.RegisteredDelivery,
		Bind: bindIDOf(r.Conn()), State: store.Queued, Created: now, Expires: gw.expiry(exp, now), NextTry: scheduled(sched, now),
	}
	if st := gw.accept(m); st != 0 {
		gw.answer(w, a, "submit_sm", nil, st)
		return
	}
	gw.answer(w, a, "submit_sm", &pdu.SubmitSMResp{MessageID: m.ID}, 0)
	gw.metrics.observeSubmit(a.cfg.SystemID, time.Since(now))
}

func (gw *Gateway) handleDataSM(w server.ResponseWriter, r *server.Request) {
	if gw.throttled(w, r) {
		return
	}
	ds := r.PDU.(*pdu.DataSM)
	a := accountOf(r)
	now := time.Now()
	if st := gw.checkSubmit(a, ds.SourceAddr, ds.DestinationAddr); st != 0 {
		gw.answer(w, a, "data_sm", nil, st)
		return
	}
	// As for submit_sm: every field within its limit and every value
	// allowed, then the body as it came.
	if st := refused(ds); st != 0 {
		gw.answer(w, a, "data_sm", nil, st)
		return
	}
	m := &store.Message{
		ID: gw.newID(), Account: a.cfg.SystemID, Command: uint32(pdu.DataSMID), Body: r.Body,
		Source: ds.SourceAddr, Dest: ds.DestinationAddr, Registered: ds.RegisteredDelivery,
		Bind: bindIDOf(r.Conn()), State: store.Queued, Created: now, Expires: gw.expiry(time.Time{}, now),
	}
	if st := gw.accept(m); st != 0 {
		gw.answer(w, a, "data_sm", nil, st)
		return
	}
	gw.answer(w, a, "data_sm", &pdu.DataSMResp{MessageID: m.ID}, 0)
}

// handleSubmitMulti stores one message per SME destination; distribution
// lists are not provisioned here and are reported unsuccessful.
func (gw *Gateway) handleSubmitMulti(w server.ResponseWriter, r *server.Request) {
	if gw.throttled(w, r) {
		return
	}
	mm := r.PDU.(*pdu.SubmitMulti)
	a := accountOf(r)
	now := time.Now()
	// Every field within its 3.4 limit (the request may have been read
	// leniently) and every value allowed, or nothing is accepted: a
	// destination too long to be forwarded could not even be named in the
	// unsuccess list.
	if st := refused(mm); st != 0 {
		gw.answer(w, a, "submit_multi", nil, st)
		return
	}
	exp, err := mm.ValidityTime(now)
	if err != nil {
		gw.answer(w, a, "submit_multi", nil, pdu.StatusOf(err))
		return
	}
	sched, err := mm.ScheduleTime(now)
	if err != nil {
		gw.answer(w, a, "submit_multi", nil, pdu.StatusOf(err))
		return
	}
	base := gw.newID()
	resp := &pdu.SubmitMultiResp{MessageID: base}
	var accepted []*store.Message
	for i, d := range mm.Dests {
		if d.Flag == pdu.DestFlagList {
			resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestinationAddr: d.DLName, ErrorStatusCode: pdu.ESME_RINVDLNAME})
			continue
		}
		if st := gw.checkSubmit(a, mm.SourceAddr, d.DestinationAddr); st != 0 {
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
			ID: fmt.Sprintf("%s-%d", base, i+1), Account: a.cfg.SystemID, Command: uint32(pdu.SubmitSMID), Body: body,
			Source: sm.SourceAddr, Dest: sm.DestinationAddr, Registered: sm.RegisteredDelivery,
			Bind: bindIDOf(r.Conn()), State: store.Queued, Created: now, Expires: gw.expiry(exp, now), NextTry: scheduled(sched, now),
		}
		if st := gw.accept(m); st != 0 {
			resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr, ErrorStatusCode: st})
			continue
		}
		accepted = append(accepted, m)
	}
	if len(accepted) == 0 {
		gw.answer(w, a, "submit_multi", nil, pdu.ESME_RSUBMITFAIL)
		return
	}
	gw.answer(w, a, "submit_multi", resp, 0)
}

func (gw *Gateway) answer(w server.ResponseWriter, a *account, cmd string, body pdu.PDU, st pdu.Status) {
	gw.metrics.submits.WithLabelValues(a.cfg.SystemID, cmd, st.String()).Inc()
	if err := w.Respond(body, st); err != nil {
		// The session ended first. An accepted message is stored and goes
		// on; the ESME never learnt its id.
		gw.log.Info("the answer to a submission could not be sent", "system_id", a.cfg.SystemID, "command", cmd, "status", st.String(), "err", err)
	}
}

func (gw *Gateway) checkSubmit(a *account, src, dst string) pdu.Status {
	if dst == "" {
		return pdu.ESME_RINVDSTADR
	}
	if len(gw.routeFor(a.cfg.SystemID, src, dst)) == 0 {
		return pdu.ESME_RINVDSTADR
	}
	return 0
}

// scheduled is when a message with schedule_delivery_time t (zero: none)
// may first go upstream: the gateway holds it queued until then, so that
// cancel_sm and replace_sm work until it leaves, and forwards it without
// the schedule (see send).
func scheduled(t, now time.Time) time.Time {
	if t.After(now) {
		return t
	}
	return time.Time{}
}

func (gw *Gateway) expiry(t, now time.Time) time.Time {
	if t.IsZero() {
		return now.Add(gw.cfg.Load().DefaultValidity.D())
	}
	return t
}

// accept stores a message and its ticket in the queue durably: only then
// is the ESME told ESME_ROK.
func (gw *Gateway) accept(m *store.Message) pdu.Status {
	switch err := gw.store.Accept(m); {
	case errors.Is(err, queue.ErrFull):
		return pdu.ESME_RMSGQFUL
	case err != nil:
		gw.log.Error("store: accept failed", "err", err)
		return pdu.ESME_RSYSERR
	}
	return 0
}
