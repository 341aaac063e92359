package main

// The status page's history: every statusInterval the sampler reads the
// gateway's counters (metrics.go), turns their change since its last read
// into rates per second, and keeps the result in a ring of statusHistory
// samples (5 minutes at 1 s), the memory the page's charts are drawn from.
// The ring is bounded whatever the traffic: its samples are fixed in
// number, and each carries at most statusChartedAccounts accounts (the
// first in the configuration's order); the newest sample carries them all.

import (
	"sort"
	"sync"
	"time"
)

const (
	statusInterval        = time.Second
	statusHistory         = 300
	statusChartedAccounts = 32
)

// accountSample is an account's activity over one interval: rates in
// messages per second, and its bound sessions at the interval's end.
type accountSample struct {
	Accepted       float64 `json:"accepted"`        // submissions answered ESME_ROK
	Throttled      float64 `json:"throttled"`       // answered ESME_RTHROTTLED
	Rejected       float64 `json:"rejected"`        // answered any other error
	Delivered      float64 `json:"delivered"`       // deliver_sm (receipts, MO) acknowledged by the account's ESMEs
	DeliveryFailed float64 `json:"delivery_failed"` // deliver_sm refused or unanswered (each sent again later)
	Receipts       float64 `json:"receipts"`        // receipts received from upstreams for the account
	Binds          int     `json:"binds"`           // sessions bound now
	// P50 and P99 are percentiles of the account's submit_sm to
	// submit_sm_resp times (omitted with no submit_sm in the interval);
	// Submits is how many they are of.
	P50     float64 `json:"submit_p50_ms,omitempty"`
	P99     float64 `json:"submit_p99_ms,omitempty"`
	Submits uint64  `json:"submits,omitempty"`
}

// upstreamSample is an upstream's activity over one interval.
type upstreamSample struct {
	Sent     float64 `json:"sent"`               // submits per second answered ESME_ROK
	Failed   float64 `json:"failed"`             // answered otherwise (or not at all) per second
	Retries  float64 `json:"retries"`            // of those, queued again per second
	P50      float64 `json:"p50_ms,omitempty"`   // submit_sm round trip, median (none: no answer in the interval)
	P99      float64 `json:"p99_ms,omitempty"`   // and 99th percentile
	BindsUp  int     `json:"binds_up"`           // binds up at the interval's end
	Binds    int     `json:"binds"`              // binds configured
	InFlight int     `json:"in_flight"`          // submits waiting for their answer
	Answered uint64  `json:"answered,omitempty"` // answers the percentiles are of
}

// statusSample is the gateway's activity over one interval, ending at T.
type statusSample struct {
	T       int64         `json:"t"`       // end of the interval, Unix milliseconds
	Seconds float64       `json:"seconds"` // length of the interval
	Total   accountSample `json:"total"`   // the sum over every account
	// SubmitP50 and SubmitP99 are percentiles of the time from a
	// submit_sm's read to its submit_sm_resp, over every account (the
	// shaping wait not included); 0 with no submit_sm in the interval.
	SubmitP50       float64                   `json:"submit_p50_ms"`
	SubmitP99       float64                   `json:"submit_p99_ms"`
	Submits         uint64                    `json:"submits"`          // submit_sm the percentiles are of
	Upstream        upstreamSample            `json:"upstream"`         // the sum over every upstream (no percentiles)
	Queue           int                       `json:"queue"`            // messages waiting for an upstream
	ReceiptsWaiting int64                     `json:"receipts_waiting"` // receipts waiting for their submit_sm_resp
	Accounts        map[string]accountSample  `json:"accounts"`
	Upstreams       map[string]upstreamSample `json:"upstreams"`
}

// sampleRing holds the newest samples, at most its capacity, and the
// newest one in full.
type sampleRing struct {
	mu     sync.Mutex
	buf    []*statusSample
	next   int // where the next sample goes
	n      int // samples held
	latest *statusSample
}

func newSampleRing(capacity int) *sampleRing {
	return &sampleRing{buf: make([]*statusSample, capacity)}
}

// add puts s in the ring (the oldest goes when it is full) and keeps it
// as the latest; in the ring its accounts are cut to the charted ones.
func (r *sampleRing) add(s *statusSample, charted []string) {
	h := *s
	if len(s.Accounts) > len(charted) {
		h.Accounts = make(map[string]accountSample, len(charted))
		for _, id := range charted {
			if a, ok := s.Accounts[id]; ok {
				h.Accounts[id] = a
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = &h
	r.next = (r.next + 1) % len(r.buf)
	if r.n < len(r.buf) {
		r.n++
	}
	r.latest = s
}

// since returns the samples ending after t (Unix milliseconds), oldest
// first, and the latest sample (nil before the first).
func (r *sampleRing) since(t int64) ([]*statusSample, *statusSample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*statusSample, 0, r.n)
	for i := 0; i < r.n; i++ {
		s := r.buf[(r.next-r.n+i+len(r.buf))%len(r.buf)]
		if s.T > t {
			out = append(out, s)
		}
	}
	return out, r.latest
}

// statusSampler turns the gateway's counters into samples.
type statusSampler struct {
	gw         *Gateway
	ring       *sampleRing
	prevT      time.Time
	prev       counterTotals
	prevSubmit latencyCounts
	prevAcct   map[string]*latencyCounts
	prevUp     map[string]*latencyCounts
	cur        latencyCounts // scratch
}

func newStatusSampler(gw *Gateway, capacity int) *statusSampler {
	s := &statusSampler{gw: gw, ring: newSampleRing(capacity), prevAcct: map[string]*latencyCounts{}, prevUp: map[string]*latencyCounts{}}
	s.prevT = time.Now()
	s.prev = gw.metrics.totals()
	gw.metrics.submitLatency.snapshot(&s.prevSubmit)
	for _, h := range []struct {
		hists *sync.Map
		prev  map[string]*latencyCounts
	}{{&gw.metrics.accountLat, s.prevAcct}, {&gw.metrics.upstreamLat, s.prevUp}} {
		h.hists.Range(func(k, v any) bool {
			c := new(latencyCounts)
			v.(*latencyHist).snapshot(c)
			h.prev[k.(string)] = c
			return true
		})
	}
	return s
}

// percentiles returns the p50 and p99, in milliseconds, of h's observations
// since the last call for the same prev (a histogram first seen counts from
// zero), and how many they are of; prev[name] becomes h's counts now.
func (s *statusSampler) percentiles(h *latencyHist, prev map[string]*latencyCounts, name string) (p50, p99 float64, n uint64) {
	pc := prev[name]
	if pc == nil {
		pc = new(latencyCounts)
		prev[name] = pc
	}
	h.snapshot(&s.cur)
	ps, n := latencyPercentiles(&s.cur, pc, 0.5, 0.99)
	*pc = s.cur
	return ps[0], ps[1], n
}

// run samples every interval until the gateway stops.
func (s *statusSampler) run(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.gw.ctx.Done():
			return
		case now := <-t.C:
			s.sampleAt(now)
		}
	}
}

// sampleAt takes the sample of the interval ending now and adds it to the
// ring.
func (s *statusSampler) sampleAt(now time.Time) *statusSample {
	gw := s.gw
	dt := now.Sub(s.prevT).Seconds()
	if dt <= 0 {
		dt = 1e-3
	}
	rate := func(cur, prev uint64) float64 {
		if cur < prev {
			return 0
		}
		return float64(cur-prev) / dt
	}
	totals := gw.metrics.totals()
	smp := &statusSample{T: now.UnixMilli(), Seconds: dt, Accounts: map[string]accountSample{}, Upstreams: map[string]upstreamSample{},
		ReceiptsWaiting: gw.waitingReceipts.Load()}
	if n, err := gw.store.Queue().Len(); err == nil {
		smp.Queue = n
	}

	gw.metrics.submitLatency.snapshot(&s.cur)
	ps, n := latencyPercentiles(&s.cur, &s.prevSubmit, 0.5, 0.99)
	smp.SubmitP50, smp.SubmitP99, smp.Submits = ps[0], ps[1], n
	s.prevSubmit = s.cur

	cfg := gw.cfg.Load()
	charted := make([]string, 0, statusChartedAccounts)
	for _, ac := range cfg.Accounts {
		cur, prev := totals.account(ac.SystemID), s.prev.account(ac.SystemID)
		a := accountSample{
			Accepted: rate(cur.accepted, prev.accepted), Throttled: rate(cur.throttled, prev.throttled),
			Rejected: rate(cur.rejected, prev.rejected), Delivered: rate(cur.delivered, prev.delivered),
			DeliveryFailed: rate(cur.deliveryFailed, prev.deliveryFailed), Receipts: rate(cur.receipts, prev.receipts),
			Binds: len(gw.srv.Conns(ac.SystemID)),
		}
		a.P50, a.P99, a.Submits = s.percentiles(gw.metrics.accountHist(ac.SystemID), s.prevAcct, ac.SystemID)
		smp.Accounts[ac.SystemID] = a
		if len(charted) < statusChartedAccounts {
			charted = append(charted, ac.SystemID)
		}
		t := &smp.Total
		t.Accepted += a.Accepted
		t.Throttled += a.Throttled
		t.Rejected += a.Rejected
		t.Delivered += a.Delivered
		t.DeliveryFailed += a.DeliveryFailed
		t.Receipts += a.Receipts
		t.Binds += a.Binds
	}

	gw.upMu.RLock()
	ups := make([]*upstream, 0, len(gw.upstreams))
	for _, u := range gw.upstreams {
		ups = append(ups, u)
	}
	gw.upMu.RUnlock()
	sort.Slice(ups, func(i, j int) bool { return ups[i].name < ups[j].name })
	for _, u := range ups {
		cur, prev := totals.upstream(u.name), s.prev.upstream(u.name)
		us := upstreamSample{
			Sent: rate(cur.sent, prev.sent), Failed: rate(cur.failed, prev.failed), Retries: rate(cur.retries, prev.retries),
			BindsUp: int(u.up.Load()),
		}
		if u.c != nil {
			for _, b := range u.c.Stats() {
				us.Binds++
				us.InFlight += b.InFlight
			}
		}
		us.P50, us.P99, us.Answered = s.percentiles(gw.metrics.upstreamHist(u.name), s.prevUp, u.name)
		smp.Upstreams[u.name] = us
		t := &smp.Upstream
		t.Sent += us.Sent
		t.Failed += us.Failed
		t.Retries += us.Retries
		t.BindsUp += us.BindsUp
		t.Binds += us.Binds
		t.InFlight += us.InFlight
		t.Answered += us.Answered
	}

	s.prev, s.prevT = totals, now
	s.ring.add(smp, charted)
	return smp
}
