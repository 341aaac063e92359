package status

// The status page (status.html, served at /) and its data (/status.json);
// the package documentation describes the JSON.

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
	Server     []Count          `json:"server"`
	Latest     *Sample          `json:"latest"`            // the newest sample; nil before the first
	History    []*Sample        `json:"history,omitempty"` // oldest first
	Queue      int              `json:"-"`
	Parked     int              `json:"-"`
	Totals     *AccountSample   `json:"-"`
	Upstream   *UpstreamSample  `json:"-"`
}

type accountStatus struct {
	SystemID  string          `json:"system_id"`
	Rate      string          `json:"rate"` // "unlimited", or msg/s
	MaxBinds  int             `json:"max_binds"`
	Sessions  []sessionStatus `json:"sessions"`
	Receivers int             `json:"receivers"`
	// DeliveriesPending is the account's Source.DeliveriesPending: now,
	// -1 unknown.
	DeliveriesPending int `json:"deliveries_pending"`
	// Totals since start (smpp_gateway_submits_total and the deliveries).
	Accepted       uint64         `json:"accepted"`
	Throttled      uint64         `json:"throttled"`
	Rejected       uint64         `json:"rejected"`
	Delivered      uint64         `json:"delivered"`
	DeliveryFailed uint64         `json:"delivery_failed"`
	Rates          *AccountSample `json:"-"` // the latest sample's (the page's first view)
}

type sessionStatus struct {
	Remote string `json:"remote"`
	State  string `json:"state"`
}

type upstreamStatus struct {
	Name     string          `json:"name"`
	BindsUp  int             `json:"binds_up"`
	BindsAll int             `json:"binds_all"`
	Binds    []string        `json:"binds"`
	InFlight int             `json:"in_flight"`
	Rates    *UpstreamSample `json:"-"`
}

// ServeHTTP serves the status page at / and its data at /status.json
// (any other path: 404). It is meant for the root of a listener: the
// page's script polls /status.json.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		p.servePage(w)
	case "/status.json":
		p.serveJSON(w, r)
	default:
		http.NotFound(w, r)
	}
}

// servePage serves the status page: today's figures rendered in, and a
// script that polls /status.json to keep them and the charts live.
func (p *Page) servePage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := statusPage.Execute(w, p.status(-1)); err != nil {
		p.cfg.Logger.Debug("status page not sent", "err", err)
	}
}

// serveJSON serves /status.json.
func (p *Page) serveJSON(w http.ResponseWriter, r *http.Request) {
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
	if err := json.NewEncoder(w).Encode(p.status(since)); err != nil {
		p.cfg.Logger.Debug("status.json not sent", "err", err)
	}
}

// status gathers what the page shows, with the samples after since
// (Unix milliseconds; negative: none).
func (p *Page) status(since int64) statusData {
	src := p.src
	now := time.Now()
	start := src.Start()
	d := statusData{
		Now:        now.UTC(),
		Uptime:     now.Sub(start).Round(time.Second).String(),
		UptimeSecs: int64(now.Sub(start).Seconds()),
		Interval:   p.cfg.Interval.Seconds(),
		HistoryLen: p.cfg.History,
		Parked:     int(src.ReceiptsWaiting()),
		Server:     src.Server(),
		Ready:      src.NotReady(),
	}
	d.IsReady = len(d.Ready) == 0
	if d.Ready == nil {
		d.Ready = []string{}
	}
	hist, latest := p.ring.since(since)
	d.Latest = latest
	if since >= 0 {
		d.History = hist
	}
	if latest != nil {
		d.Totals, d.Upstream = &latest.Total, &latest.Upstream
	}
	totals := src.Totals()
	if n, err := src.Queue(); err != nil {
		p.cfg.Logger.Debug("status: queue length not read", "err", err)
	} else {
		d.Queue = n
	}
	pending := src.DeliveriesPending()
	for _, ac := range src.Accounts() {
		as := accountStatus{SystemID: ac.SystemID, Rate: "unlimited", MaxBinds: ac.MaxBinds, Sessions: []sessionStatus{}}
		if ac.Rate > 0 {
			as.Rate = strconv.FormatFloat(ac.Rate, 'f', -1, 64)
		}
		t := totals.Accounts[ac.SystemID]
		as.Accepted, as.Throttled, as.Rejected = t.Accepted, t.Throttled, t.Rejected
		as.Delivered, as.DeliveryFailed = t.Delivered, t.DeliveryFailed
		for _, s := range ac.Sessions {
			as.Sessions = append(as.Sessions, sessionStatus{Remote: s.Remote, State: s.State})
		}
		as.Receivers, as.DeliveriesPending = ac.Receivers, pendingOf(pending, ac.SystemID)
		if latest != nil {
			if r, ok := latest.Accounts[ac.SystemID]; ok {
				as.Rates = &r
			}
		}
		d.Accounts = append(d.Accounts, as)
	}
	for _, u := range src.Upstreams() {
		us := upstreamStatus{Name: u.Name, BindsUp: u.BindsUp, BindsAll: len(u.Binds), Binds: []string{}}
		for _, b := range u.Binds {
			state := "down"
			if b.Up {
				state = "up"
			}
			us.Binds = append(us.Binds, b.Endpoint+" "+b.Bind+" "+state)
			us.InFlight += b.InFlight
		}
		if latest != nil {
			if r, ok := latest.Upstreams[u.Name]; ok {
				us.Rates = &r
			}
		}
		d.Upstreams = append(d.Upstreams, us)
	}
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

// pendingOf is the account's count in counts (Source.DeliveriesPending),
// -1 for one not there (an account added by a reload since the counts
// were read).
func pendingOf(counts map[string]int, systemID string) int {
	if n, ok := counts[systemID]; ok {
		return n
	}
	return -1
}
