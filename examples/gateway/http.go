package main

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/esmsafrica/smpp/examples/gateway/status"
)

// httpHandler serves the metrics and status listener: /metrics
// (Prometheus), /livez, /healthz and /readyz (health.go), the status page
// at / and its data at /status.json (package status, reading the gateway
// through status_source.go), and pprof under /debug/pprof/. It starts the
// status page's sampler, which runs until the gateway stops.
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
	page := status.New(statusSource{gw}, status.Config{Logger: gw.log})
	gw.wg.Add(1)
	go func() {
		defer gw.wg.Done()
		page.Run(gw.ctx)
	}()
	mux.Handle("/status.json", page)
	mux.Handle("/", page)
	return mux
}
