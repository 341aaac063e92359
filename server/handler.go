package server

import (
	"context"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// Handler answers the requests of bound ESMEs: submit_sm, submit_multi,
// data_sm, query_sm, cancel_sm, replace_sm (bind, unbind and enquire_link
// are answered by the server). ServeSMPP runs on a goroutine of its own
// (reused between requests), at most the session's InboundWindow at once per
// connection, or on the connection's read loop with
// Server.Session.InlineHandler (wrap a handler there that may wait in
// OffLoop). It answers with w.Respond, at once or, after
// w.Hold, later from any goroutine; a handler that returns without
// answering (and without Hold) has DefaultStatus answered for it, and one
// that panics has ESME_RSYSERR answered and the connection lives on.
//
// A handler may push to the ESME while it runs (r.Conn().Deliver or
// DeliverAsync, Server.Deliver), also on the connection its request came
// on: a push waits only for room in that connection's window. On its own
// goroutine (the default) a handler may wait for the push's answer, since
// the connection's reading goes on. An inline handler holds the loop that
// would read that answer: it uses DeliverAsync and OnDone instead, with a
// context that bounds the wait for the window; one that waits for the
// answer on its own connection gets ErrTimeout after the session's response
// timeout (the connection lives on).
type Handler interface {
	ServeSMPP(w ResponseWriter, r *Request)
}

// OffLoop returns a handler that runs h off the connection's read loop:
// with Server.Session.InlineHandler, each request is handed to one of the
// connection's handler goroutines and the loop reads on at once; without
// it h runs where it is called. h is served as any handler is (a panic
// answers ESME_RSYSERR, a request left unanswered without Hold gets
// DefaultStatus, and with RecycleRequests its memory is kept for it). It is
// for the commands whose handling may wait, in a server whose other
// handlers answer inline; see session.OffLoop.
func OffLoop(h Handler) Handler {
	off := session.OffLoop(session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
		h.ServeSMPP(w, (*Request)(r))
	}))
	return HandlerFunc(func(w ResponseWriter, r *Request) { off.ServeSMPP(w, (*session.Request)(r)) })
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(w ResponseWriter, r *Request)

// ServeSMPP calls f(w, r).
func (f HandlerFunc) ServeSMPP(w ResponseWriter, r *Request) { f(w, r) }

// ResponseWriter answers one request.
type ResponseWriter interface {
	// Respond sends the response: body is the response body (nil for an
	// empty one of the right type, such as a submit_sm_resp without a
	// message_id); a non-zero status sends the header-only error response.
	// It may be called once; later calls return ErrResponded.
	Respond(body pdu.PDU, status pdu.Status) error
	// Hold tells the server the handler will call Respond later, from
	// another goroutine (a deferred answer, after a database write for
	// instance). Until then the request takes a place in the inbound window.
	Hold()
}

// Request is a request from a bound ESME. Its fields are those of
// session.Request: Header (command_id, sequence_number), PDU (the decoded
// body: *pdu.SubmitSM, *pdu.SubmitMulti, *pdu.DataSM, *pdu.QuerySM,
// *pdu.CancelSM or *pdu.ReplaceSM), Body (the body as it came, which PDU
// aliases) and Session (the engine of the connection; Conn is the server's
// handle on it).
//
// A handler that stores or forwards a submission keeps Body, which costs
// nothing, instead of encoding PDU again: once the PDU's Validate method
// returns nil (every field within its SMPP 3.4 limit, which a request read
// with Server.Session.Decode Lenient may not be), Body is what PDU's
// AppendBinary would write (see session.Request.Body for the one exception,
// octets after a query_sm, cancel_sm or replace_sm).
//
// By default the request owns its memory: a handler may keep it, or Body,
// or any string or slice of its PDU, after it returns. With
// Server.Session.RecycleRequests (and InlineHandler) the memory of a
// submit_sm is reused once the handler has returned: keep a copy (the PDU's
// Clone method, bytes.Clone of Body) or call Hold, which keeps the whole
// request.
type Request session.Request

// Context returns a context cancelled when the connection ends.
func (r *Request) Context() context.Context { return (*session.Request)(r).Context() }

// Conn returns the connection the request came on.
func (r *Request) Conn() *Conn { return connOf(r.Session) }

// DefaultStatus is the status a request gets when no handler answers it:
// ESME_RSUBMITFAIL for submit_sm, submit_multi and data_sm,
// ESME_RQUERYFAIL for query_sm, ESME_RCANCELFAIL for cancel_sm,
// ESME_RREPLACEFAIL for replace_sm, and ESME_RINVCMDID for anything else.
func DefaultStatus(id pdu.CommandID) pdu.Status { return session.DefaultStatus(session.SMSC, id) }

// defaultHandler answers every request with DefaultStatus.
type defaultHandler struct{}

func (defaultHandler) ServeSMPP(w ResponseWriter, r *Request) {
	w.Respond(nil, DefaultStatus(r.Header.ID))
}
