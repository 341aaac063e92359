package main

import (
	"html/template"
	"net/http"
	"net/http/pprof"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// statusData is what the status page shows.
type statusData struct {
	Now       string
	Uptime    string
	Accounts  []accountStatus
	Upstreams []upstreamStatus
	Queue     int
	Parked    int
	Server    []serverCount
	Ready     []string // why the gateway is not ready (/readyz); empty when it is
}

// serverCount is one of the SMPP server's counters, with its label.
type serverCount struct {
	Name  string
	Value int64
}

type accountStatus struct {
	SystemID  string
	Rate      string // "unlimited", or msg/s
	MaxBinds  int
	Sessions  []sessionStatus
	Receivers int
	// Totals since start (smpp_gateway_submits_total and the deliveries).
	Accepted, Throttled, Rejected uint64
	Delivered, DeliveryFailed     uint64
}

type sessionStatus struct {
	Remote string
	State  string
}

type upstreamStatus struct {
	Name     string
	BindsUp  int32
	BindsAll int
	Binds    []string
	InFlight int
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SMPP gateway status</title>
<meta http-equiv="refresh" content="5">
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:.3em .7em;text-align:left}
th{background:#f3f3f3}.ok{color:#080}.down{color:#b00}
</style></head><body>
<h1>SMPP gateway</h1>
<p>{{.Now}} &middot; up {{.Uptime}} &middot; queue {{.Queue}} &middot; receipts waiting for their submit_sm_resp {{.Parked}}</p>
<p id="ready">{{if .Ready}}<span class="down">not ready</span>{{range .Ready}}<br>{{.}}{{end}}{{else}}<span class="ok">ready</span>{{end}}</p>
<h2>Accounts</h2>
<table id="accounts"><tr><th>system_id</th><th>rate (msg/s)</th><th>max binds</th><th>bound sessions</th><th>receivers</th><th>accepted</th><th>throttled</th><th>rejected</th><th>deliveries acked</th><th>deliveries refused</th></tr>
{{range .Accounts}}<tr class="account"><td class="system-id">{{.SystemID}}</td><td class="rate">{{.Rate}}</td><td>{{if .MaxBinds}}{{.MaxBinds}}{{else}}&infin;{{end}}</td>
<td class="sessions">{{range .Sessions}}<div class="session">{{.State}} from {{.Remote}}</div>{{else}}none{{end}}</td><td>{{.Receivers}}</td>
<td class="accepted">accepted {{.Accepted}}</td><td class="throttled">throttled {{.Throttled}}</td><td class="rejected">rejected {{.Rejected}}</td><td class="delivered">{{.Delivered}}</td><td class="delivery-failed">{{.DeliveryFailed}}</td></tr>
{{end}}</table>
<h2>Upstreams</h2>
<table id="upstreams"><tr><th>name</th><th>binds up</th><th>binds</th><th>in flight</th></tr>
{{range .Upstreams}}<tr class="upstream"><td class="name">{{.Name}}</td><td class="{{if .BindsUp}}ok{{else}}down{{end}}">{{.BindsUp}} of {{.BindsAll}} binds up</td><td>{{range .Binds}}<div>{{.}}</div>{{end}}</td><td>{{.InFlight}}</td></tr>
{{end}}</table>
<h2>Server</h2>
<table id="server">{{range .Server}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
<p><a href="/metrics">Prometheus metrics</a> &middot; <a href="/readyz">readiness</a></p>
</body></html>`))

func (gw *Gateway) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(gw.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/livez", livez)
	mux.HandleFunc("/healthz", livez) // the old name of /livez (health.go)
	mux.HandleFunc("/readyz", gw.readyz)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		statusPage.Execute(w, gw.status())
	})
	return mux
}

func (gw *Gateway) status() statusData {
	d := statusData{
		Now:    time.Now().UTC().Format(time.RFC3339),
		Uptime: time.Since(gw.start).Round(time.Second).String(),
		Parked: int(gw.waitingReceipts.Load()),
		Server: serverCounts(gw.srv.Stats()),
		Ready:  gw.notReady(),
	}
	totals := gw.metrics.accountTotals()
	if n, err := gw.store.Queue().Len(); err == nil {
		d.Queue = n
	}
	for _, ac := range gw.cfg.Load().Accounts {
		as := accountStatus{SystemID: ac.SystemID, Rate: "unlimited", MaxBinds: ac.MaxBinds}
		if ac.Rate > 0 {
			as.Rate = strconv.FormatFloat(ac.Rate, 'f', -1, 64)
		}
		if t := totals[ac.SystemID]; t != nil {
			as.Accepted, as.Throttled, as.Rejected = t.accepted, t.throttled, t.rejected
			as.Delivered, as.DeliveryFailed = t.delivered, t.deliveryFailed
		}
		for _, c := range gw.srv.Conns(ac.SystemID) {
			as.Sessions = append(as.Sessions, sessionStatus{Remote: c.RemoteAddr().String(), State: c.State().String()})
		}
		as.Receivers = len(gw.srv.Receivers(ac.SystemID))
		d.Accounts = append(d.Accounts, as)
	}
	gw.upMu.RLock()
	for _, u := range gw.upstreams {
		us := upstreamStatus{Name: u.name, BindsUp: u.up.Load()}
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
		d.Upstreams = append(d.Upstreams, us)
	}
	gw.upMu.RUnlock()
	sort.Slice(d.Upstreams, func(i, j int) bool { return d.Upstreams[i].Name < d.Upstreams[j].Name })
	return d
}

// serverCounts labels the SMPP server's counters for the status page.
func serverCounts(s server.Stats) []serverCount {
	return []serverCount{
		{"connections accepted", int64(s.Accepted)},
		{"connections refused", int64(s.Rejected)},
		{"of which by the unbound limits", int64(s.RejectedUnbound)},
		{"binds accepted", int64(s.Binds)},
		{"binds refused", int64(s.BindsRefused)},
		{"requests throttled by the server (drain)", int64(s.Throttled)},
		{"connections open", s.Open},
		{"connections not bound yet", s.Unbound},
		{"sessions bound", s.Bound},
	}
}

// accountTotal is what the status page shows of an account's counters.
type accountTotal struct {
	accepted, throttled, rejected uint64
	delivered, deliveryFailed     uint64
}

// accountTotals sums the counters of each account since start: its
// submissions by answer (accepted: ESME_ROK; throttled: ESME_RTHROTTLED;
// rejected: any other status), its deliveries acknowledged and refused.
func (m *metrics) accountTotals() map[string]*accountTotal {
	out := map[string]*accountTotal{}
	mfs, err := m.counts.Gather()
	if err != nil {
		return out
	}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			t := out[labels["system_id"]]
			if t == nil {
				t = &accountTotal{}
				out[labels["system_id"]] = t
			}
			v := uint64(mt.GetCounter().GetValue())
			switch mf.GetName() {
			case "smpp_gateway_submits_total":
				switch labels["status"] {
				case pdu.ESME_ROK.String():
					t.accepted += v
				case pdu.ESME_RTHROTTLED.String():
					t.throttled += v
				default:
					t.rejected += v
				}
			case "smpp_gateway_deliveries_acked_total":
				t.delivered += v
			case "smpp_gateway_deliveries_failed_total":
				t.deliveryFailed += v
			}
		}
	}
	return out
}
