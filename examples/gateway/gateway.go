package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/slots"
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

	work chan func() // completions handed off from read loops

	// waitingReceipts counts the receipts waiting for the submit_sm_resp
	// of their message to be recorded (for the status page).
	waitingReceipts atomic.Int64

	// upChanged is closed and replaced when an upstream's binds change, to
	// wake the dispatchers waiting for one to be up.
	upChMu    sync.Mutex
	upChanged chan struct{}

	pushMu  sync.Mutex
	pushers map[string]*pusher
	bindIDs *bindIDs // the ids of the transceiver binds (bind_origin.go)

	ids    *msgid.Generator // message ids, greater than every id in the store
	limits *accountLimits   // the accounts' rate and binds (limits_wiring.go)
	slots  slots.Slots      // a cluster node's share of the upstream binds; nil on a single node (upstream_slots.go)
	// claimExtend renews a dispatcher's claim while the upstream answers:
	// on a cluster, whose leases are short; 0 on a single node.
	claimExtend time.Duration
	// quorumLost says why a cluster node has no quorum, "" when it has
	// (cluster_quorum.go); nil on a single node.
	quorumLost func() string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// The dispatchers stop first at shutdown, so that no submit leaves
	// while the upstream clients close.
	dispatching  context.Context
	stopDispatch context.CancelFunc
	dispatchWG   sync.WaitGroup
	start        time.Time
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
	ids, err := newNodeIDs(cfg.NodeID)
	if err != nil {
		return nil, err
	}
	gw := &Gateway{
		ids:       ids,
		limits:    newAccountLimits(),
		store:     st,
		log:       log,
		metrics:   m,
		guard:     newBindGuard(cfg.FailedBinds),
		upstreams: map[string]*upstream{},
		work:      make(chan func(), 100000),
		upChanged: make(chan struct{}),
		pushers:   map[string]*pusher{},
		bindIDs:   newBindIDs(cfg.NodeID),
		start:     time.Now(),
	}
	if err := gw.initIDs(); err != nil {
		return nil, fmt.Errorf("gateway: reading the last message id: %w", err)
	}
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

// upstreamChanged returns a channel closed at the next change of an
// upstream's binds.
func (gw *Gateway) upstreamChanged() <-chan struct{} {
	gw.upChMu.Lock()
	defer gw.upChMu.Unlock()
	return gw.upChanged
}

// upstreamBack is called when an upstream's binds change: dispatchers
// waiting for an upstream look again.
func (gw *Gateway) upstreamBack() {
	gw.upChMu.Lock()
	close(gw.upChanged)
	gw.upChanged = make(chan struct{})
	gw.upChMu.Unlock()
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
