// The read loop: it reads one PDU at a time, matches responses to the
// requests in flight, answers what the session answers itself (enquire_link,
// unbind, what a state does not allow), and hands the peer's requests to
// the handler, each in memory of its own.

package session

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// readLoop reads PDUs until the connection fails.
func (s *Session) readLoop() {
	defer s.loops.Done()
	// Until the session is bound, the reader's limit is MaxUnboundPDULen.
	// A bind is handled on this loop, so the bound state is seen before the
	// next PDU is read.
	unbound := s.cfg.MaxUnboundPDULen < s.cfg.MaxPDULen
	if unbound {
		s.rd.SetMaxLen(s.cfg.MaxUnboundPDULen)
	}
	for {
		if unbound && s.State().Bound() {
			s.rd.SetMaxLen(s.cfg.MaxPDULen)
			unbound = false
		}
		f, err := s.rd.Read()
		if err != nil {
			var le *codec.LengthError
			if errors.As(err, &le) {
				// Framing is lost: say why, then close.
				s.writeHeaderOnly(pdu.GenericNackID, pdu.ESME_RINVCMDLEN, le.Sequence)
				s.closeFlushed(err)
				return
			}
			if s.State() == Unbound {
				err = io.EOF
			}
			s.closeWith(err)
			return
		}
		// Count the PDUs; the timer loop turns a changed count into the time
		// of the last read at its next tick (time.Now per PDU showed in
		// profiles, and the timers are no finer than a tick anyway).
		s.reads.Add(1)
		if s.missed.Load() != 0 {
			s.missed.Store(0)
		}
		if f.ID != pdu.EnquireLinkID && f.ID != pdu.EnquireLinkRespID {
			s.txReads.Add(1)
		}
		if fn := s.cfg.Observer.PDUIn; fn != nil {
			fn(s, f.Header)
		}
		more := s.rd.HasFrame()
		if s.batching.Load() != more {
			s.batching.Store(more)
		}
		if f.ID.IsResponse() {
			s.handleResponse(f)
		} else {
			s.handleRequest(f)
		}
		if !more && s.kickPending.Swap(false) {
			select {
			case s.kick <- struct{}{}:
			default:
			}
		}
	}
}

// submitRespInline is the longest submit_sm_resp body kept inline in a
// submitRespBox (a 64-character message id and its NUL).
const submitRespInline = 72

type submitRespBox struct {
	r   Response
	sm  pdu.SubmitSMResp
	buf [submitRespInline]byte
}

func (s *Session) handleResponse(f codec.Frame) {
	c := s.pending.Load().take(f.Sequence, f.ID)
	if c == nil {
		if f.ID == pdu.GenericNackID && f.Sequence == 0 {
			s.cfg.Logger.Warn("smpp: peer sent generic_nack", "status", f.Status.String())
		} else {
			s.cfg.Logger.Debug("smpp: dropping unmatched response", "command", f.ID.String(), "sequence", f.Sequence)
		}
		return
	}
	var resp *Response
	var body []byte
	if f.ID == pdu.SubmitSMRespID && len(f.Body) <= submitRespInline {
		// The most common response: kept in the Call, with its bytes.
		box := &c.box
		box.r.PDU = &box.sm
		body = append(box.buf[:0], f.Body...)
		resp = &box.r
	} else {
		resp = &Response{}
		if f.ID != pdu.GenericNackID {
			body = append([]byte(nil), f.Body...)
			resp.PDU = pdu.New(f.ID)
		}
	}
	resp.Header = f.Header
	var err error
	if f.ID != pdu.GenericNackID {
		if derr := s.cfg.Decode.Unmarshal(resp.PDU, body); derr != nil && f.Status == pdu.ESME_ROK {
			err = fmt.Errorf("smpp: undecodable %s from peer: %w", f.ID, derr)
		}
	}
	switch {
	case err != nil:
	case f.Status != pdu.ESME_ROK:
		err = f.Status
	case f.ID == pdu.GenericNackID:
		// A generic_nack refuses the request, whatever its status says.
		err = fmt.Errorf("smpp: peer answered %s with generic_nack and ESME_ROK", c.req.CommandID())
	}
	switch {
	case f.ID.Request().IsBind():
		if f.Status == pdu.ESME_ROK && err == nil {
			if br, ok := resp.PDU.(*pdu.BindResp); ok {
				if v, ok := br.TLVs.ScInterfaceVersion(); ok {
					s.ifVersion.Store(uint32(v))
				}
			}
			s.setBound(f.ID, c.systemID)
		}
	case f.ID == pdu.UnbindRespID:
		s.unbindOnce.Do(func() { close(s.unbindResp) })
	case f.ID == pdu.EnquireLinkRespID:
		s.missed.Store(0)
	}
	if fn := s.cfg.Observer.Response; fn != nil {
		fn(s, f.Header, time.Since(c.sentAt))
	}
	c.complete(resp, err)
}

func (s *Session) handleRequest(f codec.Frame) {
	id := f.ID
	if !id.Known() {
		s.writeHeaderOnly(pdu.GenericNackID, pdu.ESME_RINVCMDID, f.Sequence)
		return
	}
	st := s.State()
	if !Allowed(s.cfg.Role.peer(), st, id) {
		status := pdu.ESME_RINVBNDSTS
		if id.IsBind() && st.Bound() {
			status = pdu.ESME_RALYBND
		}
		if id.HasResponse() {
			s.writeHeaderOnly(id.Response(), status, f.Sequence)
		} else {
			s.writeHeaderOnly(pdu.GenericNackID, status, f.Sequence)
		}
		return
	}
	switch id {
	case pdu.EnquireLinkID:
		s.writeHeaderOnly(pdu.EnquireLinkRespID, pdu.ESME_ROK, f.Sequence)
		return
	case pdu.UnbindID:
		s.setState(Unbound)
		s.writeHeaderOnly(pdu.UnbindRespID, pdu.ESME_ROK, f.Sequence)
		// The peer closes; if it does not, close after the unbind timeout.
		go func() {
			select {
			case <-s.done:
			case <-time.After(s.cfg.UnbindTimeout):
				s.closeWith(io.EOF)
			}
		}()
		return
	}
	// The body must outlive the read buffer: copy the frame. submit_sm and
	// deliver_sm, the requests that come by the thousand, get their request,
	// decoded body and bytes in one allocation.
	var body []byte
	var p pdu.PDU
	var box *messageBox
	if (id == pdu.SubmitSMID || id == pdu.DeliverSMID) && len(f.Body) <= messageInline {
		if box = s.freeBox; box != nil {
			// RecycleRequests: the previous request's memory, free again.
			s.freeBox = nil
			box.inboundRequest = inboundRequest{}
		} else {
			box = &messageBox{}
			box.sm.TLVs = box.tlvs[:0]
		}
		body = append(box.buf[:0], f.Body...)
		if id == pdu.SubmitSMID {
			p = &box.sm
		} else {
			p = (*pdu.DeliverSM)(&box.sm)
		}
	} else {
		body = append([]byte(nil), f.Body...)
		p = pdu.New(id)
	}
	if err := s.cfg.Decode.Unmarshal(p, body); err != nil {
		st := pdu.StatusOf(err)
		if fn := s.cfg.Observer.Error; fn != nil {
			fn(s, err)
		}
		if id.HasResponse() {
			s.writeHeaderOnly(id.Response(), st, f.Sequence)
		} else {
			s.writeHeaderOnly(pdu.GenericNackID, st, f.Sequence)
		}
		return
	}
	switch id {
	case pdu.BindTransmitterID, pdu.BindReceiverID, pdu.BindTransceiverID:
		s.handleBind(f.Header, p.(*pdu.Bind))
		return
	case pdu.OutbindID:
		if s.cfg.OnOutbind != nil {
			s.cfg.OnOutbind(s, p.(*pdu.Outbind))
		}
		return
	}
	if s.inbound.Add(1) > int32(s.cfg.InboundWindow) {
		s.inbound.Add(-1)
		if id.HasResponse() {
			s.writeHeaderOnly(id.Response(), pdu.ESME_RTHROTTLED, f.Sequence)
		}
		return
	}
	s.handlers.Add(1)
	// One allocation for the request and its response writer.
	var rq *inboundRequest
	if box != nil {
		rq = &box.inboundRequest
	} else {
		rq = &inboundRequest{}
	}
	rq.Request = Request{Header: f.Header, PDU: p, Body: body[:len(body):len(body)], Session: s, ctx: s.ctx}
	rq.responseWriter.s, rq.responseWriter.h = s, f.Header
	if s.cfg.InlineHandler {
		rq.responseWriter.inline = true
		s.serve(&rq.responseWriter, &rq.Request)
		if rq.responseWriter.next != nil {
			// Handed over (OffLoop): its memory is the handler's until
			// it returns, so the box is not reused.
			rq.responseWriter.inline = false
			s.dispatch(rq)
			return
		}
		if box != nil && s.cfg.RecycleRequests && !rq.responseWriter.held.Load() {
			if raceEnabled {
				// Tests run with -race: make a handler that kept the
				// request's memory see it at once, not now and then.
				box.poison(len(body))
			} else {
				s.freeBox = box
			}
		}
		return
	}
	s.dispatch(rq)
}

// messageInline is the longest submit_sm or deliver_sm body kept inline in a
// messageBox: a full short message with its addresses and a few TLVs.
const messageInline = 400

// messageBox holds an inbound submit_sm or deliver_sm in one allocation.
type messageBox struct {
	inboundRequest
	sm   pdu.SubmitSM
	tlvs [messageTLVs]tlv.Field // sm.TLVs's room for the first ones
	buf  [messageInline]byte
}

// messageTLVs is how many TLVs a messageBox holds without an allocation of
// their own: a delivery receipt's receipted_message_id and message_state.
const messageTLVs = 2

// Poison is what the memory of a recycled request reads once its handler
// has returned, in builds with the race detector.
const Poison = "smpp: recycled request memory: copy what you keep (Clone) or Hold the request. "

// poison overwrites the first n bytes of the box's buffer, which the
// request's strings and slices share, with Poison repeated, and never lets
// the box be reused: in builds with the race detector, RecycleRequests
// poisons instead of recycling, so that a string a handler kept reads
// Poison from the moment the handler returns (and the race detector reports
// its reading from another goroutine), instead of changing silently when a
// later request reuses the memory.
func (b *messageBox) poison(n int) {
	for i := 0; i < n; i += copy(b.buf[i:n], Poison) {
	}
}
