// Package sim is an operator SMSC simulator built on the server package: it
// accepts binds, answers submit_sm, data_sm and submit_multi with message ids,
// sends delivery receipts after a delay with a configurable outcome mix, keeps
// a bounded message store for query_sm, cancel_sm and replace_sm, sends MO
// messages on demand (split with a UDH when long), and injects faults
// (dropped connections, throttling, queue-full answers, slow responses).
//
//	s := sim.New(sim.Config{Accounts: []sim.Account{{SystemID: "test", Password: "secret"}}})
//	l, _ := net.Listen("tcp", "127.0.0.1:2776")
//	go s.Serve(l)
//	defer s.Shutdown(context.Background())
//
// The hot path takes no allocation beyond the session's own and the message
// id, and no goroutine or timer per message: receipts are scheduled on one
// heap served by one goroutine, and delivered by one goroutine per system_id
// that keeps its binds' windows full.
package sim

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
)

// Simulator is an SMSC simulator. Create it with New.
type Simulator struct {
	cfg   Config
	srv   *server.Server
	store *Store
	accts map[string]*acct

	outcomes []Outcome // normalised cumulative shares in Percent
	total    float64

	next atomic.Uint64 // message numbers

	sched scheduler

	boxMu sync.Mutex
	boxes map[uint32]*outbox

	// gen counts bind changes; bindCh is closed (and replaced) on every bind.
	gen    atomic.Uint64
	bindMu sync.Mutex
	bindCh chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	addrMu sync.Mutex
	addr   net.Addr

	moCount atomic.Uint64
	stats   counters

	dedupe dedupe
}

type acct struct {
	Account
	server server.Account
}

// counters are the simulator's statistics.
type counters struct {
	submitted, receiptsQueued, receiptsSent, mo, deliverFailed, dropped, faults, dedupeHits atomic.Uint64
}

// Stats are the simulator's counters since New.
type Stats struct {
	Submitted      uint64 `json:"submitted"`       // messages accepted (one per submit_multi destination)
	ReceiptsQueued uint64 `json:"receipts_queued"` // receipts that became due
	ReceiptsSent   uint64 `json:"receipts_sent"`   // receipts acknowledged with ESME_ROK
	MOSent         uint64 `json:"mo_sent"`         // MO segments acknowledged with ESME_ROK
	DeliverFailed  uint64 `json:"deliver_failed"`  // deliver_sm answered with an error or lost (and retried)
	Dropped        uint64 `json:"dropped"`         // deliver_sm given up (queue full, too many attempts)
	Faults         uint64 `json:"faults"`          // injected faults
	DedupeHits     uint64 `json:"dedupe_hits"`     // submissions whose idempotency key was already seen (answered, not stored again)
	Pending        int    `json:"pending"`         // receipts and MO waiting (scheduled or queued)
	Throttled      uint64 `json:"throttled"`       // ESME_RTHROTTLED by the rate limit
	Bound          int64  `json:"bound"`           // sessions bound now
}

// connKey keys the per-connection state on a server.Conn.
type connKey struct{}

// conn is the state of one bound connection.
type conn struct {
	sys     uint32
	submits atomic.Uint64
	dropped atomic.Bool
}

// New returns a simulator for cfg. It serves nothing until Serve.
func New(cfg Config) *Simulator {
	cfg.setDefaults()
	s := &Simulator{
		cfg:    cfg,
		store:  newStore(cfg.StoreSize, cfg.StoreTTL, cfg.IDFormat),
		dedupe: dedupe{max: cfg.StoreSize},
		accts:  map[string]*acct{},
		boxes:  map[uint32]*outbox{},
		bindCh: make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, a := range cfg.Accounts {
		x := &acct{Account: a}
		x.server = server.Account{Rate: a.Rate, Burst: a.Burst, MaxBinds: a.MaxBinds}
		if x.server.Rate == 0 {
			x.server.Rate = cfg.Rate
		}
		x.server.Modes, _ = modesOf(a.Modes)
		s.accts[a.SystemID] = x
	}
	for _, o := range cfg.Outcomes {
		if o.Percent > 0 {
			s.total += o.Percent
			o.Percent = s.total
			s.outcomes = append(s.outcomes, o)
		}
	}
	mux := server.NewServeMux()
	mux.HandleFunc(pdu.SubmitSMID, s.serveSubmit)
	mux.HandleFunc(pdu.DataSMID, s.serveSubmit)
	mux.HandleFunc(pdu.SubmitMultiID, s.serveSubmit)
	mux.HandleFunc(pdu.QuerySMID, s.serveQuery)
	mux.HandleFunc(pdu.CancelSMID, s.serveCancel)
	mux.HandleFunc(pdu.ReplaceSMID, s.serveReplace)
	s.srv = &server.Server{
		Handler:          mux,
		SystemID:         cfg.SystemID,
		Authenticate:     s.authenticate,
		TLSConfig:        cfg.TLS,
		HandshakeTimeout: cfg.HandshakeTimeout,
		Session: session.Config{
			InlineHandler: true,
			// The handlers copy what they keep (the store holds fixed-size
			// arrays), so each request's memory is reused for the next.
			RecycleRequests:     true,
			Window:              cfg.Window,
			InboundWindow:       cfg.InboundWindow,
			EnquireLinkInterval: cfg.EnquireLinkInterval,
			BindTimeout:         cfg.BindTimeout,
			ResponseTimeout:     cfg.ResponseTimeout,
		},
		Logger: cfg.Logger,
		Observer: server.Observer{
			Bind:       s.onBind,
			ConnClosed: s.onClosed,
		},
	}
	s.sched.init(s)
	s.wg.Add(1)
	go s.sched.run()
	if cfg.MORate > 0 {
		s.wg.Add(1)
		go s.moLoop()
	}
	return s
}

// Server returns the underlying server, for its Stats and Sessions. Do not
// change its fields.
func (s *Simulator) Server() *server.Server { return s.srv }

// Store returns the message store.
func (s *Simulator) Store() *Store { return s.store }

// Config returns the configuration in use (defaults filled in).
func (s *Simulator) Config() Config { return s.cfg }

// Serve serves SMPP on l (TLS when Config.TLS is set) until Shutdown or Close;
// it then returns server.ErrServerClosed.
func (s *Simulator) Serve(l net.Listener) error {
	s.addrMu.Lock()
	s.addr = l.Addr()
	s.addrMu.Unlock()
	if s.cfg.TLS != nil {
		return s.srv.ServeTLS(l, "", "")
	}
	return s.srv.Serve(l)
}

// ListenAndServe listens on addr and calls Serve.
func (s *Simulator) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Addr returns the address of the listener last given to Serve (nil before).
func (s *Simulator) Addr() net.Addr {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.addr
}

// Shutdown stops accepting, unbinds every session gracefully (see
// server.Server.Shutdown) and stops the receipt and MO machinery. Receipts
// not yet delivered are discarded.
func (s *Simulator) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.stop()
	return err
}

// Close closes every connection at once and stops the simulator.
func (s *Simulator) Close() error {
	err := s.srv.Close()
	s.stop()
	return err
}

func (s *Simulator) stop() {
	s.cancel()
	s.wg.Wait()
}

// Stats returns the simulator's counters.
func (s *Simulator) Stats() Stats {
	st := Stats{
		Submitted:      s.stats.submitted.Load(),
		ReceiptsQueued: s.stats.receiptsQueued.Load(),
		ReceiptsSent:   s.stats.receiptsSent.Load(),
		MOSent:         s.stats.mo.Load(),
		DeliverFailed:  s.stats.deliverFailed.Load(),
		Dropped:        s.stats.dropped.Load(),
		Faults:         s.stats.faults.Load(),
		DedupeHits:     s.stats.dedupeHits.Load(),
	}
	ss := s.srv.Stats()
	st.Throttled, st.Bound = ss.Throttled, ss.Bound
	st.Pending = s.sched.len()
	s.boxMu.Lock()
	for _, b := range s.boxes {
		st.Pending += b.len()
	}
	s.boxMu.Unlock()
	return st
}

func (s *Simulator) authenticate(ctx context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
	var a *server.Account
	if len(s.accts) > 0 {
		x := s.accts[r.Bind.SystemID]
		if x == nil {
			return nil, pdu.ESME_RINVSYSID
		}
		if x.Password != r.Bind.Password {
			return nil, pdu.ESME_RINVPASWD
		}
		acc := x.server
		a = &acc
	} else if s.cfg.Rate > 0 {
		a = &server.Account{Rate: s.cfg.Rate}
	}
	r.Conn.SetValue(connKey{}, &conn{sys: s.store.intern(r.Bind.SystemID)})
	return a, pdu.ESME_ROK
}

func (s *Simulator) onBind(r *server.BindRequest, status pdu.Status) {
	log := s.cfg.Logger
	if status != pdu.ESME_ROK {
		log.Info("bind refused", "system_id", r.Bind.SystemID, "bind", r.Bind.ID.String(), "remote", r.RemoteAddr.String(), "status", status.String())
		return
	}
	log.Info("bound", "system_id", r.Bind.SystemID, "bind", r.Bind.ID.String(), "remote", r.RemoteAddr.String(), "tls", r.TLS != nil)
	// The session becomes bound once the hook returns: let waiting
	// deliverers look again shortly after.
	go func() {
		time.Sleep(time.Millisecond)
		s.bindChanged()
	}()
}

func (s *Simulator) onClosed(c *server.Conn, err error) {
	if c.SystemID() != "" {
		s.cfg.Logger.Info("session closed", "system_id", c.SystemID(), "remote", c.RemoteAddr().String(), "err", errString(err))
	}
	s.bindChanged()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (s *Simulator) bindChanged() {
	s.gen.Add(1)
	s.bindMu.Lock()
	close(s.bindCh)
	s.bindCh = make(chan struct{})
	s.bindMu.Unlock()
}

func (s *Simulator) bindWait() <-chan struct{} {
	s.bindMu.Lock()
	defer s.bindMu.Unlock()
	return s.bindCh
}

func connOf(r *server.Request) *conn {
	c, _ := r.Conn().Value(connKey{}).(*conn)
	return c
}

// ReceiptAck is what Config.OnReceipt is told of a receipt acknowledged
// with ESME_ROK.
type ReceiptAck struct {
	// SystemID is the ESME's.
	SystemID string
	// ID is the message id the receipt refers to.
	ID string
	// State is the message's final state (its stat: State.Stat()).
	State pdu.MessageState
}
