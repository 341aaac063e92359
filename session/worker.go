// The handler goroutines: requests from the peer run on reused goroutines
// (or on the read loop with InlineHandler), and answer through a
// ResponseWriter.

package session

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// Handlers run on reused goroutines: a handler that goes deep (a database
// write, say) grows its goroutine's stack once, not once per request, and a
// request costs no goroutine start. As many as the inbound window allows
// wait for work; every workerIdle, those waiting are retired.
var workerIdle = 2 * time.Second

// dispatch hands rq to an idle worker, or starts one. It runs on the read
// loop.
func (s *Session) dispatch(rq *inboundRequest) {
	select {
	case s.work <- rq:
	default:
		s.workers.Add(1)
		if s.retiring.CompareAndSwap(false, true) {
			time.AfterFunc(s.workerIdle, s.retireIdle)
		}
		go s.worker(rq)
	}
}

// retireIdle ends the workers waiting for work, and runs again after
// workerIdle while any worker is left and the session lives. A busy session
// starts a few workers again; a quiet one keeps none, and no timer. (Cheaper
// than a timer per waiting worker, which every request would reset.)
func (s *Session) retireIdle() {
	if s.ctx.Err() != nil {
		s.retiring.Store(false)
		return
	}
	for n := s.idleWorkers.Load(); n > 0; n-- {
		select {
		case s.work <- nil:
		default:
			n = 1 // none is waiting
		}
	}
	if s.workers.Load() == 0 {
		s.retiring.Store(false)
		// A worker started meanwhile may have found the flag still set.
		if s.workers.Load() == 0 || !s.retiring.CompareAndSwap(false, true) {
			return
		}
	}
	time.AfterFunc(s.workerIdle, s.retireIdle)
}

func (s *Session) worker(rq *inboundRequest) {
	defer s.workers.Add(-1)
	for {
		s.serve(&rq.responseWriter, &rq.Request)
		if s.idleWorkers.Add(1) > int32(s.cfg.InboundWindow) {
			s.idleWorkers.Add(-1)
			return
		}
		rq = nil // keep nothing of the last request while idle
		select {
		case rq = <-s.work:
			s.idleWorkers.Add(-1)
			if rq == nil {
				return // retired
			}
		case <-s.ctx.Done():
			s.idleWorkers.Add(-1)
			return
		}
	}
}

// serve runs the session's handler for a request, or the handler OffLoop
// handed it to (w.next), answering for it when it panics or returns
// without answer or Hold. On the read loop (w.inline) a handler that hands
// the request over is not answered for: its handler goroutine answers.
func (s *Session) serve(w *responseWriter, r *Request) {
	h := s.cfg.Handler
	if w.next != nil {
		h, w.next = w.next, nil
	}
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Logger.Error("smpp: handler panicked", "command", r.Header.ID.String(), "panic", fmt.Sprint(p))
			w.next = nil
			w.Respond(nil, pdu.ESME_RSYSERR)
		}
		if w.next != nil {
			return // handed over (OffLoop)
		}
		if !w.held.Load() {
			if r.Header.ID.HasResponse() {
				w.Respond(nil, DefaultStatus(s.cfg.Role, r.Header.ID))
			} else if w.done.CompareAndSwap(false, true) {
				// Not released yet (a handler's Respond, or the
				// panic's above, releases a request without response).
				w.release()
			}
		}
	}()
	h.ServeSMPP(w, r)
}

type inboundRequest struct {
	Request
	responseWriter
}

type responseWriter struct {
	s    *Session
	h    pdu.Header
	held atomic.Bool
	done atomic.Bool
	// inline is set while the handler runs on the read loop; next is the
	// handler it hands the request to (OffLoop), for a handler goroutine.
	inline bool
	next   Handler
}

func (w *responseWriter) Hold() { w.held.Store(true) }

func (w *responseWriter) release() {
	w.s.inbound.Add(-1)
	w.s.handlers.Done()
}

func (w *responseWriter) Respond(body pdu.PDU, status pdu.Status) error {
	if !w.h.ID.HasResponse() {
		if w.done.CompareAndSwap(false, true) {
			w.release()
		}
		return ErrNoResponse
	}
	if !w.done.CompareAndSwap(false, true) {
		return ErrResponded
	}
	// Free the inbound slot before the response can reach the peer: a peer
	// that sends its next request as soon as it reads this response must find
	// the slot free, or it is throttled for no reason.
	w.s.inbound.Add(-1)
	defer w.s.handlers.Done()
	rid := w.h.ID.Response()
	if body == nil || status != pdu.ESME_ROK {
		if status != pdu.ESME_ROK {
			return w.s.writeHeaderOnly(rid, status, w.h.Sequence)
		}
		body = pdu.New(rid)
	}
	if body.CommandID() != rid {
		w.s.writeHeaderOnly(rid, pdu.ESME_RSYSERR, w.h.Sequence)
		return fmt.Errorf("smpp: handler answered %s with %s", w.h.ID, body.CommandID())
	}
	if err := w.s.writePDU(w.h.Sequence, pdu.ESME_ROK, body); err != nil {
		if errors.Is(err, ErrClosed) {
			return err
		}
		// The body could not be encoded: the peer still gets an answer.
		w.s.writeHeaderOnly(rid, pdu.StatusOf(err), w.h.Sequence)
		return err
	}
	return nil
}
