package smppapi

import (
	"errors"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// cancelSM answers a cancel_sm: a message of the account still queued in
// the gateway becomes Deleted; one already on its way upstream, or final,
// is answered ESME_RCANCELFAIL, as is a cancel by address (not kept
// indexed here).
func (h *Handlers) cancelSM(w server.ResponseWriter, r *server.Request) {
	c := r.PDU.(*pdu.CancelSM)
	if c.MessageID == "" {
		// Bulk cancel by address is not kept indexed here.
		w.Respond(nil, pdu.ESME_RCANCELFAIL)
		return
	}
	m, st := h.owned(r, c.MessageID)
	if st != 0 {
		w.Respond(nil, st)
		return
	}
	// A compare-and-set from the version read: a dispatch that marked it
	// Inflight first wins, and the cancel fails.
	for m.State == store.Queued {
		m.State, m.Done = store.Deleted, time.Now()
		err := h.store.Update(m)
		if err == nil {
			w.Respond(nil, 0)
			return
		}
		if !errors.Is(err, store.ErrConflict) {
			h.storeFailed("recording a cancel_sm", m.ID, err)
			w.Respond(nil, pdu.ESME_RSYSERR)
			return
		}
		if m, err = h.store.Get(m.ID); err != nil {
			w.Respond(nil, pdu.ESME_RCANCELFAIL)
			return
		}
	}
	w.Respond(nil, pdu.ESME_RCANCELFAIL)
}
