// Package session is the per-connection SMPP engine shared by both roles: the
// bind state machine, which PDUs each side may send in each state, sequence
// numbers, the outbound window with its pending requests, response timeouts,
// enquire_link liveness, the bind and inactivity timers, and graceful unbind.
//
// Each Session runs one read loop and one write loop. The writer is the only
// goroutine that writes to the connection: every PDU queued since its last write
// goes out in one call, so throughput comes from batching. Requests from the
// peer run in handlers off the read loop, at most Config.InboundWindow at once.
// What an idle connection does not need is started when it is: the writer
// with the first PDU queued, the timer loop with the first request sent or
// the bind, handler goroutines with the first request to handle. A connection
// that has not bound costs one goroutine (its read loop), a small read buffer
// and, in the SMSC role, a runtime timer for the bind timeout.
// Every request this side sends completes exactly once: with its response, a
// timeout, its context's end, or the session's end.
//
// The server and client packages build on Session; most programs use those.
package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
)

// Session is one SMPP connection.
type Session struct {
	conn net.Conn
	cfg  Config
	rd   *codec.Reader

	ctx    context.Context
	cancel context.CancelFunc

	state atomic.Uint32
	seq   atomic.Uint32

	// Outbound window: one slot per request in flight.
	window *window
	// Inbound window: one token per peer request being handled.
	inbound atomic.Int32 // peer requests being handled
	// handlers counts handler goroutines and held responses.
	handlers sync.WaitGroup

	// pending holds the requests sent and not answered; startTimers makes
	// it, with the first request sent or the bind.
	pending atomic.Pointer[pendingTable]

	mu       sync.Mutex // guards out, spare, gen, writing, closed, closeErr, and starting the timer loop
	out      []byte     // PDUs queued for the writer
	spare    []byte     // the writer's other buffer
	gen      uint64     // batch generation: incremented when the writer takes out
	writing  bool       // the write loop has been started
	closed   bool
	closeErr error

	timing    atomic.Bool // the timer loop has been started
	bindTimer *time.Timer // SMSC role: closes the connection at the bind timeout; set in New under mu

	// Written by the read loop at every PDU: a cache line of their own, away
	// from what senders touch at every request.
	_ [64]byte
	// batching is set while the read loop has more complete PDUs buffered;
	// kickPending records a wake deferred until the burst ends.
	batching    atomic.Bool
	kickPending atomic.Bool
	reads       atomic.Uint64 // PDUs read; the timer loop updates lastRead when it changes
	txReads     atomic.Uint64 // non-keep-alive PDUs read; likewise for lastTx
	_           [64]byte

	kick chan struct{} // wakes the writer
	// writeDue is set by the request that woke the writer and cleared by the
	// writer before it takes what is queued.
	writeDue atomic.Bool
	// work hands peer requests to idle handler goroutines (see dispatch).
	work        chan *inboundRequest
	idleWorkers atomic.Int32
	workers     atomic.Int32  // handler goroutines, busy or idle
	retiring    atomic.Bool   // retireIdle is scheduled
	workerIdle  time.Duration // workerIdle when the session was made
	// freeBox is a request's memory ready for the next one (RecycleRequests);
	// only the read loop touches it.
	freeBox  *messageBox
	done     chan struct{} // closed when the session has ended
	loops    sync.WaitGroup
	lastRead atomic.Int64 // unix nanos of the last PDU read
	lastTx   atomic.Int64 // unix nanos of the last non-keep-alive PDU
	missed   atomic.Int32 // unanswered enquire_links
	clock    atomic.Int64 // unix nanos, updated by the timer loop at each tick

	unbindResp chan struct{} // closed when our unbind is answered
	unbindOnce sync.Once

	values sync.Map

	systemID  atomic.Value // string: the system_id bound with
	ifVersion atomic.Uint32
}

// New starts a session on conn and returns it. The session owns conn from then
// on and closes it when it ends.
func New(conn net.Conn, cfg Config) *Session {
	cfg.setDefaults()
	s := &Session{
		conn:       conn,
		cfg:        cfg,
		rd:         codec.NewReader(conn, cfg.MaxPDULen),
		window:     newWindow(cfg.Window),
		kick:       make(chan struct{}, 1),
		work:       make(chan *inboundRequest),
		workerIdle: workerIdle,
		done:       make(chan struct{}),
		unbindResp: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.state.Store(uint32(Open))
	now := time.Now().UnixNano()
	s.lastRead.Store(now)
	s.lastTx.Store(now)
	s.clock.Store(now)
	s.systemID.Store("")
	s.loops.Add(1)
	if cfg.Role == SMSC && cfg.BindTimeout > 0 {
		// Under mu: bindExpired may run before the assignment, and its
		// close must see everything above.
		s.mu.Lock()
		s.bindTimer = time.AfterFunc(cfg.BindTimeout, s.bindExpired)
		s.mu.Unlock()
	}
	go s.readLoop()
	return s
}

// bindExpired closes an SMSC-role connection that has not bound within the
// bind timeout.
func (s *Session) bindExpired() {
	if st := s.State(); st == Open || st == Outbound {
		s.cfg.Logger.Info("smpp: closing connection that did not bind in time", "remote", s.RemoteAddr().String(), "timeout", s.cfg.BindTimeout)
		s.closeWith(fmt.Errorf("smpp: no bind within %s", s.cfg.BindTimeout))
	}
}

// startTimers makes the table of pending requests and starts the timer
// loop, once: at the first request sent that waits for a response, or at the
// bind, whichever comes first.
func (s *Session) startTimers() {
	if s.timing.Load() {
		return
	}
	s.mu.Lock()
	if !s.closed && !s.timing.Load() {
		s.pending.Store(newPendingTable(s.cfg.Window))
		s.clock.Store(time.Now().UnixNano())
		s.timing.Store(true)
		s.loops.Add(1)
		go s.timerLoop()
	}
	s.mu.Unlock()
}

// startWriter starts the write loop, once, when the first PDU is queued.
// s.mu is held and s.closed is false.
func (s *Session) startWriter() {
	if !s.writing {
		s.writing = true
		s.loops.Add(1)
		go s.writeLoop()
	}
}

// Role returns the role this session plays.
func (s *Session) Role() Role { return s.cfg.Role }

// State returns the current state.
func (s *Session) State() State { return State(s.state.Load()) }

// RemoteAddr returns the peer's address.
func (s *Session) RemoteAddr() net.Addr { return s.conn.RemoteAddr() }

// SystemID returns the system_id of the bind (the ESME's login), once bound.
func (s *Session) SystemID() string { return s.systemID.Load().(string) }

// InterfaceVersion returns the interface_version the peer bound with (an SMSC
// session) or the sc_interface_version the SMSC reported (an ESME session); 0
// before bind or when the peer did not say.
func (s *Session) InterfaceVersion() uint8 { return uint8(s.ifVersion.Load()) }

// Context returns a context cancelled when the session ends.
func (s *Session) Context() context.Context { return s.ctx }

// Done returns a channel closed when the session has ended and its read and
// write loops have exited.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns why the session ended (nil while it runs, io.EOF after a clean close).
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeErr
}

// SetValue stores an application value on the session (the server keeps the
// account here).
func (s *Session) SetValue(key, value any) { s.values.Store(key, value) }

// Value returns a value stored with SetValue.
func (s *Session) Value(key any) any { v, _ := s.values.Load(key); return v }

// InFlight returns the number of requests sent and not yet completed.
func (s *Session) InFlight() int { return s.window.inFlight() }

// Handling returns the number of peer requests being handled: handlers running
// or holding a response not yet sent.
func (s *Session) Handling() int { return int(s.inbound.Load()) }

func (s *Session) setState(to State) {
	s.stateChanged(State(s.state.Swap(uint32(to))), to)
}

// stateChanged starts the timers of a bound session and tells the observer
// of a state change, if it is one.
func (s *Session) stateChanged(from, to State) {
	if to.Bound() && !from.Bound() {
		if s.bindTimer != nil {
			s.bindTimer.Stop()
		}
		s.startTimers()
	}
	if f := s.cfg.Observer.StateChange; f != nil && from != to {
		f(s, from, to)
	}
}

// setBound marks the session bound in the state a bind of this id leads to,
// with the given system_id.
func (s *Session) setBound(bindID pdu.CommandID, systemID string) {
	s.systemID.Store(systemID)
	s.setState(BoundState(bindID))
}

func (s *Session) nextSeq() uint32 {
	if s.cfg.Sequence != nil {
		return s.cfg.Sequence()
	}
	for {
		old := s.seq.Load()
		n := pdu.NextSequence(old)
		if s.seq.CompareAndSwap(old, n) {
			return n
		}
	}
}

// wake tells the writer there is something to write. While the read loop
// is working through PDUs already buffered (a pipelined burst), the wake is
// deferred to the end of the burst, so that the answers leave in one write.
func (s *Session) wake() {
	s.kickPending.Store(true)
	if s.batching.Load() {
		return
	}
	if s.kickPending.Swap(false) {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

func (s *Session) observeOut(h pdu.Header) {
	if f := s.cfg.Observer.PDUOut; f != nil {
		f(s, h)
	}
}

// writeHeaderOnly queues a header-only PDU (generic_nack or an error response).
func (s *Session) writeHeaderOnly(id pdu.CommandID, status pdu.Status, seq uint32) error {
	h := pdu.Header{Length: pdu.HeaderLen, ID: id, Status: status, Sequence: seq}
	s.observeOut(h)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.out = h.AppendBinary(s.out)
	s.startWriter()
	s.mu.Unlock()
	s.wake()
	return nil
}

// writePDU queues a whole PDU.
func (s *Session) writePDU(seq uint32, status pdu.Status, p pdu.PDU) error {
	return s.writePDUThen(seq, status, p, nil)
}

// writePDUThen is writePDU that also runs queued, when not nil, under the
// output lock once p is queued: nothing else is queued in between, and the
// writer sends nothing before queued has returned.
func (s *Session) writePDUThen(seq uint32, status pdu.Status, p pdu.PDU, queued func()) error {
	if s.cfg.Observer.PDUOut != nil {
		s.observeOut(pdu.Header{ID: p.CommandID(), Status: status, Sequence: seq})
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	var err error
	s.out, err = pdu.AppendPDU(s.out, seq, status, p)
	if err == nil {
		s.startWriter()
		if queued != nil {
			queued()
		}
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.wake()
	return nil
}

func (s *Session) writeLoop() {
	defer s.loops.Done()
	for {
		select {
		case <-s.kick:
		case <-s.ctx.Done():
			// Flush what is queued (an unbind_resp, a generic_nack) before leaving.
			// After closeWith the connection is already closed and this fails at
			// once; after closeFlushed it is closed here, once flushed.
			s.flush()
			s.conn.Close()
			return
		}
		// Let the handlers that are ready run first, so that their responses
		// leave in this write rather than one write each.
		runtime.Gosched()
		// Cleared before the buffer is taken: a request queued after this
		// sets it again and wakes the writer once more.
		s.writeDue.Store(false)
		if err := s.flush(); err != nil {
			s.closeWith(err)
			return
		}
	}
}

// flush writes everything queued in one call.
func (s *Session) flush() error {
	s.mu.Lock()
	if len(s.out) == 0 {
		s.mu.Unlock()
		return nil
	}
	buf := s.out
	s.out = s.spare[:0]
	s.gen++
	s.mu.Unlock()

	_, err := s.conn.Write(buf)

	s.mu.Lock()
	if cap(buf) <= 1<<20 {
		s.spare = buf[:0]
	} else {
		s.spare = nil
	}
	s.mu.Unlock()
	return err
}

// closeWith ends the session: it closes the connection, fails every pending
// request, and records why.
func (s *Session) closeWith(reason error) { s.shut(reason, false) }

// closeFlushed is closeWith that lets the writer send what is queued (a
// generic_nack) first, within UnbindTimeout, before it closes the connection.
func (s *Session) closeFlushed(reason error) { s.shut(reason, true) }

func (s *Session) shut(reason error, flush bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.closeErr = reason
	// A batch the writer has taken may be on the wire even if its Write has
	// not returned (or failed half-way): count it as sent.
	written := s.gen
	writing := s.writing
	bindTimer := s.bindTimer
	s.mu.Unlock()
	if bindTimer != nil {
		bindTimer.Stop()
	}
	pending := s.pending.Load().closeAll()

	s.setState(Closed)
	if flush && writing {
		// The writer sends what is queued, then closes the connection.
		s.conn.SetWriteDeadline(time.Now().Add(s.cfg.UnbindTimeout))
	} else {
		s.conn.Close()
	}
	s.cancel()
	for _, c := range pending {
		// When the writer flushes, what is queued goes out too.
		sent := c.gen != 0 && (c.gen <= written || flush && writing)
		c.complete(nil, &LostError{Request: c.req, Sent: sent})
	}
	if f := s.cfg.Observer.Error; f != nil && reason != nil && !errors.Is(reason, io.EOF) && !errors.Is(reason, net.ErrClosed) {
		f(s, reason)
	}
	go func() {
		s.loops.Wait()
		close(s.done)
	}()
}

// Close closes the connection at once, without unbind. Requests still waiting
// complete with a *LostError. It does not wait for handlers; use Wait for that.
func (s *Session) Close() error {
	s.closeWith(ErrClosed)
	<-s.done
	return nil
}

// Wait blocks until the session has ended and every handler has returned or
// answered its held request.
func (s *Session) Wait() {
	<-s.done
	s.handlers.Wait()
}

// Unbind sends unbind, waits for unbind_resp (at most Config.UnbindTimeout, or
// until ctx ends), and closes the connection. Requests in flight are given the
// same time to complete first.
func (s *Session) Unbind(ctx context.Context) error {
	if !s.State().Bound() {
		s.Close()
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.UnbindTimeout)
	defer cancel()
	// Let in-flight requests finish: take every window slot.
	taken := s.window.drain(ctx, s.done)
	defer func() {
		for ; taken > 0; taken-- {
			s.window.release()
		}
	}()
	c := newCall(&pdu.Unbind{})
	err := s.send(ctx, c, false)
	s.setState(Unbound)
	if err == nil {
		_, err = c.wait()
	}
	s.closeWith(io.EOF)
	<-s.done
	if errors.Is(err, ErrClosed) {
		err = nil
	}
	return err
}

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
	rq.Request = Request{Header: f.Header, PDU: p, Session: s, ctx: s.ctx}
	rq.responseWriter.s, rq.responseWriter.h = s, f.Header
	if s.cfg.InlineHandler {
		s.serve(&rq.responseWriter, &rq.Request)
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

func (s *Session) handleBind(h pdu.Header, b *pdu.Bind) {
	resp, status := (*pdu.BindResp)(nil), pdu.ESME_ROK
	if s.cfg.OnBind != nil {
		resp, status = s.safeBind(b)
	}
	if resp == nil {
		resp = &pdu.BindResp{}
	}
	resp.ID = h.ID.Response()
	if status != pdu.ESME_ROK {
		// Header-only, unless the hook asked for the body (BodyOnError).
		if err := s.writePDU(h.Sequence, status, resp); err != nil && err != ErrClosed {
			s.writeHeaderOnly(resp.ID, status, h.Sequence) // the body did not encode
		}
		return
	}
	// The bind_resp is queued and the session becomes bound under the
	// output lock: a deliver_sm sent by whoever sees the bound state
	// follows the bind_resp on the wire (before it, the ESME would refuse
	// it), and the ESME cannot read the bind_resp before the session is
	// bound (the server's Deliver would not yet pick it).
	to := BoundState(h.ID)
	var from State
	err := s.writePDUThen(h.Sequence, pdu.ESME_ROK, resp, func() {
		s.ifVersion.Store(uint32(b.InterfaceVersion))
		s.systemID.Store(b.SystemID)
		from = State(s.state.Swap(uint32(to)))
	})
	switch {
	case err == nil:
		s.stateChanged(from, to)
	case err != ErrClosed:
		s.writeHeaderOnly(resp.ID, pdu.ESME_RSYSERR, h.Sequence)
	}
}

func (s *Session) safeBind(b *pdu.Bind) (resp *pdu.BindResp, status pdu.Status) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logger.Error("smpp: bind hook panicked", "panic", r)
			resp, status = nil, pdu.ESME_RBINDFAIL
		}
	}()
	return s.cfg.OnBind(s.ctx, s, b)
}

func (s *Session) serve(w *responseWriter, r *Request) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Logger.Error("smpp: handler panicked", "command", r.Header.ID.String(), "panic", fmt.Sprint(p))
			w.Respond(nil, pdu.ESME_RSYSERR)
		}
		if !w.held.Load() {
			if r.Header.ID.HasResponse() {
				w.Respond(nil, DefaultStatus(s.cfg.Role, r.Header.ID))
			} else {
				w.release()
			}
		}
	}()
	s.cfg.Handler.ServeSMPP(w, r)
}

type inboundRequest struct {
	Request
	responseWriter
}

// messageInline is the longest submit_sm or deliver_sm body kept inline in a
// messageBox: a full short message with its addresses and a few TLVs.
const messageInline = 400

// messageBox holds an inbound submit_sm or deliver_sm in one allocation.
type messageBox struct {
	inboundRequest
	sm  pdu.SubmitSM
	buf [messageInline]byte
}

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

type responseWriter struct {
	s    *Session
	h    pdu.Header
	held atomic.Bool
	done atomic.Bool
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

// timerLoop runs the enquire_link, inactivity and response timers.
func (s *Session) timerLoop() {
	defer s.loops.Done()
	tick := time.Second
	for _, d := range []time.Duration{s.cfg.ResponseTimeout / 4, s.cfg.EnquireLinkInterval / 4, s.cfg.InactivityTimeout / 4} {
		if d > 0 && d < tick {
			tick = d
		}
	}
	if tick < time.Millisecond {
		tick = time.Millisecond
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	var seenReads, seenTx uint64
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			s.clock.Store(now.UnixNano())
			if n := s.reads.Load(); n != seenReads {
				seenReads = n
				s.lastRead.Store(now.UnixNano())
			}
			if n := s.txReads.Load(); n != seenTx {
				seenTx = n
				s.lastTx.Store(now.UnixNano())
			}
			st := s.State()
			if s.cfg.ResponseTimeout > 0 {
				s.expire(now)
			}
			if s.cfg.EnquireLinkInterval > 0 && st.Bound() {
				idle := now.Sub(time.Unix(0, s.lastRead.Load()))
				if idle >= s.cfg.EnquireLinkInterval {
					if int(s.missed.Load()) >= s.cfg.EnquireLinkMissed {
						s.closeWith(fmt.Errorf("smpp: peer did not answer %d enquire_link", s.cfg.EnquireLinkMissed))
						return
					}
					s.missed.Add(1)
					s.lastRead.Store(now.UnixNano())
					go s.enquireLink()
				}
			}
			if s.cfg.InactivityTimeout > 0 && st.Bound() && now.Sub(time.Unix(0, s.lastTx.Load())) >= s.cfg.InactivityTimeout {
				s.cfg.Logger.Info("smpp: unbinding inactive session", "remote", s.RemoteAddr().String())
				go s.Unbind(context.Background())
				s.lastTx.Store(now.UnixNano())
			}
		}
	}
}

func (s *Session) enquireLink() {
	c := newCall(&pdu.EnquireLink{})
	if err := s.send(s.ctx, c, false); err != nil {
		return
	}
	c.wait()
}

// expire completes the requests whose response is overdue.
func (s *Session) expire(now time.Time) {
	late := s.pending.Load().removeIf(func(c *Call) bool { return now.Sub(c.sentAt) >= s.cfg.ResponseTimeout })
	for _, c := range late {
		c.complete(nil, ErrTimeout)
	}
}
