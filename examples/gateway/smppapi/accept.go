package smppapi

import (
	"errors"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// The steps of accepting a submission, shared by the SMPP handlers and the
// gateway's HTTP API: Check, Refused, Expiry, Accept.

// Checker is a submission's body as Refused checks it (*pdu.SubmitSM,
// *pdu.DataSM and *pdu.SubmitMulti have it).
type Checker interface {
	// Validate reports a field beyond its SMPP 3.4 limit.
	Validate() error
	// CheckValues reports a value SMPP 3.4 does not allow.
	CheckValues() error
}

// Refused returns the status that refuses a submission before anything of
// it is stored, or 0: a field beyond its SMPP 3.4 limit (Validate), else a
// value 3.4 does not allow (CheckValues: priority_flag, registered_delivery,
// replace_if_present_flag, the time strings, short_message with
// message_payload).
func Refused(p Checker) pdu.Status {
	if err := p.Validate(); err != nil {
		return pdu.StatusOf(err)
	}
	return pdu.StatusOf(p.CheckValues())
}

// Check returns the status that refuses a message of the account from src
// to dst for its addresses, or 0: ESME_RINVDSTADR for no destination or
// one with no route (from this source, for this account).
func (h *Handlers) Check(account, src, dst string) pdu.Status {
	if dst == "" {
		return pdu.ESME_RINVDSTADR
	}
	if len(h.routes.Route(account, src, dst)) == 0 {
		return pdu.ESME_RINVDSTADR
	}
	return 0
}

// Expiry returns when a message accepted at now with validity time t
// (zero: none given) expires: t, or now plus the default validity.
func (h *Handlers) Expiry(t, now time.Time) time.Time {
	if !t.IsZero() {
		return t
	}
	if h.validity == nil {
		return now.Add(DefaultValidity)
	}
	return now.Add(h.validity())
}

// scheduled is when a message with schedule_delivery_time t (zero: none)
// may first go upstream: the gateway holds it queued until then, so that
// cancel_sm and replace_sm work until it leaves, and forwards it without
// the schedule.
func scheduled(t, now time.Time) time.Time {
	if t.After(now) {
		return t
	}
	return time.Time{}
}

// Accept stores a message and its ticket in the queue durably, and returns
// the status to answer: 0 (ESME_ROK, which only now may be answered),
// ESME_RMSGQFUL when the queue is full, ESME_RSYSERR when the store failed
// (logged).
func (h *Handlers) Accept(m *store.Message) pdu.Status {
	return h.accepted(h.store.Accept(m))
}

// acceptAsync hands m, a submit_sm's or a data_sm's (cmd), to the store
// without waiting (AcceptAsync) and answers the ESME once it is durable, or
// refused: the read loop goes on meanwhile. A submit_sm's time from its
// read (m.Created) to its answer is counted (SubmitLatency).
func (h *Handlers) acceptAsync(w server.ResponseWriter, acct string, cmd pdu.CommandID, m *store.Message) {
	name := "submit_sm"
	if cmd == pdu.DataSMID {
		name = "data_sm"
	}
	w.Hold()
	h.store.AcceptAsync(m, func(err error) {
		if st := h.accepted(err); st != 0 {
			h.answer(w, acct, name, nil, st)
			return
		}
		if cmd == pdu.DataSMID {
			h.answer(w, acct, name, &pdu.DataSMResp{MessageID: m.ID}, 0)
			return
		}
		h.answer(w, acct, name, &pdu.SubmitSMResp{MessageID: m.ID}, 0)
		h.metrics.SubmitLatency(acct, time.Since(m.Created))
	})
}

// accepted is the status that answers a submission whose Accept (or
// AcceptAsync) ended with err.
func (h *Handlers) accepted(err error) pdu.Status {
	switch {
	case errors.Is(err, queue.ErrFull):
		return pdu.ESME_RMSGQFUL
	case err != nil:
		h.log.Error("store: accept failed", "err", err)
		return pdu.ESME_RSYSERR
	}
	return 0
}
