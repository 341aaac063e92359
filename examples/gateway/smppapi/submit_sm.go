package smppapi

import (
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// submitSM answers a submit_sm: refused, or stored and answered with its
// id.
func (h *Handlers) submitSM(w server.ResponseWriter, r *server.Request) {
	if h.throttled(w, r) {
		return
	}
	sm := r.PDU.(*pdu.SubmitSM)
	acct, ok := h.account(r)
	if !ok {
		w.Respond(nil, pdu.ESME_RSYSERR)
		return
	}
	now := time.Now()
	if st := h.Check(acct, sm.SourceAddr, sm.DestinationAddr); st != 0 {
		h.answer(w, acct, "submit_sm", nil, st)
		return
	}
	// A field beyond its 3.4 limit (the request was read leniently), or a
	// value 3.4 does not allow, is refused here, before anything is
	// stored: it could not be forwarded upstream. Once every field is
	// within its limit, the body as it came is the strict encoding (see
	// server.Request): it is stored as it is, not encoded again, and it is
	// the request's own memory.
	if st := Refused(sm); st != 0 {
		h.answer(w, acct, "submit_sm", nil, st)
		return
	}
	exp, err := sm.ValidityTime(now)
	if err != nil {
		h.answer(w, acct, "submit_sm", nil, pdu.StatusOf(err))
		return
	}
	sched, err := sm.ScheduleTime(now)
	if err != nil {
		h.answer(w, acct, "submit_sm", nil, pdu.StatusOf(err))
		return
	}
	m := &store.Message{
		ID: h.ids.Next(), Account: acct, Command: uint32(pdu.SubmitSMID), Body: r.Body,
		Source: sm.SourceAddr, Dest: sm.DestinationAddr, Registered: sm.RegisteredDelivery,
		Bind: h.bindOf(r), State: store.Queued, Created: now, Expires: h.Expiry(exp, now), NextTry: scheduled(sched, now),
	}
	h.acceptAsync(w, acct, pdu.SubmitSMID, m)
}

// answer sends a submission's answer and counts it.
func (h *Handlers) answer(w server.ResponseWriter, acct, cmd string, body pdu.PDU, st pdu.Status) {
	h.metrics.Answered(acct, cmd, st)
	if err := w.Respond(body, st); err != nil {
		// The session ended first. An accepted message is stored and goes
		// on; the ESME never learnt its id.
		h.log.Info("the answer to a submission could not be sent", "system_id", acct, "command", cmd, "status", st.String(), "err", err)
	}
}
