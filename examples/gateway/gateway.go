package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/msgid"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/tlv"
)

// Gateway is the composition: an SMPP server for ESMEs, a durable store, a
// routing queue, and upstream clients towards operator SMSCs.
type Gateway struct {
	cfg      atomic.Pointer[Config]
	accounts atomic.Pointer[accounts]
	store    store.Store
	srv      *server.Server
	log      *slog.Logger
	metrics  *metrics
	guard    *bindGuard

	upMu      sync.RWMutex
	upstreams map[string]*upstream

	queue  chan *store.Message // messages ready for an upstream
	work   chan func()         // completions handed off from read loops
	retryQ *delayQueue         // messages waiting for their next attempt
	parked *parking            // receipts that came before their submit_sm_resp

	claims    sync.Map // id -> struct{}: a message being dispatched, cancelled or replaced
	cancelled sync.Map // id -> true: cancelled while queued
	receiving sync.Map // id -> struct{}: a receipt being recorded
	// resent holds the ids of messages recovered at start-up until they reach
	// a final state: with a message sent more than once in this process (see
	// mayBeStale), an answer to one of its sends may come after a receipt.
	resent sync.Map // id -> struct{}

	// live caches the newest version of non-final messages and ups the
	// upstream-id index of messages waiting for their receipt, so that the
	// receipt path reads nothing from the store. Bounded by maxLive.
	live     sync.Map // id -> *store.Message (a copy; Body shared, read-only)
	upIDs    sync.Map // route + "\x00" + upstream key -> id
	liveN    atomic.Int64
	replaced sync.Map // id -> *store.Message: the newest version of a queued message

	pushMu  sync.Mutex
	pushers map[string]*pusher

	ids *msgid.Generator // message ids, greater than every id in the store

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// The dispatchers stop first at shutdown, so that no submit leaves
	// while the upstream clients close.
	dispatching  context.Context
	stopDispatch context.CancelFunc
	dispatchWG   sync.WaitGroup
	start        time.Time

	recovered []*store.Message // found at start-up, queued once routing runs
}

// upstream is one operator SMSC connection.
type upstream struct {
	name   string
	cfg    UpstreamConfig
	c      *client.Client
	up     atomic.Int32 // binds up
	dedupe tlv.Tag

	stMu   sync.Mutex
	states map[int]client.BindState // by client bind slot
}

// bindState counts the binds that are up from the client's state events.
func (u *upstream) bindState(ev client.StateEvent) {
	u.stMu.Lock()
	defer u.stMu.Unlock()
	if u.states == nil {
		u.states = map[int]client.BindState{}
	}
	// Several binds may share an endpoint address: the slot tells them apart.
	u.states[ev.Slot] = ev.State
	n := 0
	for _, s := range u.states {
		if s == client.Bound {
			n++
		}
	}
	u.up.Store(int32(n))
}

func newGateway(cfg *Config, st store.Store, log *slog.Logger, m *metrics) (*Gateway, error) {
	as, err := loadAccounts(cfg.Accounts)
	if err != nil {
		return nil, err
	}
	gw := &Gateway{
		store:     st,
		log:       log,
		metrics:   m,
		guard:     newBindGuard(cfg.FailedBinds),
		upstreams: map[string]*upstream{},
		queue:     make(chan *store.Message, 200000),
		work:      make(chan func(), 100000),
		parked:    newParking(),
		pushers:   map[string]*pusher{},
		start:     time.Now(),
	}
	if err := gw.initIDs(); err != nil {
		return nil, fmt.Errorf("gateway: reading the last message id: %w", err)
	}
	gw.retryQ = newDelayQueue(func(m *store.Message) { gw.enqueue(m) })
	gw.cfg.Store(cfg)
	gw.accounts.Store(as)
	gw.ctx, gw.cancel = context.WithCancel(context.Background())
	gw.dispatching, gw.stopDispatch = context.WithCancel(gw.ctx)

	mux := server.NewServeMux()
	mux.HandleFunc(pdu.SubmitSMID, gw.handleSubmit)
	mux.HandleFunc(pdu.DataSMID, gw.handleDataSM)
	mux.HandleFunc(pdu.SubmitMultiID, gw.handleSubmitMulti)
	mux.HandleFunc(pdu.QuerySMID, gw.handleQuery)
	mux.HandleFunc(pdu.CancelSMID, gw.handleCancel)
	mux.HandleFunc(pdu.ReplaceSMID, gw.handleReplace)
	gw.srv = &server.Server{
		Handler:           mux,
		SystemID:          cfg.SystemID,
		Authenticate:      gw.authenticate,
		HandshakeTimeout:  cfg.Unbound.HandshakeTimeout.D(),
		MaxUnboundConns:   cfg.Unbound.MaxConns,
		MaxUnboundPerAddr: cfg.Unbound.MaxPerAddr,
		Session: session.Config{
			BindTimeout:         cfg.BindTimeout.D(),
			EnquireLinkInterval: cfg.EnquireLink.D(),
			InboundWindow:       cfg.Window,
			// Receipts and MO in flight to one ESME bind. An ESME with a
			// smaller window answers the excess with ESME_RTHROTTLED, and
			// the pusher sends it again shortly.
			Window: cfg.DeliverWindow,
			// A delivery unanswered this long goes to another bind of the
			// account; a bind that lets a few in a row time out is unbound.
			ResponseTimeout: cfg.DeliverTimeout.D(),
			Decode:          pdu.DecodeOptions{Lenient: true},
			Observer:        m.sessionObserver(),
		},
		Logger:   log,
		Observer: m.serverObserver(gw),
	}
	return gw, nil
}

// newID returns a new message id: 16 hexadecimal digits of a 63-bit number
// (package msgid: milliseconds since 2020 in the high bits, then a sequence).
// As a number it fits a signed 64-bit integer, which is how Kannel with
// msg-id-type 0x03 and Java clients hold message ids. Ids grow, and never
// fall below the greatest id in the store at start (initIDs), so they do not
// repeat across restarts even if the clock went back; and the store writes
// its records in key order, which keeps its in-memory index cheap to insert
// into.
func (gw *Gateway) newID() string { return gw.ids.Next() }

// initIDs makes new ids greater than every id in the store.
func (gw *Gateway) initIDs() error {
	if gw.ids == nil {
		g, err := msgid.New(msgid.Options{})
		if err != nil {
			return err
		}
		gw.ids = g
	}
	last, err := gw.store.LastID()
	if err != nil || last == "" {
		return err
	}
	if err := gw.ids.Resume(last); err != nil && !errors.Is(err, msgid.ErrNotID) {
		return err
	}
	// An id of another scheme (an older version's): nothing to order after.
	return nil
}

// accountOf returns the account of the connection a request came on.
func accountOf(r *server.Request) *account {
	a, _ := r.Conn().Account().Value.(*account)
	return a
}

// --- accepting messages from ESMEs ---

func (gw *Gateway) handleSubmit(w server.ResponseWriter, r *server.Request) {
	sm := r.PDU.(*pdu.SubmitSM)
	a := accountOf(r)
	now := time.Now()
	if st := gw.checkSubmit(a, sm.SourceAddr, sm.DestinationAddr); st != 0 {
		gw.answer(w, a, "submit_sm", nil, st)
		return
	}
	if len(sm.ShortMessage) > 0 && sm.TLVs.Has(tlv.MessagePayload) {
		gw.answer(w, a, "submit_sm", nil, pdu.ESME_RINVMSGLEN)
		return
	}
	exp, err := sm.ValidityTime(now)
	if err != nil {
		gw.answer(w, a, "submit_sm", nil, pdu.StatusOf(err))
		return
	}
	// The strict form (the request may have been read leniently), in one
	// allocation: about the size it came in. A field beyond its 3.4 limit
	// (read leniently) fails here, before anything is stored: it could not
	// be forwarded upstream.
	body, err := sm.AppendBinary(make([]byte, 0, r.Header.Length))
	if err != nil {
		gw.answer(w, a, "submit_sm", nil, pdu.StatusOf(err))
		return
	}
	m := &store.Message{
		ID: gw.newID(), Account: a.cfg.SystemID, Command: uint32(pdu.SubmitSMID), Body: body,
		Source: sm.SourceAddr, Dest: sm.DestinationAddr, Registered: sm.RegisteredDelivery,
		State: store.Queued, Created: now, Expires: gw.expiry(exp, now),
	}
	if st := gw.accept(m); st != 0 {
		gw.answer(w, a, "submit_sm", nil, st)
		return
	}
	gw.answer(w, a, "submit_sm", &pdu.SubmitSMResp{MessageID: m.ID}, 0)
	gw.metrics.latency.Observe(time.Since(now).Seconds())
	gw.enqueue(m)
}

func (gw *Gateway) handleDataSM(w server.ResponseWriter, r *server.Request) {
	ds := r.PDU.(*pdu.DataSM)
	a := accountOf(r)
	now := time.Now()
	if st := gw.checkSubmit(a, ds.SourceAddr, ds.DestinationAddr); st != 0 {
		gw.answer(w, a, "data_sm", nil, st)
		return
	}
	body, err := ds.AppendBinary(make([]byte, 0, r.Header.Length))
	if err != nil {
		gw.answer(w, a, "data_sm", nil, pdu.StatusOf(err))
		return
	}
	m := &store.Message{
		ID: gw.newID(), Account: a.cfg.SystemID, Command: uint32(pdu.DataSMID), Body: body,
		Source: ds.SourceAddr, Dest: ds.DestinationAddr, Registered: ds.RegisteredDelivery,
		State: store.Queued, Created: now, Expires: gw.expiry(time.Time{}, now),
	}
	if st := gw.accept(m); st != 0 {
		gw.answer(w, a, "data_sm", nil, st)
		return
	}
	gw.answer(w, a, "data_sm", &pdu.DataSMResp{MessageID: m.ID}, 0)
	gw.enqueue(m)
}

// handleSubmitMulti stores one message per SME destination; distribution
// lists are not provisioned here and are reported unsuccessful.
func (gw *Gateway) handleSubmitMulti(w server.ResponseWriter, r *server.Request) {
	mm := r.PDU.(*pdu.SubmitMulti)
	a := accountOf(r)
	now := time.Now()
	exp, err := mm.ValidityTime(now)
	if err != nil {
		gw.answer(w, a, "submit_multi", nil, pdu.StatusOf(err))
		return
	}
	base := gw.newID()
	resp := &pdu.SubmitMultiResp{MessageID: base}
	// Every field within its 3.4 limit (the request may have been read
	// leniently), or nothing is accepted: a destination too long to be
	// forwarded could not even be named in the unsuccess list.
	if _, err := mm.AppendBinary(make([]byte, 0, r.Header.Length)); err != nil {
		gw.answer(w, a, "submit_multi", nil, pdu.StatusOf(err))
		return
	}
	var accepted []*store.Message
	for i, d := range mm.Dests {
		if d.Flag == pdu.DestFlagList {
			resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestinationAddr: d.DLName, ErrorStatusCode: pdu.ESME_RINVDLNAME})
			continue
		}
		if st := gw.checkSubmit(a, mm.SourceAddr, d.DestinationAddr); st != 0 {
			resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr, ErrorStatusCode: st})
			continue
		}
		sm := &pdu.SubmitSM{
			ServiceType: mm.ServiceType, SourceAddrTON: mm.SourceAddrTON, SourceAddrNPI: mm.SourceAddrNPI, SourceAddr: mm.SourceAddr,
			DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr,
			ESMClass: mm.ESMClass, ProtocolID: mm.ProtocolID, PriorityFlag: mm.PriorityFlag,
			ScheduleDeliveryTime: mm.ScheduleDeliveryTime, ValidityPeriod: mm.ValidityPeriod,
			RegisteredDelivery: mm.RegisteredDelivery, ReplaceIfPresentFlag: mm.ReplaceIfPresentFlag,
			DataCoding: mm.DataCoding, SMDefaultMsgID: mm.SMDefaultMsgID, ShortMessage: mm.ShortMessage, TLVs: mm.TLVs,
		}
		body, err := sm.AppendBinary(nil)
		if err != nil {
			st := pdu.StatusOf(err)
			resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr, ErrorStatusCode: st})
			continue
		}
		m := &store.Message{
			ID: fmt.Sprintf("%s-%d", base, i+1), Account: a.cfg.SystemID, Command: uint32(pdu.SubmitSMID), Body: body,
			Source: sm.SourceAddr, Dest: sm.DestinationAddr, Registered: sm.RegisteredDelivery,
			State: store.Queued, Created: now, Expires: gw.expiry(exp, now),
		}
		if st := gw.accept(m); st != 0 {
			resp.Unsuccess = append(resp.Unsuccess, pdu.UnsuccessSME{DestAddrTON: d.DestAddrTON, DestAddrNPI: d.DestAddrNPI, DestinationAddr: d.DestinationAddr, ErrorStatusCode: st})
			continue
		}
		accepted = append(accepted, m)
	}
	if len(accepted) == 0 {
		gw.answer(w, a, "submit_multi", nil, pdu.ESME_RSUBMITFAIL)
		return
	}
	gw.answer(w, a, "submit_multi", resp, 0)
	for _, m := range accepted {
		gw.enqueue(m)
	}
}

func (gw *Gateway) answer(w server.ResponseWriter, a *account, cmd string, body pdu.PDU, st pdu.Status) {
	gw.metrics.submits.WithLabelValues(a.cfg.SystemID, cmd, st.String()).Inc()
	if err := w.Respond(body, st); err != nil {
		// The session ended first. An accepted message is stored and goes
		// on; the ESME never learnt its id.
		gw.log.Info("the answer to a submission could not be sent", "system_id", a.cfg.SystemID, "command", cmd, "status", st.String(), "err", err)
	}
}

func (gw *Gateway) checkSubmit(a *account, src, dst string) pdu.Status {
	if dst == "" {
		return pdu.ESME_RINVDSTADR
	}
	if len(gw.routeFor(a.cfg.SystemID, src, dst)) == 0 {
		return pdu.ESME_RINVDSTADR
	}
	if len(gw.queue) >= cap(gw.queue)-1000 {
		return pdu.ESME_RMSGQFUL
	}
	return 0
}

func (gw *Gateway) expiry(t, now time.Time) time.Time {
	if t.IsZero() {
		return now.Add(gw.cfg.Load().DefaultValidity.D())
	}
	return t
}

// accept stores a message durably: only then is the ESME told ESME_ROK.
func (gw *Gateway) accept(m *store.Message) pdu.Status {
	if err := gw.store.Accept(m); err != nil {
		gw.log.Error("store: accept failed", "err", err)
		return pdu.ESME_RSYSERR
	}
	gw.cache(m)
	return 0
}

// maxLive bounds the messages held in the read cache.
const maxLive = 500000

// cache keeps a copy of a non-final message for the receipt path.
func (gw *Gateway) cache(m *store.Message) {
	cp := *m
	if _, loaded := gw.live.Swap(m.ID, &cp); !loaded {
		if gw.liveN.Add(1) > maxLive {
			gw.live.Delete(m.ID)
			gw.liveN.Add(-1)
		}
	}
}

// uncache drops a message that reached a final state.
func (gw *Gateway) uncache(id string) {
	if _, ok := gw.live.LoadAndDelete(id); ok {
		gw.liveN.Add(-1)
	}
	gw.resent.Delete(id)
}

// mayBeStale reports whether m, as a dispatch saw it, may have been
// overtaken by a receipt of an earlier send: only a message sent more than
// once (a retry, or a resend after a restart) can be.
func (gw *Gateway) mayBeStale(m *store.Message) bool {
	if m.Attempts > 1 {
		return true
	}
	_, ok := gw.resent.Load(m.ID)
	return ok
}

// storedFinal reports whether the store has message id in a final state.
func (gw *Gateway) storedFinal(id string) bool {
	cur, err := gw.store.Get(id)
	return err == nil && cur.State.Final()
}

// message returns the current version of a message: from the cache, or the store.
func (gw *Gateway) message(id string) (*store.Message, error) {
	if v, ok := gw.live.Load(id); ok {
		cp := *v.(*store.Message)
		return &cp, nil
	}
	return gw.store.Get(id)
}

// --- query_sm, cancel_sm, replace_sm from the gateway's own state ---

// queryState maps the gateway's state to SMPP's message_state.
func queryState(s store.State) pdu.MessageState {
	switch s {
	case store.Queued, store.Inflight, store.Enroute:
		return pdu.StateEnroute
	case store.Delivered:
		return pdu.StateDelivered
	case store.Expired:
		return pdu.StateExpired
	case store.Deleted:
		return pdu.StateDeleted
	case store.Undeliverable:
		return pdu.StateUndeliverable
	case store.Accepted:
		return pdu.StateAccepted
	case store.Rejected:
		return pdu.StateRejected
	}
	return pdu.StateUnknown
}

func storeState(s pdu.MessageState) store.State {
	switch s {
	case pdu.StateDelivered:
		return store.Delivered
	case pdu.StateExpired:
		return store.Expired
	case pdu.StateDeleted:
		return store.Deleted
	case pdu.StateUndeliverable:
		return store.Undeliverable
	case pdu.StateAccepted:
		return store.Accepted
	case pdu.StateRejected:
		return store.Rejected
	case pdu.StateEnroute, pdu.StateScheduled:
		return store.Enroute
	}
	return store.Unknown
}

func (gw *Gateway) owned(r *server.Request, id string) (*store.Message, pdu.Status) {
	a := accountOf(r)
	m, err := gw.store.Get(id)
	if err != nil || m.Account != a.cfg.SystemID {
		return nil, pdu.ESME_RINVMSGID
	}
	return m, 0
}

func (gw *Gateway) handleQuery(w server.ResponseWriter, r *server.Request) {
	q := r.PDU.(*pdu.QuerySM)
	m, st := gw.owned(r, q.MessageID)
	if st != 0 {
		w.Respond(nil, pdu.ESME_RQUERYFAIL)
		return
	}
	resp := &pdu.QuerySMResp{MessageID: q.MessageID, MessageState: queryState(m.State), ErrorCode: m.Error}
	if m.State.Final() && !m.Done.IsZero() {
		resp.FinalDate = pdu.FormatAbsolute(m.Done)
	}
	w.Respond(resp, 0)
}

func (gw *Gateway) handleCancel(w server.ResponseWriter, r *server.Request) {
	c := r.PDU.(*pdu.CancelSM)
	if c.MessageID == "" {
		// Bulk cancel by address is not kept indexed here.
		w.Respond(nil, pdu.ESME_RCANCELFAIL)
		return
	}
	m, st := gw.owned(r, c.MessageID)
	if st != 0 {
		w.Respond(nil, st)
		return
	}
	m, ok := gw.claimQueued(m.ID)
	if !ok {
		w.Respond(nil, pdu.ESME_RCANCELFAIL)
		return
	}
	m.State, m.Done = store.Deleted, time.Now()
	if err := gw.store.Update(m, true); err != nil {
		gw.releaseClaim(m.ID)
		w.Respond(nil, pdu.ESME_RSYSERR)
		return
	}
	gw.cancelled.Store(m.ID, true)
	gw.releaseClaim(m.ID)
	w.Respond(nil, 0)
}

func (gw *Gateway) handleReplace(w server.ResponseWriter, r *server.Request) {
	rp := r.PDU.(*pdu.ReplaceSM)
	m, st := gw.owned(r, rp.MessageID)
	if st != 0 {
		w.Respond(nil, st)
		return
	}
	if pdu.CommandID(m.Command) != pdu.SubmitSMID {
		w.Respond(nil, pdu.ESME_RREPLACEFAIL)
		return
	}
	m, ok := gw.claimQueued(m.ID)
	if !ok {
		w.Respond(nil, pdu.ESME_RREPLACEFAIL)
		return
	}
	defer gw.releaseClaim(m.ID)
	var sm pdu.SubmitSM
	if err := sm.UnmarshalBinary(m.Body); err != nil {
		w.Respond(nil, pdu.ESME_RREPLACEFAIL)
		return
	}
	sm.ShortMessage = rp.ShortMessage
	sm.TLVs.Del(tlv.MessagePayload)
	if rp.ScheduleDeliveryTime != "" {
		sm.ScheduleDeliveryTime = rp.ScheduleDeliveryTime
	}
	if rp.ValidityPeriod != "" {
		sm.ValidityPeriod = rp.ValidityPeriod
		if t, err := sm.ValidityTime(time.Now()); err == nil {
			m.Expires = t
		}
	}
	sm.RegisteredDelivery = rp.RegisteredDelivery
	sm.SMDefaultMsgID = rp.SMDefaultMsgID
	body, err := sm.AppendBinary(nil)
	if err != nil {
		w.Respond(nil, pdu.StatusOf(err))
		return
	}
	m.Body, m.Registered = body, rp.RegisteredDelivery
	if err := gw.store.Replace(m, true); err != nil {
		w.Respond(nil, pdu.ESME_RSYSERR)
		return
	}
	gw.replaced.Store(m.ID, m)
	w.Respond(nil, 0)
}

// --- routing ---

// routeFor returns the upstreams for a destination, in failover order.
func (gw *Gateway) routeFor(acct, src, dst string) []string {
	d := strings.TrimPrefix(dst, "+")
	for _, r := range gw.cfg.Load().Routes {
		if r.Account != "" && r.Account != acct {
			continue
		}
		if r.Source != "" && !strings.HasPrefix(src, r.Source) {
			continue
		}
		if strings.HasPrefix(d, strings.TrimPrefix(r.Prefix, "+")) {
			return r.Upstreams
		}
	}
	return nil
}

func (gw *Gateway) enqueue(m *store.Message) {
	select {
	case gw.queue <- m:
		gw.metrics.queued.Inc()
	case <-gw.ctx.Done():
	}
}

// claimQueued takes the exclusive right to change a queued message, and
// returns its current version; false when it is no longer queued or another
// change holds it.
func (gw *Gateway) claimQueued(id string) (*store.Message, bool) {
	if _, busy := gw.claims.LoadOrStore(id, struct{}{}); busy {
		return nil, false
	}
	m, err := gw.store.Get(id)
	if err != nil || m.State != store.Queued {
		gw.claims.Delete(id)
		return nil, false
	}
	return m, true
}

func (gw *Gateway) releaseClaim(id string) { gw.claims.Delete(id) }
