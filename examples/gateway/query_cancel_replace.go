package main

import (
	"errors"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/tlv"
)

func (gw *Gateway) owned(r *server.Request, id string) (*store.Message, pdu.Status) {
	a := accountOf(r)
	m, err := gw.store.Get(id)
	if err != nil || m.Account != a.cfg.SystemID {
		return nil, pdu.ESME_RINVMSGID
	}
	return m, 0
}

func (gw *Gateway) handleQuery(w server.ResponseWriter, r *server.Request) {
	q := r.PDU.(*pdu.QuerySM)
	m, st := gw.owned(r, q.MessageID)
	if st != 0 {
		w.Respond(nil, pdu.ESME_RQUERYFAIL)
		return
	}
	resp := &pdu.QuerySMResp{MessageID: q.MessageID, MessageState: m.State.MessageState(), ErrorCode: m.Error}
	if m.State.Final() && !m.Done.IsZero() {
		resp.FinalDate = pdu.FormatAbsolute(m.Done)
	}
	w.Respond(resp, 0)
}

func (gw *Gateway) handleCancel(w server.ResponseWriter, r *server.Request) {
	c := r.PDU.(*pdu.CancelSM)
	if c.MessageID == "" {
		// Bulk cancel by address is not kept indexed here.
		w.Respond(nil, pdu.ESME_RCANCELFAIL)
		return
	}
	m, st := gw.owned(r, c.MessageID)
	if st != 0 {
		w.Respond(nil, st)
		return
	}
	// A compare-and-set from the version read: a dispatch that marked it
	// Inflight first wins, and the cancel fails.
	for m.State == store.Queued {
		m.State, m.Done = store.Deleted, time.Now()
		err := gw.store.Update(m)
		if err == nil {
			w.Respond(nil, 0)
			return
		}
		if !errors.Is(err, store.ErrConflict) {
			gw.storeFailed("recording a cancel_sm", m.ID, err)
			w.Respond(nil, pdu.ESME_RSYSERR)
			return
		}
		if m, err = gw.store.Get(m.ID); err != nil {
			w.Respond(nil, pdu.ESME_RCANCELFAIL)
			return
		}
	}
	w.Respond(nil, pdu.ESME_RCANCELFAIL)
}

func (gw *Gateway) handleReplace(w server.ResponseWriter, r *server.Request) {
	rp := r.PDU.(*pdu.ReplaceSM)
	m, st := gw.owned(r, rp.MessageID)
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
		st := gw.replace(m, rp)
		if st != errReplaceConflict {
			w.Respond(nil, st)
			return
		}
		var err error
		if m, err = gw.store.Get(m.ID); err != nil {
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
func (gw *Gateway) replace(m *store.Message, rp *pdu.ReplaceSM) pdu.Status {
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
	switch err := gw.store.Replace(m); {
	case errors.Is(err, store.ErrConflict):
		return errReplaceConflict
	case err != nil:
		gw.storeFailed("recording a replace_sm", m.ID, err)
		return pdu.ESME_RSYSERR
	}
	return 0
}
