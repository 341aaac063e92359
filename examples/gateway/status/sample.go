package status

// The history: every interval the sampler reads the Source's counters,
// turns their change since its last read into rates per second, and keeps
// the result in a ring of Config.History samples, the memory the page's
// charts are drawn from.

import (
	"sort"
	"sync"
	"time"
)

// AccountSample is an account's activity over one interval: rates in
// messages per second, and its bound sessions at the interval's end.
type AccountSample struct {
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

// UpstreamSample is an upstream's activity over one interval.
type UpstreamSample struct {
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

// Sample is the gateway's activity over one interval, ending at T.
type Sample struct {
	T       int64         `json:"t"`       // end of the interval, Unix milliseconds
	Seconds float64       `json:"seconds"` // length of the interval
	Total   AccountSample `json:"total"`   // the sum over every account
	// SubmitP50 and SubmitP99 are percentiles of the time from a
	// submit_sm's read to its submit_sm_resp, over every account (the
	// shaping wait not included); 0 with no submit_sm in the interval.
	SubmitP50       float64                   `json:"submit_p50_ms"`
	SubmitP99       float64                   `json:"submit_p99_ms"`
	Submits         uint64                    `json:"submits"`          // submit_sm the percentiles are of
	Upstream        UpstreamSample            `json:"upstream"`         // the sum over every upstream (no percentiles)
	Queue           int                       `json:"queue"`            // messages waiting for an upstream
	ReceiptsWaiting int64                     `json:"receipts_waiting"` // receipts waiting for their submit_sm_resp
	Accounts        map[string]AccountSample  `json:"accounts"`
	Upstreams       map[string]UpstreamSample `json:"upstreams"`
}

// sampleRing holds the newest samples, at most its capacity, and the
// newest one in full.
type sampleRing struct {
	mu     sync.Mutex
	buf    []*Sample
	next   int // where the next sample goes
	n      int // samples held
	latest *Sample
}

func newSampleRing(capacity int) *sampleRing {
	return &sampleRing{buf: make([]*Sample, capacity)}
}

// add puts s in the ring (the oldest goes when it is full) and keeps it
// as the latest; in the ring its accounts are cut to the charted ones.
func (r *sampleRing) add(s *Sample, charted []string) {
	h := *s
	if len(s.Accounts) > len(charted) {
		h.Accounts = make(map[string]AccountSample, len(charted))
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
func (r *sampleRing) since(t int64) ([]*Sample, *Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Sample, 0, r.n)
	for i := 0; i < r.n; i++ {
		s := r.buf[(r.next-r.n+i+len(r.buf))%len(r.buf)]
		if s.T > t {
			out = append(out, s)
		}
	}
	return out, r.latest
}

// History returns the samples kept that end after t (Unix milliseconds;
// 0 or less: all of them), oldest first, and the latest sample in full
// (nil before the first). The samples kept carry at most Config.Charted
// accounts; they must not be changed.
func (p *Page) History(t int64) (kept []*Sample, latest *Sample) {
	return p.ring.since(t)
}

// percentiles returns the p50 and p99, in milliseconds, of h's observations
// since the last call for the same prev (a histogram first seen counts from
// zero), and how many they are of; prev[name] becomes h's counts now. A nil
// h has none.
func (p *Page) percentiles(h *Latency, prev map[string]*latencyCounts, name string) (p50, p99 float64, n uint64) {
	if h == nil {
		return 0, 0, 0
	}
	pc := prev[name]
	if pc == nil {
		pc = new(latencyCounts)
		prev[name] = pc
	}
	h.snapshot(&p.cur)
	ps, n := latencyPercentiles(&p.cur, pc, 0.5, 0.99)
	*pc = p.cur
	return ps[0], ps[1], n
}

// Sample takes the sample of the interval from the previous one (or New)
// to now, adds it to the history and returns it. Run calls it every
// interval; a test may call it with a clock of its own. The sample
// returned must not be changed.
func (p *Page) Sample(now time.Time) *Sample {
	p.mu.Lock()
	defer p.mu.Unlock()
	src := p.src
	dt := now.Sub(p.prevT).Seconds()
	if dt <= 0 {
		dt = 1e-3
	}
	rate := func(cur, prev uint64) float64 {
		if cur < prev {
			return 0
		}
		return float64(cur-prev) / dt
	}
	totals := src.Totals()
	smp := &Sample{T: now.UnixMilli(), Seconds: dt, Accounts: map[string]AccountSample{}, Upstreams: map[string]UpstreamSample{},
		ReceiptsWaiting: src.ReceiptsWaiting()}
	if n, err := src.Queue(); err != nil {
		p.cfg.Logger.Debug("status: queue length not read", "err", err)
	} else {
		smp.Queue = n
	}

	if h := src.SubmitLatency(); h != nil {
		h.snapshot(&p.cur)
		ps, n := latencyPercentiles(&p.cur, &p.prevSubmit, 0.5, 0.99)
		smp.SubmitP50, smp.SubmitP99, smp.Submits = ps[0], ps[1], n
		p.prevSubmit = p.cur
	}

	charted := make([]string, 0, p.cfg.Charted)
	for _, ac := range src.Accounts() {
		cur, prev := totals.Accounts[ac.SystemID], p.prev.Accounts[ac.SystemID]
		a := AccountSample{
			Accepted: rate(cur.Accepted, prev.Accepted), Throttled: rate(cur.Throttled, prev.Throttled),
			Rejected: rate(cur.Rejected, prev.Rejected), Delivered: rate(cur.Delivered, prev.Delivered),
			DeliveryFailed: rate(cur.DeliveryFailed, prev.DeliveryFailed), Receipts: rate(cur.Receipts, prev.Receipts),
			Binds: len(ac.Sessions),
		}
		a.P50, a.P99, a.Submits = p.percentiles(ac.Latency, p.prevAcct, ac.SystemID)
		smp.Accounts[ac.SystemID] = a
		if len(charted) < p.cfg.Charted {
			charted = append(charted, ac.SystemID)
		}
		smp.Total.add(a)
	}

	ups := src.Upstreams()
	sort.Slice(ups, func(i, j int) bool { return ups[i].Name < ups[j].Name })
	for _, u := range ups {
		cur, prev := totals.Upstreams[u.Name], p.prev.Upstreams[u.Name]
		us := UpstreamSample{
			Sent: rate(cur.Sent, prev.Sent), Failed: rate(cur.Failed, prev.Failed), Retries: rate(cur.Retries, prev.Retries),
			BindsUp: u.BindsUp, Binds: len(u.Binds),
		}
		for _, b := range u.Binds {
			us.InFlight += b.InFlight
		}
		us.P50, us.P99, us.Answered = p.percentiles(u.Latency, p.prevUp, u.Name)
		smp.Upstreams[u.Name] = us
		smp.Upstream.add(us)
	}

	p.prev, p.prevT = totals, now
	p.ring.add(smp, charted)
	return smp
}

// add adds an account's rates and binds to a total (percentiles are per
// account only: they do not add).
func (t *AccountSample) add(a AccountSample) {
	t.Accepted += a.Accepted
	t.Throttled += a.Throttled
	t.Rejected += a.Rejected
	t.Delivered += a.Delivered
	t.DeliveryFailed += a.DeliveryFailed
	t.Receipts += a.Receipts
	t.Binds += a.Binds
}

// add adds an upstream's rates, binds and answers to a total (percentiles
// are per upstream only).
func (t *UpstreamSample) add(u UpstreamSample) {
	t.Sent += u.Sent
	t.Failed += u.Failed
	t.Retries += u.Retries
	t.BindsUp += u.BindsUp
	t.Binds += u.Binds
	t.InFlight += u.InFlight
	t.Answered += u.Answered
}
