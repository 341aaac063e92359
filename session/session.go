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
//
// Every request this side sends completes exactly once: with its response, a
// timeout, the end of the context it was sent with, or the session's end. A
// request is sent in one of three ways, which the client and server packages
// offer too: Send waits for the response; SendAsync returns a Call, a future
// (Call.Wait's context bounds only the waiting: the request goes on); and
// SendNotify tells a Notifier, optionally with a Call the caller provides so
// that the request costs no allocation.
//
// A request from the peer owns its memory unless Config.RecycleRequests says
// otherwise (and in tests run with -race, recycled memory is poisoned so that
// a handler that kept some of it finds out).
//
// The code is laid out by goroutine: read.go (the read loop), write.go (the
// write loop), timers.go (the timer loop), worker.go (handler goroutines),
// bind.go (binding), call.go (senders).
//
// The server and client packages build on Session; most programs use those.
package session

import (
	"context"
	"errors"
	"io"
	"net"
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
