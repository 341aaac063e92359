package smppapi

import (
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// dataSM answers a data_sm from an ESME as submitSM answers a submit_sm:
// its body is stored and forwarded as a data_sm. It has no validity nor
// schedule of its own: it expires after the default validity.
func (h *Handlers) dataSM(w server.ResponseWriter, r *server.Request) {
	if h.throttled(w, r) {
		return
	}
	ds := r.PDU.(*pdu.DataSM)
	acct, ok := h.account(r)
	if !ok {
		w.Respond(nil, pdu.ESME_RSYSERR)
		return
	}
	now := time.Now()
	if st := h.Check(acct, ds.SourceAddr, ds.DestinationAddr); st != 0 {
		h.answer(w, acct, "data_sm", nil, st)
		return
	}
	// As for submit_sm: every field within its limit and every value
	// allowed, then the body as it came.
	if st := Refused(ds); st != 0 {
		h.answer(w, acct, "data_sm", nil, st)
		return
	}
	m := &store.Message{
		ID: h.ids.Next(), Account: acct, Command: uint32(pdu.DataSMID), Body: r.Body,
		Source: ds.SourceAddr, Dest: ds.DestinationAddr, Registered: ds.RegisteredDelivery,
		Bind: h.bindOf(r), State: store.Queued, Created: now, Expires: h.Expiry(time.Time{}, now),
	}
	h.acceptAsync(w, acct, pdu.DataSMID, m)
}
