package main

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/esmsafrica/smpp/server"
)

// httpHandler serves the metrics and status listener: /metrics
// (Prometheus), /livez, /healthz and /readyz (health.go), the status page
// at / and its data at /status.json (status_page.go), and pprof under
// /debug/pprof/. It starts the status page's sampler, which runs until the
// gateway stops.
func (gw *Gateway) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(gw.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/livez", livez)
	mux.HandleFunc("/healthz", livez) // the old name of /livez (health.go)
	mux.HandleFunc("/readyz", gw.readyz)
	// The status page and its data, with the sampler that keeps their
	// history while the HTTP side is served (until the gateway stops).
	s := newStatusSampler(gw, statusHistory)
	gw.wg.Add(1)
	go func() {
		defer gw.wg.Done()
		s.run(statusInterval)
	}()
	mux.HandleFunc("/status.json", gw.serveStatusJSON(s))
	mux.HandleFunc("/", gw.serveStatusPage(s))
	return mux
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
