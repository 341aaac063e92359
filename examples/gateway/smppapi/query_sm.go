package smppapi

import (
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// owned returns the message with this id if it is of the account r came
// on, else ESME_RINVMSGID: another account's message is answered as an id
// unknown.
func (h *Handlers) owned(r *server.Request, id string) (*store.Message, pdu.Status) {
	acct, ok := h.account(r)
	if !ok {
		return nil, pdu.ESME_RSYSERR
	}
	m, err := h.store.Get(id)
	if err != nil || m.Account != acct {
		return nil, pdu.ESME_RINVMSGID
	}
	return m, 0
}

// querySM answers a query_sm with the message's state (store.State's
// message_state), its error code and, once final, when it became final;
// ESME_RQUERYFAIL for an id unknown, another account's, or past retention.
func (h *Handlers) querySM(w server.ResponseWriter, r *server.Request) {
	q := r.PDU.(*pdu.QuerySM)
	m, st := h.owned(r, q.MessageID)
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
