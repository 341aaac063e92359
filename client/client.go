package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/udh"
)

// Client is an ESME: it keeps its binds to one or more SMSCs up and sends
// requests over them. It is safe for concurrent use.
type Client struct {
	cfg   Config
	slots []*slot

	live   atomic.Pointer[liveSet] // bound slots that can transmit, in priority order
	liveMu sync.Mutex              // serialises rebuilding live
	rr     atomic.Uint32
	total  *rate.Limiter // nil: unlimited

	ctx       context.Context // cancelled to stop everything at once
	cancel    context.CancelFunc
	closed    chan struct{} // closed when Close starts
	closeOnce sync.Once
	wg        sync.WaitGroup // slot loops and retry goroutines

	refs     udh.Counter // concatenation references of SendText
	splitter sync.Pool   // *udh.Splitter
	reasm    *udh.Reassembler
	redo     redoCache // reassembled messages the handler refused
}

// liveSet is an immutable snapshot of the slots that can carry requests;
// changed is closed when a newer snapshot replaces it.
type liveSet struct {
	slots   []*slot
	changed chan struct{}
}

// slot is one bind (endpoint × bind kind): at most one connection at a time.
type slot struct {
	c      *Client
	ep     Endpoint
	bindID pdu.CommandID
	index  int                             // its place among the client's binds
	sess   atomic.Pointer[session.Session] // the bound session, nil while down
	gov    governor
	gate   gate       // SetActive's switch
	first  chan error // the first attempt's outcome, for Dial
}

// New returns a client for cfg that starts binding to its endpoints in the
// background; requests made before a bind is up wait for one (honouring their
// context). addr, when not empty, is the first endpoint, with cfg.TLS.
func New(addr string, cfg Config) (*Client, error) {
	cfg.setDefaults()
	var eps []Endpoint
	if addr != "" {
		eps = append(eps, Endpoint{Addr: addr})
	}
	eps = append(eps, cfg.Endpoints...)
	if len(eps) == 0 {
		return nil, errors.New("smpp: client: no endpoint")
	}
	if cfg.Mode > Pair {
		return nil, fmt.Errorf("smpp: client: unknown mode %d", cfg.Mode)
	}
	c := &Client{cfg: cfg, closed: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if cfg.TotalRate > 0 {
		c.total = rate.NewLimiter(rate.Limit(cfg.TotalRate), burst(cfg.Burst, cfg.TotalRate))
	}
	if c.cfg.Reassembly.Incomplete == nil {
		c.cfg.Reassembly.Incomplete = c.incomplete
	}
	c.reasm = udh.NewReassembler(c.cfg.Reassembly)
	c.redo.init()
	c.live.Store(&liveSet{changed: make(chan struct{})})
	for _, ep := range eps {
		if ep.TLS == nil {
			ep.TLS = cfg.TLS
		}
		for _, id := range cfg.Mode.bindIDs() {
			sl := &slot{c: c, ep: ep, bindID: id, index: len(c.slots), first: make(chan error, 1)}
			sl.gov.init(cfg)
			sl.gate.init(cfg.StartInactive)
			c.slots = append(c.slots, sl)
		}
	}
	c.wg.Add(len(c.slots))
	for _, sl := range c.slots {
		go sl.run()
	}
	return c, nil
}

// Dial connects and binds to addr (and cfg.Endpoints) and returns once one
// bind is up. If the first attempt of every bind fails, it closes the client
// and returns the first error (a refused bind is a pdu.Status:
// errors.Is(err, pdu.ESME_RINVPASWD)). After Dial returns, the client keeps
// every bind up by itself, reconnecting with back-off.
func Dial(ctx context.Context, addr string, cfg Config) (*Client, error) {
	c, err := New(addr, cfg)
	if err != nil {
		return nil, err
	}
	var first error
	for i := range c.slots {
		var err error
		select {
		case err = <-c.slots[i].first:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.Close(cctx)
	return nil, first
}

func burst(b int, r float64) int {
	if b > 0 {
		return b
	}
	if n := int(r / 10); n > 1 {
		return n
	}
	return 1
}

// Close unbinds every bind (waiting for requests in flight, at most the
// session's unbind timeout), closes the connections and stops reconnecting.
// Requests still waiting for a bind, the window or a retry complete with
// ErrClosed. When ctx ends first, the connections are closed at once. Close
// does not wait for delivery handlers that are still running. It may be
// called more than once.
func (c *Client) Close(ctx context.Context) error {
	c.closeOnce.Do(func() { close(c.closed) })
	done := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		c.cancel()
		<-done
	}
	c.cancel()
	return err
}

func (c *Client) closing() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// Sessions returns the sessions of the binds that are up now.
func (c *Client) Sessions() []*session.Session {
	var out []*session.Session
	for _, sl := range c.slots {
		if s := sl.sess.Load(); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// BindStats describes one bind.
type BindStats struct {
	Endpoint  string
	Bind      pdu.CommandID
	Up        bool
	InFlight  int        // requests in flight on the current connection
	Rate      rate.Limit // the current rate limit (rate.Inf: none)
	Throttled int64      // ESME_RTHROTTLED and ESME_RMSGQFUL answers so far
	RateCuts  int64      // times the rate was cut after throttling
	Binds     int64      // successful binds so far
}

// Stats returns the state of every bind.
func (c *Client) Stats() []BindStats {
	out := make([]BindStats, len(c.slots))
	for i, sl := range c.slots {
		st := BindStats{Endpoint: sl.ep.Addr, Bind: sl.bindID, Rate: sl.gov.limit(), Throttled: sl.gov.throttles.Load(), RateCuts: int64(sl.gov.gen.Load()), Binds: sl.gov.binds.Load()}
		if s := sl.sess.Load(); s != nil {
			st.Up = true
			st.InFlight = s.InFlight()
		}
		out[i] = st
	}
	return out
}

// rebuild publishes a new live set from the slots' sessions.
func (c *Client) rebuild() {
	c.liveMu.Lock()
	defer c.liveMu.Unlock()
	ns := &liveSet{changed: make(chan struct{})}
	for _, sl := range c.slots {
		if sl.bindID != pdu.BindReceiverID && sl.sess.Load() != nil {
			ns.slots = append(ns.slots, sl)
		}
	}
	old := c.live.Swap(ns)
	close(old.changed)
}

// pick returns a bound slot that can transmit, waiting for one while none is
// up.
func (c *Client) pick(ctx context.Context, id pdu.CommandID) (*slot, *session.Session, error) {
	for {
		ls := c.live.Load()
		var wait <-chan struct{}
		if n := uint32(len(ls.slots)); n > 0 {
			sl := ls.slots[0]
			if c.cfg.Spread && n > 1 {
				sl = ls.slots[c.rr.Add(1)%n]
			}
			if s := sl.sess.Load(); s != nil {
				if s.State().CanTransmit() {
					return sl, s, nil
				}
				wait = s.Done() // unbinding: wait for it to go
			}
		}
		select {
		case <-ls.changed:
		case <-wait:
		case <-ctx.Done():
			return nil, nil, &notSentError{reason: ErrNotBound, cause: ctx.Err(), id: id}
		case <-c.closed:
			return nil, nil, &notSentError{reason: ErrClosed, id: id}
		}
	}
}

func (sl *slot) event(st BindState, err error, backoff time.Duration) {
	if f := sl.c.cfg.OnStateChange; f != nil {
		f(StateEvent{Endpoint: sl.ep.Addr, Bind: sl.bindID, Slot: sl.index, State: st, Err: err, Backoff: backoff})
	}
}

// run keeps the slot's bind up until the client closes. Attempts are
// sequential, so the slot never has two connections at once.
func (sl *slot) run() {
	c := sl.c
	defer c.wg.Done()
	defer sl.event(Closed, nil, 0)
	attempt := 0
	reported := false
	report := func(err error) {
		if !reported {
			reported = true
			sl.first <- err
		}
	}
	defer report(ErrClosed)
	for !c.closing() {
		ctx, ok := sl.gate.enter(c.ctx, c.closed)
		if !ok {
			return
		}
		sl.event(Connecting, nil, 0)
		s, err := sl.connect(ctx)
		report(err)
		if err == nil {
			started := time.Now()
			sl.gov.bound()
			sl.sess.Store(s)
			c.rebuild()
			sl.event(Bound, nil, 0)
			select {
			case <-s.Done():
			case <-c.closed:
				s.Unbind(c.ctx) // bounded by the unbind timeout, cut by a hard close
			case <-ctx.Done():
				// Switched off (SetActive): no new requests, then unbind.
				sl.sess.Store(nil)
				c.rebuild()
				s.Unbind(c.ctx)
			}
			sl.sess.Store(nil)
			c.rebuild()
			err = s.Err()
			if err == nil {
				err = session.ErrClosed
			}
			if off := sl.gate.leave(); off || c.closing() {
				if off {
					sl.event(Disconnected, err, 0)
				}
				continue
			}
			if time.Since(started) >= min(10*time.Second, c.cfg.MaxBackoff) {
				attempt = 0
			}
		} else if off := sl.gate.leave(); off || c.closing() {
			continue
		}
		d := backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff)
		attempt++
		c.cfg.Logger.Info("smpp: bind down", "endpoint", sl.ep.Addr, "bind", sl.bindID.String(), "err", err, "retry_in", d)
		sl.event(Disconnected, err, d)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.closed:
			t.Stop()
			return
		}
	}
}

// backoff returns the wait before attempt n+1: min·2ⁿ capped at max, with
// full jitter over its upper half.
func backoff(n int, lo, hi time.Duration) time.Duration {
	d := hi
	if n < 30 {
		if e := lo << n; e > 0 && e < hi {
			d = e
		}
	}
	return d/2 + rand.N(d/2+1)
}

// connect dials and binds once, until ctx ends.
func (sl *slot) connect(ctx context.Context) (*session.Session, error) {
	c := sl.c
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	conn, err := c.dial(ctx, sl.ep)
	if err != nil {
		return nil, err
	}
	s := session.New(conn, c.sessionConfig())
	_, err = s.Bind(ctx, &pdu.Bind{
		ID:               sl.bindID,
		SystemID:         c.cfg.SystemID,
		Password:         c.cfg.Password,
		SystemType:       c.cfg.SystemType,
		InterfaceVersion: c.cfg.InterfaceVersion,
		AddrTON:          c.cfg.AddrTON,
		AddrNPI:          c.cfg.AddrNPI,
		AddressRange:     c.cfg.AddressRange,
	})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("smpp: %s to %s: %w", sl.bindID, sl.ep.Addr, err)
	}
	return s, nil
}

func (c *Client) dial(ctx context.Context, ep Endpoint) (net.Conn, error) {
	var conn net.Conn
	var err error
	if c.cfg.DialContext != nil {
		conn, err = c.cfg.DialContext(ctx, "tcp", ep.Addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", ep.Addr)
	}
	if err != nil {
		return nil, err
	}
	if ep.TLS == nil {
		return conn, nil
	}
	cfg := ep.TLS
	if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
		cfg = cfg.Clone()
		host, _, err := net.SplitHostPort(ep.Addr)
		if err != nil {
			host = ep.Addr
		}
		cfg.ServerName = host
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

func (c *Client) sessionConfig() session.Config {
	sc := c.cfg.Session
	sc.Role = session.ESME
	sc.Handler = session.HandlerFunc(c.serveDelivery)
	sc.OnBind, sc.OnOutbind = nil, nil
	// A Delivery owns its memory: the handler may keep it, and reassembly
	// keeps parts of it.
	sc.RecycleRequests = false
	if sc.Logger == nil {
		sc.Logger = c.cfg.Logger
	}
	return sc
}
