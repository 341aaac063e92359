package client

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/esmsafrica/smpp/internal/future"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// op is one request through the client: it may take several attempts (a
// connection lost before the request was written, a throttled answer) and
// completes exactly once, through fin.
type op struct {
	c     *Client
	ctx   context.Context
	req   pdu.PDU
	fin   finisher    // told of the outcome: the Future
	armed atomic.Bool // an attempt is in flight and not yet handled
	sl    *slot       // the slot of the current attempt
	gen   uint64      // its governor generation when sent
	tries int         // throttled attempts
	// call is the first attempt's session.Call, in the same allocation;
	// later attempts (rare) get their own.
	call session.Call
}

func (o *op) init(c *Client, ctx context.Context, req pdu.PDU, fin finisher) {
	o.c, o.ctx, o.req, o.fin = c, ctx, req, fin
}

// finish completes the op; only the first outcome counts.
func (o *op) finish(resp pdu.PDU, err error) { o.fin.finished(resp, err) }

// finisher receives an op's outcome.
type finisher interface{ finished(pdu.PDU, error) }

// start runs attempts until one is in flight (its completion then continues
// in called) or the op is complete. It may block: for a bind, the rate
// limiter or the window.
func (c *Client) start(o *op) {
	for {
		retry, resp, err := c.attempt(o)
		if !retry {
			if err != nil || resp != nil {
				o.finish(resp, err)
			}
			return
		}
	}
}

// attempt makes one attempt. It returns retry when the op must be attempted
// again at once, or the final outcome (nil, nil: the attempt is in flight or
// was taken over by its callback).
func (c *Client) attempt(o *op) (retry bool, resp pdu.PDU, err error) {
	id := o.req.CommandID()
	if c.closing() {
		return false, nil, &notSentError{reason: ErrClosed, id: id}
	}
	if err := o.ctx.Err(); err != nil {
		return false, nil, &notSentError{reason: ErrNotBound, cause: err, id: id}
	}
	sl, s, err := c.pick(o.ctx, id)
	if err != nil {
		return false, nil, err
	}
	if err := sl.gov.wait(o.ctx, c.closed); err != nil {
		return false, nil, rateErr(err, id)
	}
	if c.total != nil {
		if err := c.total.Wait(o.ctx); err != nil {
			return false, nil, rateErr(err, id)
		}
	}
	o.sl = sl
	o.gen = sl.gov.gen.Load()
	o.armed.Store(true)
	call := &o.call
	if call.Request() != nil { // sent by an earlier attempt
		call = new(session.Call)
	}
	// The outcome, also a failure to send, comes to CallDone.
	s.SendNotify(o.ctx, o.req, o, call)
	return false, nil, nil
}

func rateErr(err error, id pdu.CommandID) error {
	if err == ErrClosed {
		return &notSentError{reason: ErrClosed, id: id}
	}
	return &notSentError{reason: ErrRateLimited, cause: err, id: id}
}

// lostUnsent reports whether err is a *LostError for a request that was not
// written (safe to resend).
func lostUnsent(err error) bool {
	var le *session.LostError
	return errors.As(err, &le) && !le.Sent
}

// refusedByState reports whether err is the session's refusal of a request
// its state no longer allows: nothing was sent.
func refusedByState(err error) bool {
	var se *session.StateError
	return errors.As(err, &se)
}

// called is the session's completion callback of an attempt. It runs on a
// session goroutine and must not block: a retry goes to a new goroutine.
// CallDone implements session.Notifier: the attempt in flight completed.
func (o *op) CallDone(call *session.Call) { o.called(call) }

func (o *op) called(call *session.Call) {
	if !o.armed.CompareAndSwap(true, false) {
		return
	}
	r, err := call.Result()
	var resp pdu.PDU
	if r != nil {
		resp = r.PDU
	}
	c := o.c
	switch {
	case err == nil:
		o.sl.gov.success()
		o.finish(resp, nil)
	case throttled(err):
		o.sl.gov.throttle(o.gen)
		if c.cfg.RetryThrottled && o.tries < c.cfg.MaxRetries && !c.closing() {
			o.tries++
			c.retry(o)
			return
		}
		o.finish(resp, err)
	case lostUnsent(err) || refusedByState(err):
		// Not sent: the bind went away under it (the connection broke, or
		// the SMSC unbound while it waited for the window). Another takes
		// it, unless the client is closing.
		if c.closing() {
			o.finish(nil, &notSentError{reason: ErrClosed, id: o.req.CommandID()})
			return
		}
		c.retry(o)
	default:
		o.finish(resp, err)
	}
}

// retry attempts o again from a new goroutine.
func (c *Client) retry(o *op) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.start(o)
	}()
}

// Future is a request in flight. It completes exactly once, with the
// response or an error; see Client.Submit for the errors. The Async methods
// return one: wait for it (Wait, Done), or be called (OnDone).
type Future[T pdu.PDU] struct {
	o  op
	st future.State[T]
}

// Done returns a channel closed when the request has completed.
func (f *Future[T]) Done() <-chan struct{} { return f.st.Done() }

// Result returns the outcome once Done is closed (before that, the zero T and
// nil). On a non-zero command_status the error is the pdu.Status and the
// response is the (usually empty) body the SMSC sent.
func (f *Future[T]) Result() (T, error) { return f.st.Result() }

// Wait waits until the request completes or ctx ends, whichever comes first,
// and returns its outcome (see Result). ctx bounds only the waiting: when it
// ends first, Wait returns ctx's error and the request goes on, to complete
// later like any other. To give up the request itself, cancel the context it
// was sent with.
func (f *Future[T]) Wait(ctx context.Context) (T, error) { return f.st.Wait(ctx) }

// OnDone arranges for done to be called exactly once with the outcome: on
// the goroutine that completes the request (a session's read loop, its
// timer, or the closer), or at once, on the caller's goroutine, when it has
// completed already. done must not block: it holds up the bind's reading.
// With OnDone one goroutine keeps thousands of requests in flight with no
// goroutine or channel receive per request. It may be called once per
// Future; a second call panics.
func (f *Future[T]) OnDone(done func(T, error)) { f.st.OnDone(done) }

// Request returns the request.
func (f *Future[T]) Request() pdu.PDU { return f.o.req }

func (f *Future[T]) finished(r pdu.PDU, err error) {
	t, _ := r.(T)
	f.st.Finish(t, err)
}

func async[T pdu.PDU](c *Client, ctx context.Context, req pdu.PDU) *Future[T] {
	f := &Future[T]{}
	f.o.init(c, ctx, req, f)
	c.start(&f.o)
	return f
}

func call[T pdu.PDU](c *Client, ctx context.Context, req pdu.PDU) (T, error) {
	f := &Future[T]{}
	f.o.init(c, ctx, req, f)
	ch := f.st.Done()
	c.start(&f.o)
	<-ch
	return f.st.Result()
}

// Submit sends submit_sm and waits for submit_sm_resp. It waits for a bind
// while none is up, for the rate limiter and for room in the window, all
// honouring ctx. The error says what happened:
//
//   - a pdu.Status: the SMSC refused it (errors.Is(err, pdu.ESME_RTHROTTLED));
//     with Config.RetryThrottled a throttled request is resent first;
//   - ErrTimeout: no response in time; it may have been processed;
//   - a *LostError with Sent: the connection broke after the request was
//     written: it may have been processed ("maybe sent"). Requests lost
//     before they were written are resent by the client;
//   - a *CanceledError: ctx ended while the response was awaited (Sent says
//     whether it was written);
//   - ErrNotBound, ErrWindowFull, ErrRateLimited (with ctx's error) or
//     ErrClosed: it was not sent (NotSent reports true).
func (c *Client) Submit(ctx context.Context, sm *pdu.SubmitSM) (*pdu.SubmitSMResp, error) {
	return call[*pdu.SubmitSMResp](c, ctx, sm)
}

// SubmitAsync sends submit_sm and returns its Future without waiting for the
// response. It blocks while no bind is up, the rate limiter holds it or the
// window is full (honouring ctx), so one goroutine can keep a large window
// full. ctx also bounds the request: when it ends first the Future completes
// with a *CanceledError. sm must not change until the Future completes.
//
// For a callback instead of a future, call the Future's OnDone:
//
//	c.SubmitAsync(ctx, sm).OnDone(func(r *pdu.SubmitSMResp, err error) { ... })
//
// A ctx that can be cancelled costs each submit a registration with it;
// Close completes what is in flight, so a sender that needs no per-request
// cancellation passes context.Background().
func (c *Client) SubmitAsync(ctx context.Context, sm *pdu.SubmitSM) *Future[*pdu.SubmitSMResp] {
	return async[*pdu.SubmitSMResp](c, ctx, sm)
}

// SubmitMulti sends submit_multi and waits for its response, like Submit.
func (c *Client) SubmitMulti(ctx context.Context, sm *pdu.SubmitMulti) (*pdu.SubmitMultiResp, error) {
	return call[*pdu.SubmitMultiResp](c, ctx, sm)
}

// SubmitMultiAsync is the asynchronous SubmitMulti, like SubmitAsync.
func (c *Client) SubmitMultiAsync(ctx context.Context, sm *pdu.SubmitMulti) *Future[*pdu.SubmitMultiResp] {
	return async[*pdu.SubmitMultiResp](c, ctx, sm)
}

// DataSM sends data_sm and waits for its response, like Submit.
func (c *Client) DataSM(ctx context.Context, m *pdu.DataSM) (*pdu.DataSMResp, error) {
	return call[*pdu.DataSMResp](c, ctx, m)
}

// DataSMAsync is the asynchronous DataSM, like SubmitAsync.
func (c *Client) DataSMAsync(ctx context.Context, m *pdu.DataSM) *Future[*pdu.DataSMResp] {
	return async[*pdu.DataSMResp](c, ctx, m)
}

// QuerySM sends query_sm and waits for its response, like Submit.
func (c *Client) QuerySM(ctx context.Context, q *pdu.QuerySM) (*pdu.QuerySMResp, error) {
	return call[*pdu.QuerySMResp](c, ctx, q)
}

// QuerySMAsync is the asynchronous QuerySM, like SubmitAsync.
func (c *Client) QuerySMAsync(ctx context.Context, q *pdu.QuerySM) *Future[*pdu.QuerySMResp] {
	return async[*pdu.QuerySMResp](c, ctx, q)
}

// CancelSM sends cancel_sm and waits for its response, like Submit.
func (c *Client) CancelSM(ctx context.Context, m *pdu.CancelSM) error {
	_, err := call[*pdu.CancelSMResp](c, ctx, m)
	return err
}

// CancelSMAsync is the asynchronous CancelSM, like SubmitAsync.
func (c *Client) CancelSMAsync(ctx context.Context, m *pdu.CancelSM) *Future[*pdu.CancelSMResp] {
	return async[*pdu.CancelSMResp](c, ctx, m)
}

// ReplaceSM sends replace_sm and waits for its response, like Submit.
func (c *Client) ReplaceSM(ctx context.Context, m *pdu.ReplaceSM) error {
	_, err := call[*pdu.ReplaceSMResp](c, ctx, m)
	return err
}

// ReplaceSMAsync is the asynchronous ReplaceSM, like SubmitAsync.
func (c *Client) ReplaceSMAsync(ctx context.Context, m *pdu.ReplaceSM) *Future[*pdu.ReplaceSMResp] {
	return async[*pdu.ReplaceSMResp](c, ctx, m)
}
