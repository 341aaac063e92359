package main

import (
	"html/template"
	"net/http"
	"net/http/pprof"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// statusData is what the status page shows.
type statusData struct {
	Now       string
	Uptime    string
	Accounts  []accountStatus
	Upstreams []upstreamStatus
	Queue     int
	Parked    int
	Server    any
}

type accountStatus struct {
	SystemID  string
	Rate      float64
	MaxBinds  int
	Sessions  []sessionStatus
	Receivers int
}

type sessionStatus struct {
	Remote string
	State  string
}

type upstreamStatus struct {
	Name     string
	BindsUp  int32
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
<h2>Accounts</h2>
<table id="accounts"><tr><th>system_id</th><th>rate (msg/s)</th><th>max binds</th><th>bound sessions</th><th>receivers</th></tr>
{{range .Accounts}}<tr class="account"><td class="system-id">{{.SystemID}}</td><td>{{.Rate}}</td><td>{{if .MaxBinds}}{{.MaxBinds}}{{else}}&infin;{{end}}</td>
<td class="sessions">{{range .Sessions}}<div class="session">{{.State}} from {{.Remote}}</div>{{else}}none{{end}}</td><td>{{.Receivers}}</td></tr>
{{end}}</table>
<h2>Upstreams</h2>
<table id="upstreams"><tr><th>name</th><th>binds up</th><th>binds</th><th>in flight</th></tr>
{{range .Upstreams}}<tr><td>{{.Name}}</td><td class="{{if .BindsUp}}ok{{else}}down{{end}}">{{.BindsUp}}</td><td>{{range .Binds}}<div>{{.}}</div>{{end}}</td><td>{{.InFlight}}</td></tr>
{{end}}</table>
<h2>Server</h2><pre>{{printf "%+v" .Server}}</pre>
<p><a href="/metrics">Prometheus metrics</a></p>
</body></html>`))

func (gw *Gateway) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(gw.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
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
		Server: gw.srv.Stats(),
	}
	if n, err := gw.store.Queue().Len(); err == nil {
		d.Queue = n
	}
	for _, ac := range gw.cfg.Load().Accounts {
		as := accountStatus{SystemID: ac.SystemID, Rate: ac.Rate, MaxBinds: ac.MaxBinds}
		for _, c := range gw.srv.Conns(ac.SystemID) {
			as.Sessions = append(as.Sessions, sessionStatus{Remote: c.RemoteAddr().String(), State: c.State().String()})
		}
		as.Receivers = len(gw.srv.Receivers(ac.SystemID))
		d.Accounts = append(d.Accounts, as)
	}
	gw.upMu.RLock()
	for _, u := range gw.upstreams {
		us := upstreamStatus{Name: u.name, BindsUp: u.up.Load()}
		for _, b := range u.c.Stats() {
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
