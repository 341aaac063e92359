package smppapi

import (
	"errors"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/tlv"
)

// replaceSM answers a replace_sm: a submit_sm of the account still queued
// in the gateway gets the new text, schedule, validity and
// registered_delivery, and the next claim of its ticket sends the new
// version; one already on its way upstream, final, or not a submit_sm is
// answered ESME_RREPLACEFAIL.
func (h *Handlers) replaceSM(w server.ResponseWriter, r *server.Request) {
	rp := r.PDU.(*pdu.ReplaceSM)
	m, st := h.owned(r, rp.MessageID)
	if st != 0 {
		w.Respond(nil, st)
		return
	}
	if pdu.CommandID(m.Command) != pdu.SubmitSMID {
		w.Respond(nil, pdu.ESME_RREPLACEFAIL)
		return
	}
	for {
		if m.State != store.Queued {
			w.Respond(nil, pdu.ESME_RREPLACEFAIL)
			return
		}
		st := h.replace(m, rp)
		if st != errReplaceConflict {
			w.Respond(nil, st)
			return
		}
		var err error
		if m, err = h.store.Get(m.ID); err != nil {
			w.Respond(nil, pdu.ESME_RREPLACEFAIL)
			return
		}
	}
}

// errReplaceConflict is replace's answer when the message changed since it
// was read: read it again.
const errReplaceConflict = pdu.Status(0xFFFFFFFF)

// replace changes queued message m as rp asks, by a compare-and-set from
// the version read: the next claim of its ticket sends the new version.
func (h *Handlers) replace(m *store.Message, rp *pdu.ReplaceSM) pdu.Status {
	var sm pdu.SubmitSM
	if err := sm.UnmarshalBinary(m.Body); err != nil {
		return pdu.ESME_RREPLACEFAIL
	}
	sm.ShortMessage = rp.ShortMessage
	sm.TLVs.Del(tlv.MessagePayload)
	if rp.ScheduleDeliveryTime != "" {
		sm.ScheduleDeliveryTime = rp.ScheduleDeliveryTime
		if t, err := sm.ScheduleTime(time.Now()); err == nil {
			m.NextTry = scheduled(t, time.Now())
		}
	}
	if rp.ValidityPeriod != "" {
		sm.ValidityPeriod = rp.ValidityPeriod
		if t, err := sm.ValidityTime(time.Now()); err == nil {
			m.Expires = t
		}
	}
	sm.RegisteredDelivery = rp.RegisteredDelivery
	sm.SMDefaultMsgID = rp.SMDefaultMsgID
	body, err := sm.AppendBinary(nil)
	if err != nil {
		return pdu.StatusOf(err)
	}
	m.Body, m.Registered = body, rp.RegisteredDelivery
	switch err := h.store.Replace(m); {
	case errors.Is(err, store.ErrConflict):
		return errReplaceConflict
	case err != nil:
		h.storeFailed("recording a replace_sm", m.ID, err)
		return pdu.ESME_RSYSERR
	}
	return 0
}
