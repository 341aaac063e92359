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
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/tlv"
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

// dedupe remembers idempotency keys (Config.DedupeTLV), FIFO-bounded.
type dedupe struct {
	mu   sync.Mutex
	m    map[string]uint64
	ring []string
	next int
	max  int
}

// lookupOrAdd returns the number already given to key, or records n for it.
func (d *dedupe) lookupOrAdd(key string, n func() uint64) (uint64, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.m[key]; ok {
		return v, true
	}
	if d.m == nil {
		d.m = map[string]uint64{}
	}
	if len(d.ring) < d.max {
		d.ring = append(d.ring, key)
	} else {
		delete(d.m, d.ring[d.next])
		d.ring[d.next] = key
		d.next = (d.next + 1) % len(d.ring)
	}
	v := n()
	d.m[key] = v
	return v, false
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
		Handler:      mux,
		SystemID:     cfg.SystemID,
		Authenticate: s.authenticate,
		TLSConfig:    cfg.TLS,
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

// ---------------------------------------------------------------- binds

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

// ---------------------------------------------------------------- submissions

func connOf(r *server.Request) *conn {
	c, _ := r.Conn().Value(connKey{}).(*conn)
	return c
}

// fault applies the fault injection to a submission; it reports true when it
// answered (or dropped) the request.
func (s *Simulator) fault(c *conn, w server.ResponseWriter, r *server.Request) bool {
	cfg := &s.cfg
	if cfg.DropAfter == 0 && cfg.ThrottleEvery == 0 && cfg.QueueFullEvery == 0 {
		return false
	}
	if c.dropped.Load() {
		w.Hold() // never answered: the connection is going
		return true
	}
	k := c.submits.Add(1)
	if cfg.DropAfter > 0 && k > uint64(cfg.DropAfter) {
		c.dropped.Store(true)
		s.stats.faults.Add(1)
		w.Hold()
		conn := r.Conn()
		s.cfg.Logger.Info("fault: dropping connection", "system_id", conn.SystemID(), "after", cfg.DropAfter)
		go func() {
			// Let the writer flush the responses already queued.
			time.Sleep(20 * time.Millisecond)
			conn.Close()
		}()
		return true
	}
	if cfg.ThrottleEvery > 0 && k%uint64(cfg.ThrottleEvery) == 0 {
		s.stats.faults.Add(1)
		s.respond(w, nil, pdu.ESME_RTHROTTLED)
		return true
	}
	if cfg.QueueFullEvery > 0 && k%uint64(cfg.QueueFullEvery) == 0 {
		s.stats.faults.Add(1)
		s.respond(w, nil, pdu.ESME_RMSGQFUL)
		return true
	}
	return false
}

// respond answers now, or after the response delay.
func (s *Simulator) respond(w server.ResponseWriter, body pdu.PDU, status pdu.Status) {
	d := s.cfg.ResponseDelay
	if hi := s.cfg.ResponseDelayMax; hi > d {
		d += time.Duration(rand.Int64N(int64(hi - d + 1)))
	}
	if d <= 0 {
		w.Respond(body, status)
		return
	}
	w.Hold()
	time.AfterFunc(d, func() { w.Respond(body, status) })
}

func (s *Simulator) serveSubmit(w server.ResponseWriter, r *server.Request) {
	c := connOf(r)
	if c == nil {
		w.Respond(nil, pdu.ESME_RINVBNDSTS)
		return
	}
	if s.fault(c, w, r) {
		return
	}
	now := time.Now().UnixNano()
	switch p := r.PDU.(type) {
	case *pdu.SubmitSM:
		if p.DestinationAddr == "" {
			s.respond(w, nil, pdu.ESME_RINVDSTADR)
			return
		}
		n, dup := s.number(c, p.TLVs)
		id := s.store.formatID(n)
		// Told before the receipt is scheduled: it cannot come first.
		s.submitted(r, p.SourceAddr, p.DestinationAddr, p.Payload(), p.TLVs, id, dup)
		if !dup {
			s.accept(now, n, 0, c.sys, p.SourceAddr, p.DestinationAddr, p.RegisteredDelivery, p.ESMClass, p.DataCoding, p.Payload())
		}
		s.respond(w, &pdu.SubmitSMResp{MessageID: id}, pdu.ESME_ROK)
	case *pdu.DataSM:
		if p.DestinationAddr == "" {
			s.respond(w, nil, pdu.ESME_RINVDSTADR)
			return
		}
		payload, _ := p.TLVs.MessagePayload()
		n, dup := s.number(c, p.TLVs)
		id := s.store.formatID(n)
		s.submitted(r, p.SourceAddr, p.DestinationAddr, payload, p.TLVs, id, dup)
		if !dup {
			s.accept(now, n, 0, c.sys, p.SourceAddr, p.DestinationAddr, p.RegisteredDelivery, p.ESMClass, p.DataCoding, payload)
		}
		s.respond(w, &pdu.DataSMResp{MessageID: id}, pdu.ESME_ROK)
	case *pdu.SubmitMulti:
		var resp pdu.SubmitMultiResp
		k := 0
		for _, d := range p.Dests {
			if d.Flag == pdu.DestFlagList || d.DestinationAddr == "" {
				resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr, ErrorStatusCode: pdu.ESME_RINVDSTADR})
				continue
			}
			k++
		}
		if k == 0 {
			s.respond(w, nil, pdu.ESME_RINVNUMDESTS)
			return
		}
		first := s.next.Add(uint64(k)) - uint64(k) + 1
		i := 0
		for _, d := range p.Dests {
			if d.Flag == pdu.DestFlagList || d.DestinationAddr == "" {
				continue
			}
			s.accept(now, first+uint64(i), uint8(i), c.sys, p.SourceAddr, d.DestinationAddr, p.RegisteredDelivery, p.ESMClass, p.DataCoding, p.ShortMessage)
			i++
		}
		resp.MessageID = s.store.formatID(first)
		s.respond(w, &resp, pdu.ESME_ROK)
	default:
		w.Respond(nil, pdu.ESME_RINVCMDID)
	}
}

// Submission is what Config.OnSubmit is told of a submit_sm or data_sm
// answered with ESME_ROK.
type Submission struct {
	// SystemID is the submitter's.
	SystemID string
	// Key is the idempotency key (the Config.DedupeTLV value without a
	// trailing NUL); "" without Config.DedupeTLV or without the TLV.
	Key string
	// ID is the message id answered.
	ID string
	// Dup is true when the key had been seen: the answer is the id given
	// the first time, and nothing new was stored.
	Dup bool
	// Source and Dest are the addresses.
	Source, Dest string
	// Message is the short_message, or the message_payload when there is
	// none, as sent (with its UDH, if any). It is valid only during the
	// call.
	Message []byte
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

// submitted counts a duplicate idempotency key and calls Config.OnSubmit.
func (s *Simulator) submitted(r *server.Request, src, dst string, msg []byte, l tlv.List, id string, dup bool) {
	if dup {
		s.stats.dedupeHits.Add(1)
	}
	if s.cfg.OnSubmit == nil {
		return
	}
	sub := Submission{SystemID: r.Conn().SystemID(), ID: id, Dup: dup, Source: src, Dest: dst, Message: msg}
	if s.cfg.DedupeTLV != 0 {
		if v, ok := l.Lookup(s.cfg.DedupeTLV); ok {
			sub.Key = strings.TrimRight(string(v), "\x00")
		}
	}
	s.cfg.OnSubmit(&sub)
}

// number returns a new message number, or the one already given to the
// submission's idempotency key (dup true).
func (s *Simulator) number(c *conn, l tlv.List) (n uint64, dup bool) {
	if s.cfg.DedupeTLV != 0 {
		if v, ok := l.Lookup(s.cfg.DedupeTLV); ok {
			key := strconv.FormatUint(uint64(c.sys), 10) + "/" + string(v)
			return s.dedupe.lookupOrAdd(key, func() uint64 { return s.next.Add(1) })
		}
	}
	return s.next.Add(1), false
}

// accept stores message number n (destination off of a submit_multi whose
// id is n-off) and schedules its receipt.
func (s *Simulator) accept(now int64, n uint64, off uint8, sys uint32, src, dst string, regDel, esm, dc uint8, ud []byte) {
	o := s.outcome(dst)
	e := entry{
		id:        n,
		submitted: now,
		final:     now + int64(s.delay()),
		sys:       sys,
		err:       o.Err,
		state:     o.State,
		regDel:    regDel,
		respOff:   off,
	}
	e.srcLen = uint8(copy(e.src[:], src))
	e.dstLen = uint8(copy(e.dst[:], dst))
	if esm&0x40 != 0 && len(ud) > 0 && int(ud[0])+1 <= len(ud) {
		ud = ud[ud[0]+1:] // skip the UDH
	}
	if dc == 0 || dc == 1 || dc == 3 {
		e.setText(ud)
	}
	s.store.put(&e)
	s.stats.submitted.Add(1)
	if wantsReceipt(regDel, o.State) {
		s.sched.add(job{due: e.final, n: n, sys: sys})
	}
}

// wantsReceipt reports whether registered_delivery asks for a receipt of a
// message ending in state st.
func wantsReceipt(regDel uint8, st pdu.MessageState) bool {
	switch regDel & 3 {
	case 1:
		return true
	case 2:
		return st != pdu.StateDelivered
	case 3: // SMPP 5.0: success only
		return st == pdu.StateDelivered
	}
	return false
}

func (s *Simulator) delay() time.Duration {
	d := s.cfg.ReceiptDelay
	if hi := s.cfg.ReceiptDelayMax; hi > d {
		d += time.Duration(rand.Int64N(int64(hi - d + 1)))
	}
	return d
}

// outcome picks the final state of a message to dst.
func (s *Simulator) outcome(dst string) Outcome {
	if len(s.cfg.PrefixOutcomes) > 0 {
		best := -1
		for i, p := range s.cfg.PrefixOutcomes {
			if strings.HasPrefix(dst, p.Prefix) && (best < 0 || len(p.Prefix) > len(s.cfg.PrefixOutcomes[best].Prefix)) {
				best = i
			}
		}
		if best >= 0 {
			return s.cfg.PrefixOutcomes[best].Outcome
		}
	}
	if len(s.outcomes) == 0 {
		return Outcome{State: pdu.StateDelivered}
	}
	x := rand.Float64() * s.total
	for _, o := range s.outcomes {
		if x < o.Percent {
			return o
		}
	}
	return s.outcomes[len(s.outcomes)-1]
}

// ---------------------------------------------------------------- query, cancel, replace

// lookup finds a live message of the session's system_id.
func (s *Simulator) lookup(c *conn, id string, now int64, f func(e *entry)) bool {
	n := s.store.parseID(id)
	found := false
	s.store.with(n, now, func(e *entry) {
		if e.sys == c.sys {
			found = true
			f(e)
		}
	})
	return found
}

func (s *Simulator) serveQuery(w server.ResponseWriter, r *server.Request) {
	c := connOf(r)
	q := r.PDU.(*pdu.QuerySM)
	now := time.Now().UnixNano()
	var resp pdu.QuerySMResp
	ok := c != nil && s.lookup(c, q.MessageID, now, func(e *entry) {
		resp.MessageState = e.currentState(now)
		if resp.MessageState.Final() || resp.MessageState == pdu.StateDeleted {
			resp.FinalDate = pdu.FormatAbsolute(time.Unix(0, e.final).UTC())
			if resp.MessageState != pdu.StateDelivered && e.err <= 255 {
				resp.ErrorCode = uint8(e.err)
			}
		}
	})
	if !ok {
		w.Respond(nil, pdu.ESME_RQUERYFAIL)
		return
	}
	resp.MessageID = q.MessageID
	w.Respond(&resp, pdu.ESME_ROK)
}

func (s *Simulator) serveCancel(w server.ResponseWriter, r *server.Request) {
	c := connOf(r)
	m := r.PDU.(*pdu.CancelSM)
	now := time.Now().UnixNano()
	if c == nil || m.MessageID == "" {
		// Cancelling by addresses would need an index the store does not keep.
		w.Respond(nil, pdu.ESME_RCANCELFAIL)
		return
	}
	status := pdu.ESME_ROK
	ok := s.lookup(c, m.MessageID, now, func(e *entry) {
		if e.currentState(now) != pdu.StateEnroute {
			status = pdu.ESME_RCANCELFAIL
			return
		}
		e.state, e.final, e.err = pdu.StateDeleted, now, 0
	})
	if !ok {
		status = pdu.ESME_RINVMSGID
	}
	w.Respond(nil, status)
}

func (s *Simulator) serveReplace(w server.ResponseWriter, r *server.Request) {
	c := connOf(r)
	m := r.PDU.(*pdu.ReplaceSM)
	now := time.Now().UnixNano()
	status := pdu.ESME_ROK
	var sched *job
	ok := c != nil && s.lookup(c, m.MessageID, now, func(e *entry) {
		if e.currentState(now) != pdu.StateEnroute {
			status = pdu.ESME_RREPLACEFAIL
			return
		}
		e.setText(m.ShortMessage)
		had := wantsReceipt(e.regDel, e.state)
		e.regDel = m.RegisteredDelivery
		e.submitted = now
		e.final = now + int64(s.delay())
		if !had && wantsReceipt(e.regDel, e.state) {
			sched = &job{due: e.final, n: e.id, sys: e.sys}
		}
	})
	if !ok {
		status = pdu.ESME_RINVMSGID
	}
	if sched != nil {
		s.sched.add(*sched)
	}
	w.Respond(nil, status)
}
