package sim

import (
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// lookup finds a live message of the session's system_id.
func (s *Simulator) lookup(c *conn, id string, now int64, f func(e *entry)) bool {
	n := s.store.parseID(id)
	found := false
	s.store.with(n, now, func(e *entry) {
		if e.sys == c.sys {
			found = true
			f(e)
		}
	})
	return found
}

func (s *Simulator) serveQuery(w server.ResponseWriter, r *server.Request) {
	c := connOf(r)
	q := r.PDU.(*pdu.QuerySM)
	now := time.Now().UnixNano()
	var resp pdu.QuerySMResp
	ok := c != nil && s.lookup(c, q.MessageID, now, func(e *entry) {
		resp.MessageState = e.currentState(now)
		if resp.MessageState.Final() || resp.MessageState == pdu.StateDeleted {
			resp.FinalDate = pdu.FormatAbsolute(time.Unix(0, e.final).UTC())
			if resp.MessageState != pdu.StateDelivered && e.err <= 255 {
				resp.ErrorCode = uint8(e.err)
			}
		}
	})
	if !ok {
		w.Respond(nil, pdu.ESME_RQUERYFAIL)
		return
	}
	resp.MessageID = q.MessageID
	w.Respond(&resp, pdu.ESME_ROK)
}

func (s *Simulator) serveCancel(w server.ResponseWriter, r *server.Request) {
	c := connOf(r)
	m := r.PDU.(*pdu.CancelSM)
	now := time.Now().UnixNano()
	if c == nil || m.MessageID == "" {
		// Cancelling by addresses would need an index the store does not keep.
		w.Respond(nil, pdu.ESME_RCANCELFAIL)
		return
	}
	status := pdu.ESME_ROK
	ok := s.lookup(c, m.MessageID, now, func(e *entry) {
		if e.currentState(now) != pdu.StateEnroute {
			status = pdu.ESME_RCANCELFAIL
			return
		}
		e.state, e.final, e.err = pdu.StateDeleted, now, 0
	})
	if !ok {
		status = pdu.ESME_RINVMSGID
	}
	w.Respond(nil, status)
}

func (s *Simulator) serveReplace(w server.ResponseWriter, r *server.Request) {
	c := connOf(r)
	m := r.PDU.(*pdu.ReplaceSM)
	now := time.Now().UnixNano()
	status := pdu.ESME_ROK
	var sched *job
	ok := c != nil && s.lookup(c, m.MessageID, now, func(e *entry) {
		if e.currentState(now) != pdu.StateEnroute {
			status = pdu.ESME_RREPLACEFAIL
			return
		}
		e.setText(m.ShortMessage)
		had := wantsReceipt(e.regDel, e.state)
		e.regDel = m.RegisteredDelivery
		e.submitted = now
		e.final = now + int64(s.delay())
		if !had && wantsReceipt(e.regDel, e.state) {
			sched = &job{due: e.final, n: e.id, sys: e.sys}
		}
	})
	if !ok {
		status = pdu.ESME_RINVMSGID
	}
	if sched != nil {
		s.sched.add(*sched)
	}
	w.Respond(nil, status)
}
