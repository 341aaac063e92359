package smppapi

import (
	"log/slog"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// DefaultValidity is the validity of a message that gives none when
// Options.DefaultValidity is nil.
const DefaultValidity = 48 * time.Hour

// Store is the part of the state the ESME side uses (store.Store has it).
type Store interface {
	// Accept stores a new message and its ticket in one durable write.
	Accept(m *store.Message) error
	// AcceptAsync is Accept that calls then instead of returning (see
	// store.Store.AcceptAsync): the read loop does not wait for the disk.
	AcceptAsync(m *store.Message, then func(error))
	// Get returns the message with this id, newest revision.
	Get(id string) (*store.Message, error)
	// Update stores m's state fields by compare-and-set on m.Rev.
	Update(m *store.Message) error
	// Replace stores every field of m by compare-and-set on m.Rev.
	Replace(m *store.Message) error
}

// IDs makes message ids (msgid.Generator has it).
type IDs interface {
	// Next returns a new message id, never returned before.
	Next() string
}

// Routes is the routing configuration, read at every submission: a reload
// may change it between two.
type Routes interface {
	// Route returns the names of the SMSCs for a message of the account
	// from source to dest, in failover order; none when no route matches.
	Route(account, source, dest string) []string
}

// Metrics receives what the ESME side counts. Its methods are called on the
// submission path and must not block nor allocate.
type Metrics interface {
	// Answered counts a submission's answer by account, command
	// ("submit_sm", "data_sm", "submit_multi") and status: ESME_ROK or
	// the refusal. ESME_RTHROTTLED answered by Options.Throttle is not
	// counted here.
	Answered(account, command string, status pdu.Status)
	// SubmitLatency observes how long an accepted submit_sm took from its
	// read (after the rate's wait) to its answer.
	SubmitLatency(account string, d time.Duration)
	// StoreError counts a state write that failed on a message's path (a
	// cancel_sm or replace_sm not recorded).
	StoreError()
}

// Options are the dependencies of Handlers. Store, IDs, Routes and Account
// are required.
type Options struct {
	// Store holds the messages.
	Store Store
	// IDs makes the ids of accepted messages.
	IDs IDs
	// Routes is the routing configuration: a destination with no route is
	// refused ESME_RINVDSTADR.
	Routes Routes
	// Account returns the system_id of the account a request came on
	// (from its connection's server.Account); ok false refuses the
	// request ESME_RSYSERR.
	Account func(r *server.Request) (systemID string, ok bool)
	// Throttle is asked first for every submission: it returns false to
	// let it go on (at once, or once the account's rate allows it), or
	// true once it answered it (ESME_RTHROTTLED) or the connection ended
	// while it waited. nil: no rate.
	Throttle func(w server.ResponseWriter, r *server.Request) bool
	// ThrottleWaits reports whether Throttle may wait for r (the account's
	// rate is shaped): such a submission is handled off the read loop.
	// nil: Throttle never waits.
	ThrottleWaits func(r *server.Request) bool
	// Bind returns the id of the bind a request came on, kept with the
	// message (store.Message.Bind) so that its receipt goes back to that
	// bind; nil: none.
	Bind func(r *server.Request) string
	// DefaultValidity returns the validity of a message that gives none,
	// read at every submission (a reload may change it); nil:
	// DefaultValidity.
	DefaultValidity func() time.Duration
	// Metrics receives the counts; nil: none.
	Metrics Metrics
	// Logger logs; nil: slog.Default().
	Logger *slog.Logger
}

// Handlers answers the ESMEs' message requests. Its methods may be called
// concurrently.
type Handlers struct {
	store    Store
	ids      IDs
	routes   Routes
	account  func(*server.Request) (string, bool)
	throttle func(server.ResponseWriter, *server.Request) bool
	waits    func(*server.Request) bool
	bind     func(*server.Request) string
	validity func() time.Duration
	metrics  Metrics
	log      *slog.Logger
}

// New returns the Handlers of o.
func New(o Options) *Handlers {
	h := &Handlers{
		store: o.Store, ids: o.IDs, routes: o.Routes, account: o.Account,
		throttle: o.Throttle, waits: o.ThrottleWaits, bind: o.Bind, validity: o.DefaultValidity,
		metrics: o.Metrics, log: o.Logger,
	}
	if h.metrics == nil {
		h.metrics = noMetrics{}
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h
}

// Register installs the handlers of submit_sm, data_sm, submit_multi,
// query_sm, cancel_sm and replace_sm on mux. They are made for a server
// whose sessions run handlers on the read loop (session.Config
// InlineHandler): submit_sm and data_sm validate there and answer once their
// message is stored (Store.AcceptAsync), without the read loop waiting;
// those that may wait (a shaped rate, the store's blocking writes and
// reads) are handed to the connection's handler goroutines
// (server.OffLoop).
func (h *Handlers) Register(mux *server.ServeMux) {
	mux.HandleFunc(pdu.SubmitSMID, h.unlessWaiting(h.submitSM))
	mux.HandleFunc(pdu.DataSMID, h.unlessWaiting(h.dataSM))
	mux.Handle(pdu.SubmitMultiID, server.OffLoop(server.HandlerFunc(h.submitMulti)))
	mux.Handle(pdu.QuerySMID, server.OffLoop(server.HandlerFunc(h.querySM)))
	mux.Handle(pdu.CancelSMID, server.OffLoop(server.HandlerFunc(h.cancelSM)))
	mux.Handle(pdu.ReplaceSMID, server.OffLoop(server.HandlerFunc(h.replaceSM)))
}

// unlessWaiting runs f where it is called, unless Throttle may wait for the
// request: then off the read loop.
func (h *Handlers) unlessWaiting(f server.HandlerFunc) server.HandlerFunc {
	off := server.OffLoop(f)
	return func(w server.ResponseWriter, r *server.Request) {
		if h.waits != nil && h.waits(r) {
			off.ServeSMPP(w, r)
			return
		}
		f(w, r)
	}
}

// noMetrics counts nothing.
type noMetrics struct{}

func (noMetrics) Answered(string, string, pdu.Status) {}
func (noMetrics) SubmitLatency(string, time.Duration) {}
func (noMetrics) StoreError()                         {}

// storeFailed reports a store write that failed on a message's path. What
// is on disk is the message's earlier state, which a restart recovers.
func (h *Handlers) storeFailed(what, id string, err error) {
	h.metrics.StoreError()
	h.log.Error("store: "+what+" failed; the message keeps its earlier state on disk, recovered at the next start", "err", err, "id", id)
}

// bindOf returns the id of the bind r came on, "" for none.
func (h *Handlers) bindOf(r *server.Request) string {
	if h.bind == nil {
		return ""
	}
	return h.bind(r)
}

// throttled asks Options.Throttle about a submission.
func (h *Handlers) throttled(w server.ResponseWriter, r *server.Request) bool {
	return h.throttle != nil && h.throttle(w, r)
}
