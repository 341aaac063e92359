package smppapi

import (
	"errors"
	"fmt"
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
	_, err := h.Cancel(m)
	switch {
	case err == nil:
		w.Respond(nil, 0)
	case errors.Is(err, errCancelWrite):
		w.Respond(nil, pdu.ESME_RSYSERR)
	default: // no longer queued, or gone when read again
		w.Respond(nil, pdu.ESME_RCANCELFAIL)
	}
}

// ErrNotQueued is Cancel's error for a message that is no longer queued in
// the gateway: on its way upstream, or final.
var ErrNotQueued = errors.New("smppapi: the message is no longer queued in the gateway")

// errCancelWrite marks Cancel's error when the cancel could not be
// written (a store failure, logged and counted).
var errCancelWrite = errors.New("smppapi: recording a cancel")

// Cancel cancels message m, as read from the store, if it is still queued
// in the gateway: a compare-and-set from the version read, so that a
// dispatch that marked it Inflight first wins and the cancel fails; any
// other change in between is read again and decided anew. It returns the
// message as cancelled; or the newest version read and ErrNotQueued; or the
// store's error when the cancel could not be written (logged and counted
// as a store error); or the error of reading it again. cancel_sm and the
// HTTP API's cancel both use it.
func (h *Handlers) Cancel(m *store.Message) (*store.Message, error) {
	for m.State == store.Queued {
		m.State, m.Done = store.Deleted, time.Now()
		err := h.store.Update(m)
		if err == nil {
			return m, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			h.storeFailed("recording a cancel", m.ID, err)
			return m, fmt.Errorf("%w: %w", errCancelWrite, err)
		}
		if m, err = h.store.Get(m.ID); err != nil {
			return nil, err
		}
	}
	return m, ErrNotQueued
}
