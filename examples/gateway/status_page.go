package main

// The status page (status.html, served at /) and its data (/status.json).
//
// GET /status.json answers the gateway's state now and the sampler's
// history (status_sampler.go) as JSON:
//
//	{"now": "...", "uptime_s": 81, "interval_s": 1, "history_len": 300,
//	 "ready": true, "not_ready": [],
//	 "accounts":  [{"system_id": "demo", "rate": "100", "max_binds": 0,
//	                "sessions": [{"remote": "127.0.0.1:51234", "state": "BOUND_TRX"}],
//	                "receivers": 1, "accepted": 1200, "throttled": 0, "rejected": 3,
//	                "delivered": 1180, "delivery_failed": 0}],
//	 "upstreams": [{"name": "sim", "binds_up": 2, "binds_all": 2, "binds": ["..."], "in_flight": 4}],
//	 "server":    [{"name": "connections accepted", "value": 3}, ...],
//	 "latest":  {sample},
//	 "history": [{sample}, ...]}
//
// Totals in accounts are since start. A sample (statusSample) is one
// interval's rates in messages per second, per account and in total
// (accepted, throttled, rejected, delivered, delivery_failed, receipts,
// binds), the submit_sm → submit_sm_resp latency over every account
// (submit_p50_ms, submit_p99_ms), per upstream (sent, failed, retries,
// p50_ms, p99_ms of the upstream's submit_sm_resp, binds_up, in_flight),
// the queue depth and the receipts waiting for their submit_sm_resp.
// history is oldest first; ?since=T (Unix milliseconds, a sample's t)
// answers only the samples after T, which is how the page polls.

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"time"
)

//go:embed status.html
var statusHTML string

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{"rate": formatRate, "ms": formatMs}).Parse(statusHTML))

// statusData is what the status page and /status.json show.
type statusData struct {
	Now        time.Time        `json:"now"`
	Uptime     string           `json:"-"`
	UptimeSecs int64            `json:"uptime_s"`
	Interval   float64          `json:"interval_s"`
	HistoryLen int              `json:"history_len"`
	IsReady    bool             `json:"ready"`
	Ready      []string         `json:"not_ready"` // why the gateway is not ready (/readyz); empty when it is
	Accounts   []accountStatus  `json:"accounts"`
	Upstreams  []upstreamStatus `json:"upstreams"`
	Server     []serverCount    `json:"server"`
	Latest     *statusSample    `json:"latest"`            // the newest sample; nil before the first
	History    []*statusSample  `json:"history,omitempty"` // oldest first
	Queue      int              `json:"-"`
	Parked     int              `json:"-"`
	Totals     *accountSample   `json:"-"`
	Upstream   *upstreamSample  `json:"-"`
}

// serverCount is one of the SMPP server's counters, with its label.
type serverCount struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

type accountStatus struct {
	SystemID  string          `json:"system_id"`
	Rate      string          `json:"rate"` // "unlimited", or msg/s
	MaxBinds  int             `json:"max_binds"`
	Sessions  []sessionStatus `json:"sessions"`
	Receivers int             `json:"receivers"`
	// Totals since start (smpp_gateway_submits_total and the deliveries).
	Accepted       uint64         `json:"accepted"`
	Throttled      uint64         `json:"throttled"`
	Rejected       uint64         `json:"rejected"`
	Delivered      uint64         `json:"delivered"`
	DeliveryFailed uint64         `json:"delivery_failed"`
	Rates          *accountSample `json:"-"` // the latest sample's (the page's first view)
}

type sessionStatus struct {
	Remote string `json:"remote"`
	State  string `json:"state"`
}

type upstreamStatus struct {
	Name     string          `json:"name"`
	BindsUp  int32           `json:"binds_up"`
	BindsAll int             `json:"binds_all"`
	Binds    []string        `json:"binds"`
	InFlight int             `json:"in_flight"`
	Rates    *upstreamSample `json:"-"`
}

// serveStatusPage serves the status page: today's figures rendered in,
// and a script that polls /status.json to keep them and the charts live.
func (gw *Gateway) serveStatusPage(s *statusSampler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := statusPage.Execute(w, gw.status(s, -1)); err != nil {
			gw.log.Debug("status page not sent", "err", err)
		}
	}
}

// serveStatusJSON serves /status.json.
func (gw *Gateway) serveStatusJSON(s *statusSampler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var since int64
		if v := r.URL.Query().Get("since"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				http.Error(w, "since: want a sample's t, in Unix milliseconds (or nothing, for the whole history)", http.StatusBadRequest)
				return
			}
			since = n
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if err := json.NewEncoder(w).Encode(gw.status(s, since)); err != nil {
			gw.log.Debug("status.json not sent", "err", err)
		}
	}
}

// status gathers what the page shows, with the samples after since
// (Unix milliseconds; negative: none).
func (gw *Gateway) status(s *statusSampler, since int64) statusData {
	now := time.Now()
	d := statusData{
		Now:        now.UTC(),
		Uptime:     now.Sub(gw.start).Round(time.Second).String(),
		UptimeSecs: int64(now.Sub(gw.start).Seconds()),
		Interval:   statusInterval.Seconds(),
		HistoryLen: len(s.ring.buf),
		Parked:     int(gw.waitingReceipts.Load()),
		Server:     serverCounts(gw.srv.Stats()),
		Ready:      gw.notReady(),
	}
	d.IsReady = len(d.Ready) == 0
	if d.Ready == nil {
		d.Ready = []string{}
	}
	hist, latest := s.ring.since(since)
	d.Latest = latest
	if since >= 0 {
		d.History = hist
	}
	if latest != nil {
		d.Totals, d.Upstream = &latest.Total, &latest.Upstream
	}
	totals := gw.metrics.totals()
	if n, err := gw.store.Queue().Len(); err == nil {
		d.Queue = n
	}
	for _, ac := range gw.cfg.Load().Accounts {
		as := accountStatus{SystemID: ac.SystemID, Rate: "unlimited", MaxBinds: ac.MaxBinds, Sessions: []sessionStatus{}}
		if ac.Rate > 0 {
			as.Rate = strconv.FormatFloat(ac.Rate, 'f', -1, 64)
		}
		t := totals.account(ac.SystemID)
		as.Accepted, as.Throttled, as.Rejected = t.accepted, t.throttled, t.rejected
		as.Delivered, as.DeliveryFailed = t.delivered, t.deliveryFailed
		for _, c := range gw.srv.Conns(ac.SystemID) {
			as.Sessions = append(as.Sessions, sessionStatus{Remote: c.RemoteAddr().String(), State: c.State().String()})
		}
		as.Receivers = len(gw.srv.Receivers(ac.SystemID))
		if latest != nil {
			if r, ok := latest.Accounts[ac.SystemID]; ok {
				as.Rates = &r
			}
		}
		d.Accounts = append(d.Accounts, as)
	}
	gw.upMu.RLock()
	for _, u := range gw.upstreams {
		us := upstreamStatus{Name: u.name, BindsUp: u.up.Load(), Binds: []string{}}
		stats := u.c.Stats()
		us.BindsAll = len(stats)
		for _, b := range stats {
			state := "down"
			if b.Up {
				state = "up"
			}
			us.Binds = append(us.Binds, b.Endpoint+" "+b.Bind.String()+" "+state)
			us.InFlight += b.InFlight
		}
		if latest != nil {
			if r, ok := latest.Upstreams[u.name]; ok {
				us.Rates = &r
			}
		}
		d.Upstreams = append(d.Upstreams, us)
	}
	gw.upMu.RUnlock()
	sort.Slice(d.Upstreams, func(i, j int) bool { return d.Upstreams[i].Name < d.Upstreams[j].Name })
	return d
}

// formatRate prints a rate for the page: "0", "4.5", "230", "12,400".
func formatRate(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v < 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// formatMs prints a latency in milliseconds, "–" for none.
func formatMs(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}
