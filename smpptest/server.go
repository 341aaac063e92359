// Package smpptest provides an in-process SMSC and ESME for tests, in the
// spirit of net/http/httptest: NewServer starts a server.Server on a loopback
// port that accepts binds, answers submissions with unique message ids,
// records what it received, and can send delivery receipts, throttle and drop
// connections on request. Dial gives a minimal ESME on a session.
package smpptest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
)

// Options configure a test server. The zero value accepts any bind and
// answers every submission ESME_ROK.
type Options struct {
	// Credentials maps system_id to password. Nil accepts any bind; otherwise
	// an unknown system_id gets ESME_RINVSYSID and a wrong password
	// ESME_RINVPASWD.
	Credentials map[string]string

	// Account applies to every accepted bind (rate, max binds, modes). Nil
	// means no limits.
	Account *server.Account

	// Handler, when set, answers requests instead of the built-in answers (it
	// still sees the throttling and dropping options applied first, and every
	// request is recorded).
	Handler server.Handler

	// Receipts sends a delivery receipt (stat DELIVRD) to a bound receiver of
	// the submitter's system_id, ReceiptDelay after each accepted submit_sm
	// that asks for one (registered_delivery bit 0 or 1 set).
	Receipts     bool
	ReceiptDelay time.Duration

	// ThrottleEvery answers every Kth submit_sm (counted across the server)
	// with ESME_RTHROTTLED. Zero never throttles.
	ThrottleEvery int

	// DropAfter closes a connection, without answering, when its (N+1)th
	// submit_sm arrives. Zero never drops.
	DropAfter int

	// Configure, when set, is called with the server before it starts, to set
	// other fields (timers, window, Observer...).
	Configure func(*server.Server)

	// Logger for the server; nil discards logs.
	Logger *slog.Logger
}

// Server is a running test SMSC.
type Server struct {
	// Addr is the address it listens on, "127.0.0.1:port".
	Addr string
	// SMSC is the underlying server: use it to Deliver, list Receivers, or read
	// Stats.
	SMSC *server.Server

	opts     Options
	tls      bool
	listener net.Listener
	served   chan struct{}
	nextID   atomic.Uint64
	submits  atomic.Int64
	closed   atomic.Bool
	receipts sync.WaitGroup

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every record
	requests []Received
	binds    []Bind
	receiptR []ReceiptResult
	states   map[string]pdu.MessageState
}

// Received is a request the server received from an ESME.
type Received struct {
	SystemID  string
	Session   *session.Session
	Header    pdu.Header
	PDU       pdu.PDU    // the decoded request; owned by the record
	Status    pdu.Status // what it was answered with (when answered by the built-in handler)
	MessageID string     // the id given to an accepted submission
	At        time.Time
}

// Bind is a bind the server answered.
type Bind struct {
	Request *pdu.Bind
	Status  pdu.Status
	Remote  net.Addr
	TLS     bool
}

// ReceiptResult is the outcome of one receipt the server pushed.
type ReceiptResult struct {
	MessageID string
	SystemID  string
	Err       error // nil when acknowledged with ESME_ROK
}

// NewServer starts a plaintext test SMSC on 127.0.0.1. When t is not nil the
// server is closed at the end of the test.
func NewServer(t testing.TB, opts Options) *Server { return start(t, opts, false) }

// NewTLSServer starts a test SMSC over TLS 1.3 with a self-signed
// certificate; ClientTLSConfig returns a configuration that trusts it.
func NewTLSServer(t testing.TB, opts Options) *Server { return start(t, opts, true) }

func start(t testing.TB, opts Options, useTLS bool) *Server {
	if t != nil {
		t.Helper()
	}
	ts := &Server{opts: opts, tls: useTLS, served: make(chan struct{}), changed: make(chan struct{}), states: make(map[string]pdu.MessageState)}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ts.SMSC = &server.Server{
		Handler:      server.HandlerFunc(ts.serve),
		Authenticate: ts.authenticate,
		Logger:       logger,
	}
	if opts.Configure != nil {
		opts.Configure(ts.SMSC)
	}
	user := ts.SMSC.Observer.Bind
	ts.SMSC.Observer.Bind = func(r *server.BindRequest, st pdu.Status) {
		if user != nil {
			user(r, st)
		}
		ts.record(func() {
			ts.binds = append(ts.binds, Bind{Request: r.Bind, Status: st, Remote: r.RemoteAddr, TLS: r.TLS != nil})
		})
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(t, fmt.Errorf("smpptest: listen: %w", err))
		return nil
	}
	ts.listener = l
	ts.Addr = l.Addr().String()
	if useTLS {
		cert, _, err := Certificate()
		if err != nil {
			l.Close()
			fail(t, err)
			return nil
		}
		if ts.SMSC.TLSConfig == nil {
			ts.SMSC.TLSConfig = &tls.Config{}
		}
		ts.SMSC.TLSConfig.Certificates = []tls.Certificate{cert}
		go func() { defer close(ts.served); ts.SMSC.ServeTLS(l, "", "") }()
	} else {
		go func() { defer close(ts.served); ts.SMSC.Serve(l) }()
	}
	if t != nil {
		t.Cleanup(ts.Close)
	}
	return ts
}

func fail(t testing.TB, err error) {
	if t == nil {
		panic(err)
	}
	t.Helper()
	t.Fatal(err)
}

// ClientTLSConfig returns a TLS configuration that trusts the server's
// certificate (nil for a plaintext server).
func (ts *Server) ClientTLSConfig() *tls.Config {
	if !ts.tls {
		return nil
	}
	_, pool, _ := Certificate()
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13}
}

// Close closes the server and every connection at once, and waits for the
// pending receipt timers.
func (ts *Server) Close() {
	if !ts.closed.CompareAndSwap(false, true) {
		return
	}
	ts.SMSC.Close()
	<-ts.served
	ts.receipts.Wait()
}

func (ts *Server) authenticate(ctx context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
	if ts.opts.Credentials != nil {
		pw, ok := ts.opts.Credentials[r.Bind.SystemID]
		if !ok {
			return nil, pdu.ESME_RINVSYSID
		}
		if pw != r.Bind.Password {
			return nil, pdu.ESME_RINVPASWD
		}
	}
	return ts.opts.Account, pdu.ESME_ROK
}

// record runs f under the lock and wakes the waiters.
func (ts *Server) record(f func()) {
	ts.mu.Lock()
	f()
	close(ts.changed)
	ts.changed = make(chan struct{})
	ts.mu.Unlock()
}

type dropKey struct{}

// serve is the built-in handler: it records each request and answers it.
func (ts *Server) serve(w server.ResponseWriter, r *server.Request) {
	rec := Received{SystemID: r.Session.SystemID(), Session: r.Session, Header: r.Header, PDU: r.PDU, At: time.Now()}
	id := r.Header.ID
	if id == pdu.SubmitSMID {
		if ts.opts.DropAfter > 0 {
			n, _ := r.Conn().Value(dropKey{}).(*atomic.Int64)
			if n == nil {
				n = new(atomic.Int64)
				r.Conn().SetValue(dropKey{}, n)
			}
			if n.Add(1) > int64(ts.opts.DropAfter) {
				r.Conn().Close() // the deferred default answer finds it closed
				return
			}
		}
		if k := ts.opts.ThrottleEvery; k > 0 && ts.submits.Add(1)%int64(k) == 0 {
			rec.Status = pdu.ESME_RTHROTTLED
			ts.record(func() { ts.requests = append(ts.requests, rec) })
			w.Respond(nil, pdu.ESME_RTHROTTLED)
			return
		}
	}
	if ts.opts.Handler != nil {
		ts.record(func() { ts.requests = append(ts.requests, rec) })
		ts.opts.Handler.ServeSMPP(w, r)
		return
	}
	var body pdu.PDU
	switch p := r.PDU.(type) {
	case *pdu.SubmitSM:
		rec.MessageID = ts.newID()
		body = &pdu.SubmitSMResp{MessageID: rec.MessageID}
	case *pdu.SubmitMulti:
		rec.MessageID = ts.newID()
		body = &pdu.SubmitMultiResp{MessageID: rec.MessageID}
	case *pdu.DataSM:
		rec.MessageID = ts.newID()
		body = &pdu.DataSMResp{MessageID: rec.MessageID}
	case *pdu.QuerySM:
		ts.mu.Lock()
		st, ok := ts.states[p.MessageID]
		ts.mu.Unlock()
		if !ok {
			rec.Status = pdu.ESME_RINVMSGID
			break
		}
		body = &pdu.QuerySMResp{MessageID: p.MessageID, MessageState: st}
	default:
		rec.Status = server.DefaultStatus(id)
	}
	ts.record(func() {
		ts.requests = append(ts.requests, rec)
		if rec.MessageID != "" {
			ts.states[rec.MessageID] = pdu.StateEnroute
		}
	})
	w.Respond(body, rec.Status)
	if sm, ok := r.PDU.(*pdu.SubmitSM); ok && ts.opts.Receipts && sm.RegisteredDelivery&0x03 != 0 {
		ts.scheduleReceipt(rec.SystemID, rec.MessageID, sm)
	}
}

func (ts *Server) newID() string {
	return strconv.FormatUint(ts.nextID.Add(1), 10)
}

func (ts *Server) scheduleReceipt(systemID, id string, sm *pdu.SubmitSM) {
	if ts.closed.Load() {
		return
	}
	now := time.Now()
	text := pdu.AppendReceipt(nil, &pdu.Receipt{ID: id, SubmitDate: now, DoneDate: now, State: pdu.StateDelivered, Text: string(sm.ShortMessage)})
	d := &pdu.DeliverSM{
		SourceAddrTON: sm.DestAddrTON, SourceAddrNPI: sm.DestAddrNPI, SourceAddr: sm.DestinationAddr,
		DestAddrTON: sm.SourceAddrTON, DestAddrNPI: sm.SourceAddrNPI, DestinationAddr: sm.SourceAddr,
		ESMClass: 0x04, ShortMessage: text,
	}
	d.TLVs.SetReceiptedMessageID(id)
	d.TLVs.SetMessageState(uint8(pdu.StateDelivered))
	ts.receipts.Add(1)
	time.AfterFunc(ts.opts.ReceiptDelay, func() {
		defer ts.receipts.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		if ts.closed.Load() {
			err = server.ErrServerClosed
		} else {
			_, err = ts.SMSC.Deliver(ctx, systemID, d)
		}
		ts.record(func() {
			ts.receiptR = append(ts.receiptR, ReceiptResult{MessageID: id, SystemID: systemID, Err: err})
			if err == nil {
				ts.states[id] = pdu.StateDelivered
			}
		})
	})
}

// Requests returns a copy of every request recorded so far.
func (ts *Server) Requests() []Received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]Received(nil), ts.requests...)
}

// Submits returns the submit_sm recorded so far, throttled ones included.
func (ts *Server) Submits() []Received {
	var out []Received
	for _, r := range ts.Requests() {
		if r.Header.ID == pdu.SubmitSMID {
			out = append(out, r)
		}
	}
	return out
}

// Binds returns every bind answered so far.
func (ts *Server) Binds() []Bind {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]Bind(nil), ts.binds...)
}

// Receipts returns the outcome of every receipt pushed so far.
func (ts *Server) Receipts() []ReceiptResult {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]ReceiptResult(nil), ts.receiptR...)
}

// ErrWaitTimeout is returned by the Wait methods when the count is not reached in time.
var ErrWaitTimeout = errors.New("smpptest: timed out waiting")

// wait waits until cond (called under the lock) holds or timeout passes.
func (ts *Server) wait(timeout time.Duration, cond func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		ts.mu.Lock()
		ok := cond()
		ch := ts.changed
		ts.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return ErrWaitTimeout
		}
	}
}

// WaitSubmits waits until n submit_sm have been recorded, and returns them.
func (ts *Server) WaitSubmits(n int, timeout time.Duration) ([]Received, error) {
	err := ts.wait(timeout, func() bool {
		c := 0
		for _, r := range ts.requests {
			if r.Header.ID == pdu.SubmitSMID {
				c++
			}
		}
		return c >= n
	})
	return ts.Submits(), err
}

// WaitBinds waits until n binds have been answered.
func (ts *Server) WaitBinds(n int, timeout time.Duration) ([]Bind, error) {
	err := ts.wait(timeout, func() bool { return len(ts.binds) >= n })
	return ts.Binds(), err
}

// WaitReceipts waits until n receipts have been pushed (acknowledged or failed).
func (ts *Server) WaitReceipts(n int, timeout time.Duration) ([]ReceiptResult, error) {
	err := ts.wait(timeout, func() bool { return len(ts.receiptR) >= n })
	return ts.Receipts(), err
}
