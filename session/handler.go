package session

import (
	"context"

	"github.com/esmsafrica/smpp/pdu"
)

// Request is a request received from the peer. By default its PDU owns its
// memory (the strings and slices of the PDU share one buffer made for this
// request, Body): the handler may keep any of it after it returns. Only with
// Config.RecycleRequests is that memory reused once the handler has
// returned; a handler that keeps something then copies it (the PDU's Clone
// method, bytes.Clone of Body) or calls Hold.
type Request struct {
	Header pdu.Header
	PDU    pdu.PDU // the decoded body: *pdu.SubmitSM, *pdu.DeliverSM, ...
	// Body is the body as it came, without the header: the buffer PDU was
	// decoded from and its strings and slices alias, so it costs nothing
	// and lives as long as they do. A handler that stores or forwards the
	// request keeps Body rather than encoding PDU again. Once the PDU's
	// Validate method returns nil, Body is what its AppendBinary would
	// write, however leniently it was read (Config.Decode): what Lenient
	// accepts in a request is a field beyond its limit, which Validate
	// refuses, a known TLV of a wrong length, which AppendBinary writes as
	// it came too, and octets after the last field of a body without TLVs
	// (query_sm, cancel_sm, replace_sm), which stay in Body and which
	// AppendBinary would drop. The handler must not modify it.
	Body    []byte
	Session *Session // the session it arrived on
	ctx     context.Context
}

// Context returns a context that is cancelled when the session ends.
func (r *Request) Context() context.Context { return r.ctx }

// ResponseWriter answers one request.
type ResponseWriter interface {
	// Respond sends the response: body is the response body (nil for an empty
	// one of the right type); a non-zero status sends the header-only error form.
	// It may be called once; later calls return ErrResponded.
	Respond(body pdu.PDU, status pdu.Status) error
	// Hold tells the session the handler will call Respond later, from another
	// goroutine (a deferred acknowledgement). Without Hold, a handler that
	// returns without responding gets DefaultStatus answered for it.
	Hold()
}

// Handler handles the requests a session receives from its peer.
type Handler interface {
	ServeSMPP(w ResponseWriter, r *Request)
}

// OffLoop returns a handler that runs h off the read loop. In a session
// with InlineHandler it hands the request to one of the session's handler
// goroutines (those every request runs on without InlineHandler) and the
// read loop goes on at once; elsewhere it runs h where it is called. There h
// is served as any handler is: a panic answers ESME_RSYSERR (the session
// lives on), a return without Respond or Hold answers DefaultStatus, and
// with RecycleRequests the request's memory is kept for it.
//
// It is for the requests whose handling may wait (a database read, a
// throttle, a lock held long) in a session whose other handlers answer
// inline: with a ServeMux, per command. h must be given the ResponseWriter
// the session passed; behind a wrapper of it, h runs where it is called.
func OffLoop(h Handler) Handler { return offLoop{h} }

type offLoop struct{ h Handler }

func (o offLoop) ServeSMPP(w ResponseWriter, r *Request) {
	if rw, ok := w.(*responseWriter); ok && rw.inline {
		rw.next = o.h // served by a handler goroutine once this returns (handleRequest)
		return
	}
	o.h.ServeSMPP(w, r)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(w ResponseWriter, r *Request)

// ServeSMPP calls f(w, r).
func (f HandlerFunc) ServeSMPP(w ResponseWriter, r *Request) { f(w, r) }

// defaultHandler answers every request with the status DefaultStatus gives.
type defaultHandler struct{}

func (defaultHandler) ServeSMPP(w ResponseWriter, r *Request) {
	w.Respond(nil, DefaultStatus(r.Session.Role(), r.Header.ID))
}

// DefaultStatus is the status a request gets, in a session of the given role,
// when no handler answers it: an
// SMSC that does not handle submissions fails them (ESME_RSUBMITFAIL,
// ESME_RQUERYFAIL, ESME_RCANCELFAIL, ESME_RREPLACEFAIL), and an ESME that does
// not handle deliveries asks the SMSC to retry later (ESME_RX_T_APPN), so that
// no receipt is acknowledged and lost.
func DefaultStatus(role Role, id pdu.CommandID) pdu.Status {
	if role == ESME && (id == pdu.DeliverSMID || id == pdu.DataSMID) {
		return pdu.ESME_RX_T_APPN
	}
	switch id {
	case pdu.SubmitSMID, pdu.SubmitMultiID, pdu.DataSMID:
		return pdu.ESME_RSUBMITFAIL
	case pdu.QuerySMID:
		return pdu.ESME_RQUERYFAIL
	case pdu.CancelSMID:
		return pdu.ESME_RCANCELFAIL
	case pdu.ReplaceSMID:
		return pdu.ESME_RREPLACEFAIL
	case pdu.DeliverSMID:
		return pdu.ESME_RX_T_APPN
	}
	return pdu.ESME_RINVCMDID
}
