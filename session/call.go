package session

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// Response is the peer's answer to a request.
type Response struct {
	Header pdu.Header
	// PDU is the decoded response body; it owns its memory. It is nil for a
	// generic_nack, and an empty body of the right type for a header-only error
	// response.
	PDU pdu.PDU
}

// Call is a request in flight: a future that completes exactly once, with the
// response, a timeout, the end of the context it was sent with, or the end
// of the session. SendAsync returns one; SendNotify tells its Notifier of
// one. The zero value is a Call ready to be sent once by SendNotify; it is
// not to be copied after that.
type Call struct {
	req      pdu.PDU
	seq      uint32
	gen      uint64 // the write batch it went out in
	sentAt   time.Time
	systemID string
	s        *Session
	window   bool

	state    atomic.Uint32 // callPending, callCompleting, callDone
	wantDone atomic.Bool   // Done was asked for: complete must close done
	doneMu   sync.Mutex    // guards done
	done     chan struct{} // made on demand by Done or Wait: SendNotify needs none
	resp     *Response
	err      error
	stop     func() bool
	onDone   Notifier

	// box holds a submit_sm_resp (the most common response) and its bytes,
	// so that a submit costs one allocation, or none with the caller's Call.
	box submitRespBox
}

// Call states: resp and err are written while completing and read once done.
const (
	callPending uint32 = iota
	callCompleting
	callDone
)

func newCall(p pdu.PDU) *Call { return &Call{req: p} }

// closedChan is the Done channel of a call that completed before anyone asked.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Request returns the request that was sent.
func (c *Call) Request() pdu.PDU { return c.req }

// Sequence returns the sequence_number the request was sent with.
func (c *Call) Sequence() uint32 { return c.seq }

// Done returns a channel closed when the call has completed.
func (c *Call) Done() <-chan struct{} {
	c.doneMu.Lock()
	defer c.doneMu.Unlock()
	if c.done == nil {
		// complete stores callDone, then looks at wantDone: it closes the
		// channel made here, or this sees callDone.
		c.wantDone.Store(true)
		if c.state.Load() == callDone {
			return closedChan
		}
		c.done = make(chan struct{})
	}
	return c.done
}

// Result returns the outcome once Done is closed: the response and nil, or the
// response and its non-zero Status as the error (errors.Is(err,
// pdu.ESME_RTHROTTLED)), or nil and ErrTimeout, a *CanceledError or a
// *LostError. Before completion it returns nil and nil.
func (c *Call) Result() (*Response, error) {
	if c.state.Load() != callDone {
		return nil, nil
	}
	return c.resp, c.err
}

// Wait waits until the call completes or ctx ends, whichever comes first,
// and returns the call's outcome (see Result). ctx bounds only the waiting:
// when it ends first, Wait returns nil and ctx's error, and the request goes
// on, to complete later like any other. To give up the request itself,
// cancel the context it was sent with: the call then completes at once with
// a *CanceledError, and a late response is dropped.
func (c *Call) Wait(ctx context.Context) (*Response, error) {
	if c.state.Load() == callDone {
		return c.resp, c.err
	}
	select {
	case <-c.Done():
		return c.resp, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// wait waits for the call to complete, for a caller that sent it with the
// context it would wait with: the end of that context completes the call.
func (c *Call) wait() (*Response, error) {
	if c.state.Load() != callDone {
		<-c.Done()
	}
	return c.resp, c.err
}

func (c *Call) complete(resp *Response, err error) { c.finish(resp, err, true) }

// finish completes the call once. stop is false on the context's AfterFunc,
// which may run before send has stored c.stop.
func (c *Call) finish(resp *Response, err error, stop bool) {
	if !c.state.CompareAndSwap(callPending, callCompleting) {
		return
	}
	c.settle(resp, err, stop)
}

// settle completes a call its caller moved to callCompleting.
func (c *Call) settle(resp *Response, err error, stop bool) {
	c.resp, c.err = resp, err
	if stop && c.stop != nil {
		c.stop()
	}
	if c.window {
		c.s.window.release()
	}
	c.state.Store(callDone)
	if c.wantDone.Load() {
		c.doneMu.Lock()
		if c.done != nil {
			close(c.done)
		}
		c.doneMu.Unlock()
	}
	if c.onDone != nil {
		c.onDone.CallDone(c)
	}
}

func (c *Call) abandon(cause error, stop bool) {
	s := c.s
	if s == nil {
		c.finish(nil, cause, stop)
		return
	}
	// Claimed under the output lock, which send holds while it numbers,
	// registers and queues c: either c was queued (its sequence number is
	// set and it is in the table, to be taken out here) or send sees it
	// completing and queues nothing.
	s.mu.Lock()
	if !c.state.CompareAndSwap(callPending, callCompleting) {
		s.mu.Unlock()
		return
	}
	sent := c.gen != 0 // queued: the writer sends it, even now that it is abandoned
	if sent {
		s.pending.Load().remove(c)
	}
	s.mu.Unlock()
	c.settle(nil, &CanceledError{Request: c.req, Sent: sent, Err: cause}, stop)
}

// CanceledError completes a request whose context ended before its response.
// Sent tells whether it had been queued for the connection (it is written
// even after its context ended, so the peer may have processed it). It wraps
// the context's error.
type CanceledError struct {
	Request pdu.PDU
	Sent    bool
	Err     error
}

// Error implements error.
func (e *CanceledError) Error() string {
	return fmt.Sprintf("smpp: %s abandoned (sent: %v): %v", e.Request.CommandID(), e.Sent, e.Err)
}

// Unwrap returns the context's error.
func (e *CanceledError) Unwrap() error { return e.Err }

// Send sends a request and waits for its response. It waits for room in the
// window first. ctx bounds both: when it ends first, the request completes
// with a *CanceledError (whose Sent says whether it may have reached the
// peer) and a late response is dropped. A response with a non-zero status
// returns the response and the Status as the error.
//
// Send, SendAsync and SendNotify are the three ways to send a request: wait
// for it, hold a future, or be told. They share everything else: the window,
// the state checks, and exactly one completion per request.
func (s *Session) Send(ctx context.Context, p pdu.PDU) (*Response, error) {
	c := newCall(p)
	s.start(ctx, c)
	return c.wait()
}

// SendAsync sends a request and returns its Call, a future, without waiting
// for the response. It blocks only while the window is full (honouring ctx).
// ctx bounds the request, as for Send: when it ends before the response, the
// Call completes with a *CanceledError. An error before the request could be
// sent (a state that does not allow it, the session's end, ctx) completes
// the Call at once: the outcome is always read from the Call.
func (s *Session) SendAsync(ctx context.Context, p pdu.PDU) *Call {
	c := newCall(p)
	s.start(ctx, c)
	return c
}

// Notifier is told once that a Call has completed: the callback of
// SendNotify. A type with a CallDone method (a per-request struct of the
// caller's) costs no closure per request; NotifierFunc adapts a function.
type Notifier interface {
	CallDone(c *Call)
}

// NotifierFunc adapts a function to a Notifier.
type NotifierFunc func(c *Call)

// CallDone calls f(c).
func (f NotifierFunc) CallDone(c *Call) { f(c) }

// SendNotify sends a request, like SendAsync, and tells n exactly once when
// it completes, instead of returning a future: so one goroutine can keep a
// large window full with no goroutine or channel receive per request. It
// blocks only while the window is full (honouring ctx, which bounds the
// request as for SendAsync). n runs on the goroutine that completes the
// call (the read loop, the timer loop, the closer, or ctx's AfterFunc) and
// must not block; when the request fails before it could be sent, n runs on
// the caller's goroutine before SendNotify returns.
//
// c is the Call to send with; nil makes one. A caller that keeps thousands
// of requests in flight passes a zero Call of its own instead, usually a
// field of the per-request struct that also implements Notifier, so that a
// request costs the session no allocation. A Call is sent once: SendNotify
// panics when c was sent before (use a new Call per request). c belongs to
// the session until n is told.
//
// A ctx that can be cancelled costs each request a registration with it
// (context.AfterFunc); a long-lived sender that needs no per-request
// cancellation passes context.Background() and relies on the session's end
// (Close, Unbind) and the response timeout to complete what is in flight.
func (s *Session) SendNotify(ctx context.Context, p pdu.PDU, n Notifier, c *Call) {
	if c == nil {
		c = newCall(p)
	} else {
		if c.req != nil || c.s != nil {
			panic("smpp: SendNotify: this Call was sent before; use a zero Call per request")
		}
		c.req = p
	}
	c.onDone = n
	s.start(ctx, c)
}

// start sends c and completes it with the error when it could not be sent.
// (Some failure paths of send complete the call and some do not: complete
// is a no-op the second time.)
func (s *Session) start(ctx context.Context, c *Call) {
	if err := s.send(ctx, c, true); err != nil {
		c.complete(nil, err)
	}
}

// Bind sends a bind request (an ESME-role session) and waits for its response.
// On ESME_ROK the session becomes bound.
func (s *Session) Bind(ctx context.Context, b *pdu.Bind) (*pdu.BindResp, error) {
	c := newCall(b)
	c.systemID = b.SystemID
	if err := s.send(ctx, c, true); err != nil {
		return nil, err
	}
	resp, err := c.wait()
	if resp != nil {
		if br, ok := resp.PDU.(*pdu.BindResp); ok {
			return br, err
		}
	}
	return nil, err
}

// Outbind sends outbind (an SMSC-role session that dialled an ESME); the
// session then waits in OUTBOUND for the ESME's bind.
func (s *Session) Outbind(o *pdu.Outbind) error {
	if s.cfg.Role != SMSC || s.State() != Open {
		return &StateError{ID: pdu.OutbindID, State: s.State(), Role: s.cfg.Role}
	}
	s.setState(Outbound)
	return s.writePDU(s.nextSeq(), pdu.ESME_ROK, o)
}

// send registers the call and queues the request. Its sequence number is
// taken under the output lock, in the same critical section that appends its
// bytes, so that requests reach the wire in the order of their numbers
// (smpp34-fields.md §10: each side's numbers increase monotonically), also
// when several goroutines send at once.
func (s *Session) send(ctx context.Context, c *Call, useWindow bool) error {
	id := c.req.CommandID()
	if st := s.State(); !Allowed(s.cfg.Role, st, id) {
		if st == Closed {
			return &LostError{Request: c.req}
		}
		return &StateError{ID: id, State: st, Role: s.cfg.Role}
	}
	c.s = s
	if useWindow {
		if err := s.window.acquire(ctx, s.ctx.Done()); err != nil {
			if err == errSessionDone {
				return &LostError{Request: c.req}
			}
			return &CanceledError{Request: c.req, Err: err}
		}
		c.window = true
	}
	// alert_notification has no response: nothing to register or wait for.
	answered := id.HasResponse()
	if answered {
		s.startTimers()
		if s.cfg.Observer.Response != nil {
			c.sentAt = time.Now()
		} else {
			// The response timer is no finer than the timer loop's tick: the
			// tick's clock saves a clock read per request.
			c.sentAt = time.Unix(0, s.clock.Load())
		}
		if ctx.Done() != nil {
			c.stop = context.AfterFunc(ctx, func() { c.abandon(ctx.Err(), false) })
		}
	}
	s.mu.Lock()
	if c.state.Load() != callPending {
		// The context ended before the request was queued.
		s.mu.Unlock()
		return &CanceledError{Request: c.req, Err: ctx.Err()}
	}
	if s.closed {
		s.mu.Unlock()
		err := &LostError{Request: c.req}
		c.complete(nil, err)
		return err
	}
	if st := s.State(); !Allowed(s.cfg.Role, st, id) {
		// The state changed since the check above, while the request
		// waited for the window: the peer's unbind was answered, and
		// nothing may follow the unbind_resp but the close.
		s.mu.Unlock()
		err := &StateError{ID: id, State: st, Role: s.cfg.Role}
		c.complete(nil, err)
		return err
	}
	// Encoded first, numbered after: a request that does not encode uses
	// no sequence number.
	var err error
	start := len(s.out)
	s.out, err = pdu.AppendPDU(s.out, 0, pdu.ESME_ROK, c.req)
	if err != nil {
		s.out = s.out[:start]
		s.mu.Unlock()
		c.complete(nil, err)
		return err
	}
	c.seq = s.nextSeq()
	binary.BigEndian.PutUint32(s.out[start+12:start+16], c.seq)
	// Registered before its bytes can reach the peer (the writer takes them
	// under this lock), so that the response always finds it.
	if answered && !s.pending.Load().put(c) { // closed (or never made: closed before the first request)
		s.out = s.out[:start]
		s.mu.Unlock()
		err := &LostError{Request: c.req}
		c.complete(nil, err)
		return err
	}
	c.gen = s.gen + 1
	s.startWriter()
	s.mu.Unlock()
	if s.cfg.Observer.PDUOut != nil {
		s.observeOut(pdu.Header{ID: id, Sequence: c.seq})
	}
	// Only the first request since the writer last looked wakes it; the
	// others of a burst find the flag set and leave with the same write.
	if !s.writeDue.Swap(true) {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	if !answered {
		c.complete(nil, nil)
	}
	return nil
}
