package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/smppapi"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/examples/gateway/upstream"
	"github.com/esmsafrica/smpp/msgid"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
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
	pending  pendingCounts // the deliveries waiting per account, read at most once a second (deliveries_pending.go)
	guard    *bindGuard

	// up is the upstream side: the dispatchers, the operator SMSCs'
	// clients, their receipts and MO (package upstream, wired in
	// upstream_wiring.go); nil until start makes it.
	up *upstream.Dispatcher
	// smppAPI answers the ESMEs' submissions, queries, cancels and
	// replaces (package smppapi, wired in smppapi_wiring.go).
	smppAPI *smppapi.Handlers

	work chan func() // completions handed off from read loops (completion_workers.go)

	pushMu  sync.Mutex
	pushers map[string]*pusher
	bindIDs *bindIDs // the ids of the transceiver binds (bind_origin.go)

	ids    *msgid.Generator // message ids, greater than every id in the store
	limits *accountLimits   // the accounts' rate and binds (limits_wiring.go)
	// quorumLost says why a cluster node has no quorum, "" when it has
	// (cluster_quorum.go); nil on a single node.
	quorumLost func() string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	start  time.Time
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
		ids:     ids,
		limits:  newAccountLimits(),
		store:   st,
		log:     log,
		metrics: m,
		guard:   newBindGuard(cfg.FailedBinds),
		work:    make(chan func(), 100000),
		pushers: map[string]*pusher{},
		bindIDs: newBindIDs(cfg.NodeID),
		start:   time.Now(),
	}
	if err := gw.initIDs(); err != nil {
		return nil, fmt.Errorf("gateway: reading the last message id: %w", err)
	}
	gw.cfg.Store(cfg)
	gw.accounts.Store(as)
	gw.ctx, gw.cancel = context.WithCancel(context.Background())

	gw.smppAPI = gw.newSMPPAPI()
	mux := server.NewServeMux()
	gw.smppAPI.Register(mux)
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
			// The handlers (package smppapi) do not block the read loop:
			// a submission is validated there and answered once stored,
			// and what may wait runs on a goroutine of its own.
			InlineHandler: true,
			Observer:      m.sessionObserver(),
		},
		Logger:   log,
		Observer: m.serverObserver(gw),
	}
	m.pending.gw.Store(gw) // smpp_gateway_deliveries_pending reads gw's accounts and queue from now on
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

// storeFailed reports a store write that failed on a message's path. What
// is on disk is the message's earlier state, which a restart recovers.
func (gw *Gateway) storeFailed(what, id string, err error) {
	gw.metrics.storeErrors.Inc()
	gw.log.Error("store: "+what+" failed; the message keeps its earlier state on disk, recovered at the next start", "err", err, "id", id)
}

// accountOf returns the account of the connection a request came on.
func accountOf(r *server.Request) *account {
	a, _ := r.Conn().Account().Value.(*account)
	return a
}
