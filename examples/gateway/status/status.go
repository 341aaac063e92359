// Package status is the gateway's live status page: it turns what a
// Source tells it into samples, their history, the page and its JSON.
//
// The gateway implements Source (its counters since start per account and
// per upstream, the accounts as configured with their bound sessions, the
// upstreams with their binds, the queue's length, the receipts waiting,
// its readiness and start) and feeds the Latency histograms that Source
// hands out on its submit path and on each upstream's answer. A Page
// reads the Source every Config.Interval (Run), turns the change of the
// counters since its last read into rates per second and the change of
// the histograms into percentiles, and keeps the resulting Samples in a
// ring of Config.History (5 minutes at 1 s). The ring is bounded whatever
// the traffic: its samples are fixed in number, and each carries at most
// Config.Charted accounts (the first in the configuration's order); the
// newest sample carries them all.
//
// The Page serves the status page at / (status.html: today's figures
// rendered in, and a script that polls /status.json to keep them and the
// charts live) and its data at /status.json:
//
//	{"now": "...", "uptime_s": 81, "interval_s": 1, "history_len": 300,
//	 "ready": true, "not_ready": [],
//	 "accounts":  [{"system_id": "demo", "rate": "100", "max_binds": 0,
//	                "sessions": [{"remote": "127.0.0.1:51234", "state": "BOUND_TRX"}],
//	                "receivers": 1, "deliveries_pending": 0, "accepted": 1200, "throttled": 0, "rejected": 3,
//	                "delivered": 1180, "delivery_failed": 0}],
//	 "upstreams": [{"name": "sim", "binds_up": 2, "binds_all": 2, "binds": ["..."], "in_flight": 4}],
//	 "server":    [{"name": "connections accepted", "value": 3}, ...],
//	 "latest":  {sample},
//	 "history": [{sample}, ...]}
//
// Totals in accounts are since start; deliveries_pending is now (-1:
// unknown). A sample (Sample) is one interval's
// rates in messages per second, per account and in total (accepted,
// throttled, rejected, delivered, delivery_failed, receipts, binds), the
// submit_sm → submit_sm_resp latency over every account (submit_p50_ms,
// submit_p99_ms) and per account, per upstream (sent, failed, retries,
// p50_ms, p99_ms of the upstream's submit_sm_resp, binds_up, in_flight),
// the queue depth and the receipts waiting for their submit_sm_resp.
// history is oldest first; ?since=T (Unix milliseconds, a sample's t)
// answers only the samples after T, which is how the page polls.
package status

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultInterval = time.Second // Config.Interval
	DefaultHistory  = 300         // Config.History: 5 minutes at 1 s
	DefaultCharted  = 32          // Config.Charted
)

// Source is what the gateway tells the status page. Its methods are
// called by the sampler every interval and by each request for the page
// or its data, so they must be safe for concurrent use and cheap.
type Source interface {
	// Start is when the gateway started (the page's uptime).
	Start() time.Time
	// NotReady says why the gateway is not ready (its /readyz); empty
	// when it is.
	NotReady() []string
	// Accounts returns the accounts as configured, in the
	// configuration's order, with their sessions bound now.
	Accounts() []Account
	// DeliveriesPending returns how many deliveries (receipts and MO
	// messages) wait for each account's ESMEs, by system_id: added and
	// not acknowledged, the backlog of an ESME not bound or slow. -1, or
	// an account missing: unknown (the deliveries could not be read),
	// shown as such rather than as an empty backlog. Only the page and
	// its data ask for it, not the sampler: it may read the store.
	DeliveriesPending() map[string]int
	// Upstreams returns the upstreams with their binds, in any order
	// (the page sorts them by name).
	Upstreams() []Upstream
	// Totals returns the counters since start, per account and per
	// upstream.
	Totals() Totals
	// Queue returns how many messages wait for an upstream. An error
	// shows as 0.
	Queue() (int, error)
	// ReceiptsWaiting returns how many receipts from upstreams wait for
	// their submit_sm_resp to be recorded.
	ReceiptsWaiting() int64
	// Server returns the SMPP server's counters, labelled, in the order
	// the page lists them.
	Server() []Count
	// SubmitLatency returns the histogram of the time from a submit_sm's
	// read to its submit_sm_resp, over every account; nil: none.
	SubmitLatency() *Latency
}

// Account is an account as configured, and its sessions now.
type Account struct {
	SystemID string  // the account's name, as its ESMEs bind
	Rate     float64 // the most submissions per second accepted; zero: unlimited
	MaxBinds int     // the most sessions bound at once; zero: no limit
	// Sessions are the account's sessions bound now; Receivers is how
	// many of them take deliveries (receivers and transceivers).
	Sessions  []Session
	Receivers int
	// Latency is the histogram of the account's submit_sm to
	// submit_sm_resp times; nil: none (no percentiles).
	Latency *Latency
}

// Session is a session of an account.
type Session struct {
	Remote string // the ESME's address, e.g. "127.0.0.1:51234"
	State  string // e.g. "BOUND_TRX"
}

// Upstream is an upstream SMSC and its binds.
type Upstream struct {
	Name    string // as configured
	BindsUp int    // binds up now
	Binds   []Bind // every bind configured, up or not
	// Latency is the histogram of the upstream's submit_sm round trips;
	// nil: none (no percentiles).
	Latency *Latency
}

// Bind is one of an upstream's binds.
type Bind struct {
	Endpoint string // the SMSC's address
	Bind     string // the bind's command, e.g. "bind_transceiver"
	Up       bool   // bound now; false: down, or connecting
	InFlight int    // submits waiting for their answer on it
}

// Totals are the counters since start. A name missing from a map has
// counted nothing.
type Totals struct {
	Accounts  map[string]AccountTotal  // by system_id
	Upstreams map[string]UpstreamTotal // by upstream name
}

// AccountTotal is an account's counters since start.
type AccountTotal struct {
	Accepted       uint64 // submissions answered ESME_ROK
	Throttled      uint64 // answered ESME_RTHROTTLED
	Rejected       uint64 // answered any other status
	Delivered      uint64 // deliver_sm (receipts, MO) acknowledged by its ESMEs
	DeliveryFailed uint64 // deliver_sm refused or unanswered
	Receipts       uint64 // receipts received from upstreams for it
}

// UpstreamTotal is an upstream's counters since start.
type UpstreamTotal struct {
	Sent    uint64 // submits answered ESME_ROK
	Failed  uint64 // answered otherwise, or not at all
	Retries uint64 // of those, queued again
}

// Count is one of the SMPP server's counters, with its label.
type Count struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

// Config configures a Page. The zero value is the defaults.
type Config struct {
	// Interval is the time between samples; zero means DefaultInterval.
	Interval time.Duration
	// History is how many samples are kept; zero means DefaultHistory.
	History int
	// Charted is how many accounts each kept sample carries (the first
	// in the configuration's order); zero means DefaultCharted.
	Charted int
	// Logger gets the responses that could not be sent and the queue
	// lengths that could not be read, at debug level; nil means none.
	Logger *slog.Logger
}

// Page is the status page: the sampler, its history, and the handler of
// the page and its data. Its methods are safe for concurrent use.
type Page struct {
	src  Source
	cfg  Config
	ring *sampleRing

	mu         sync.Mutex // the sampler's state, below
	prevT      time.Time
	prev       Totals
	prevSubmit latencyCounts
	prevAcct   map[string]*latencyCounts
	prevUp     map[string]*latencyCounts
	cur        latencyCounts // scratch
}

// New returns a Page reading src. The first sample's rates are of the
// counters' change from now.
func New(src Source, cfg Config) *Page {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.History <= 0 {
		cfg.History = DefaultHistory
	}
	if cfg.Charted <= 0 {
		cfg.Charted = DefaultCharted
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Page{src: src, cfg: cfg, ring: newSampleRing(cfg.History),
		prevAcct: map[string]*latencyCounts{}, prevUp: map[string]*latencyCounts{}}
	p.prevT = time.Now()
	p.prev = src.Totals()
	if h := src.SubmitLatency(); h != nil {
		h.snapshot(&p.prevSubmit)
	}
	for _, a := range src.Accounts() {
		p.baseline(a.Latency, p.prevAcct, a.SystemID)
	}
	for _, u := range src.Upstreams() {
		p.baseline(u.Latency, p.prevUp, u.Name)
	}
	return p
}

// baseline makes h's counts now the start of its next interval.
func (p *Page) baseline(h *Latency, prev map[string]*latencyCounts, name string) {
	if h == nil {
		return
	}
	c := new(latencyCounts)
	h.snapshot(c)
	prev[name] = c
}

// Run samples every interval until ctx is done.
func (p *Page) Run(ctx context.Context) {
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			p.Sample(now)
		}
	}
}
