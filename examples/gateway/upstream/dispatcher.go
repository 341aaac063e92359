package upstream

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/slots"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

const (
	// dispatchers is how many goroutines claim the queue's tickets.
	dispatchers = 4
	// claimBatch is the most tickets a dispatcher claims at a time.
	claimBatch = 64
	// fencedPause is how often a fenced node's dispatchers look whether
	// the fence is lifted.
	fencedPause = 250 * time.Millisecond
)

// Routes is the routing configuration, read at every use: a reload may
// change it between two messages.
type Routes interface {
	// Route returns the names of the SMSCs for a message of the account
	// from source to dest, in failover order; none when no route matches.
	Route(account, source, dest string) []string
	// Dedupe returns the dedupe TLV the configuration gives the SMSC
	// named, 0 for none (or for an SMSC the configuration no longer has).
	Dedupe(name string) tlv.Tag
	// MOAccount returns the account that takes MO messages to dest, ""
	// for none (the message is acknowledged and dropped).
	MOAccount(dest string) string
}

// Metrics receives what the Dispatcher counts. Its methods are called on
// the message path and must not block.
type Metrics interface {
	// Submitted counts an SMSC's answer to a submit (ESME_ROK, its error
	// status, or the status of a submit that got none) and its round trip.
	Submitted(smsc string, status pdu.Status, rtt time.Duration)
	// Retry counts a submit given back to the queue to be sent again.
	Retry(smsc string)
	// Final counts a message the gateway itself finished, by its stat
	// (EXPIRED, REJECTD, UNKNOWN).
	Final(account, stat string)
	// Receipt counts an SMSC's receipt recorded, by its stat, with the
	// time since its message was accepted.
	Receipt(account, stat string, sinceAccepted time.Duration)
	// Parked counts a receipt that came before its message's answer was
	// recorded.
	Parked()
	// MO counts an MO message by outcome: "routed" (handed to the
	// account) or "unrouted" (account "", dropped).
	MO(account, outcome string)
	// StoreError counts a state write that failed on a message's path.
	StoreError()
	// BindsUp reports how many binds of the SMSC named are up.
	BindsUp(smsc string, n int)
}

// Options are a Dispatcher's dependencies. Store and Routes are required.
type Options struct {
	// Store holds the messages' records and the index of the SMSCs' ids.
	Store store.Store
	// Queue is where the dispatchers claim tickets; nil: Store.Queue().
	Queue queue.Queue
	// Routes is the routing configuration.
	Routes Routes
	// Logger logs; nil: slog.Default().
	Logger *slog.Logger
	// Metrics receives the counts; nil: none.
	Metrics Metrics
	// UpdateWithReceipt records a message's new state and an SMSC's
	// receipt for its ESME (nil when the ESME asked for none) in one
	// write, putting the receipt where the account takes its receipts,
	// and calls then with the outcome once it is durable, as
	// Store.UpdateWithDeliveryAsync does (nil: that method). It is called
	// on the SMSC client's read loop and must not block. The receipts the
	// gateway makes itself (EXPIRED, REJECTD, UNKNOWN) go to
	// Store.UpdateWithDelivery.
	UpdateWithReceipt func(m *store.Message, d *store.Delivery, then func(error))
	// DeliveryAdded is told of a receipt added for an account's ESMEs;
	// nil: nobody.
	DeliveryAdded func(account string)
	// DeliverMO hands an MO message to the account's ESMEs; its error is
	// the answer to the SMSC. nil: MO messages are acknowledged and
	// dropped.
	DeliverMO func(account string, d *pdu.DeliverSM) error
	// Later runs f off the SMSC client's read loop (store writes must not
	// block it), also once the Dispatcher stopped: nothing handed over may
	// be dropped. nil: f runs at once.
	Later func(f func())
	// Fenced reports whether this node must claim nothing (a cluster node
	// without the quorum); nil: never.
	Fenced func() bool
	// Slots shares the SMSCs' binds with the other nodes of a cluster:
	// an SMSC's client binds only the slots this node holds. nil: every
	// bind (a single node).
	Slots slots.Slots
	// ClaimExtend renews a claimed ticket's lease this often while its
	// SMSC answers (a cluster's leases are short); 0: never.
	ClaimExtend time.Duration
}

// Dispatcher sends claimed tickets' messages to the SMSCs and records what
// comes back. Start starts it and Stop stops it; Add may be called at any
// time.
type Dispatcher struct {
	store         store.Store
	queue         queue.Queue
	routes        Routes
	log           *slog.Logger
	metrics       Metrics
	updateReceipt func(*store.Message, *store.Delivery, func(error))
	deliveryAdded func(string)
	deliverMO     func(string, *pdu.DeliverSM) error
	later         func(func())
	fenced        func() bool
	slots         slots.Slots
	claimExtend   time.Duration

	mu    sync.RWMutex
	smscs map[string]*SMSC

	// changed is closed and replaced when an SMSC's binds change, to wake
	// the dispatchers waiting for one to be up.
	chMu    sync.Mutex
	changed chan struct{}

	// waitingReceipts counts the receipts waiting for the answer to their
	// message to be recorded.
	waitingReceipts atomic.Int64

	// ctx ends the parked receipts and the slots' holders, after the
	// clients closed; dispatching ends the dispatchers first, so that no
	// submit leaves while the clients close.
	ctx          context.Context
	cancel       context.CancelFunc
	wg           sync.WaitGroup
	dispatching  context.Context
	stopDispatch context.CancelFunc
	dispatchWG   sync.WaitGroup
}

// New returns a Dispatcher on o's dependencies, with no SMSC and not
// started.
func New(o Options) *Dispatcher {
	d := &Dispatcher{
		store: o.Store, queue: o.Queue, routes: o.Routes, log: o.Logger, metrics: o.Metrics,
		updateReceipt: o.UpdateWithReceipt, deliveryAdded: o.DeliveryAdded, deliverMO: o.DeliverMO,
		later: o.Later, fenced: o.Fenced, slots: o.Slots, claimExtend: o.ClaimExtend,
		smscs: map[string]*SMSC{}, changed: make(chan struct{}),
	}
	if d.queue == nil {
		d.queue = o.Store.Queue()
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.metrics == nil {
		d.metrics = nopMetrics{}
	}
	if d.updateReceipt == nil {
		d.updateReceipt = o.Store.UpdateWithDeliveryAsync
	}
	if d.deliveryAdded == nil {
		d.deliveryAdded = func(string) {}
	}
	if d.later == nil {
		d.later = func(f func()) { f() }
	}
	if d.fenced == nil {
		d.fenced = func() bool { return false }
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.dispatching, d.stopDispatch = context.WithCancel(d.ctx)
	return d
}

// Start starts the dispatchers, which claim tickets while some SMSC has a
// bind up.
func (d *Dispatcher) Start() {
	for i := 0; i < dispatchers; i++ {
		d.dispatchWG.Add(1)
		go d.dispatchLoop()
	}
}

// Stop stops claiming, then closes the SMSCs' clients, waiting within ctx
// for the submits in flight to be answered. A graceful stop leaves nothing
// in doubt: no submit leaves once it began, the answers to those in flight
// are recorded (a message sent back to the queue is written Queued again),
// and only a submit still unanswered when ctx ends is marked UNKNOWN. The
// receipts waiting for their message's answer are then given back to their
// SMSC. Stop returns once every goroutine of the Dispatcher has returned;
// what it handed to Later may still run.
func (d *Dispatcher) Stop(ctx context.Context) {
	d.stopDispatch()
	d.dispatchWG.Wait()
	// Let in-flight submits answer before the clients close.
	for _, u := range d.SMSCs() {
		if err := u.c.Close(ctx); err != nil {
			// What was still unanswered is marked UNKNOWN by its callback.
			d.log.Warn("upstream did not close cleanly", "upstream", u.name, "err", err)
		}
	}
	d.cancel()
	d.wg.Wait()
}

// ReceiptsWaiting returns how many receipts wait for the answer to their
// message to be recorded.
func (d *Dispatcher) ReceiptsWaiting() int64 { return d.waitingReceipts.Load() }

// bindsChanged returns a channel closed at the next change of an SMSC's
// binds.
func (d *Dispatcher) bindsChanged() <-chan struct{} {
	d.chMu.Lock()
	defer d.chMu.Unlock()
	return d.changed
}

// bindsChange wakes the dispatchers waiting for an SMSC to be up: its
// binds changed.
func (d *Dispatcher) bindsChange() {
	d.chMu.Lock()
	close(d.changed)
	d.changed = make(chan struct{})
	d.chMu.Unlock()
}

// waitForUpstream waits until some SMSC has a bind up; false once the
// dispatchers stop.
func (d *Dispatcher) waitForUpstream() bool {
	for {
		if d.anyUp() {
			return true
		}
		select {
		case <-d.dispatching.Done():
			return false
		case <-d.bindsChanged():
		}
	}
}

// anyUp reports whether some SMSC has a bind up.
func (d *Dispatcher) anyUp() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, u := range d.smscs {
		if u.up.Load() > 0 {
			return true
		}
	}
	return false
}

// nopMetrics counts nothing.
type nopMetrics struct{}

func (nopMetrics) Submitted(string, pdu.Status, time.Duration) {}
func (nopMetrics) Retry(string)                                {}
func (nopMetrics) Final(string, string)                        {}
func (nopMetrics) Receipt(string, string, time.Duration)       {}
func (nopMetrics) Parked()                                     {}
func (nopMetrics) MO(string, string)                           {}
func (nopMetrics) StoreError()                                 {}
func (nopMetrics) BindsUp(string, int)                         {}
