package main

// Liveness and readiness, for a load balancer or an orchestrator:
//
//   - /livez answers 200 "ok" while the process serves HTTP. /healthz is
//     the same (its old name, kept for existing probes).
//   - /readyz answers 200 "ready" when the store is open and every route has
//     at least one upstream with a bind up, else 503 with one reason a line,
//     e.g. "route 254: no upstream bound (sim: 0 of 2 binds up)". A gateway
//     that is not ready still accepts and queues submissions: readiness
//     tells a balancer to prefer another node, not that this one is broken.
//     A cluster node without the quorum (cluster_quorum.go) is the
//     exception: "cluster: ..." says why, and it accepts nothing until the
//     quorum is back.

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/esmsafrica/smpp/examples/gateway/upstream"
)

func livez(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

func (gw *Gateway) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	reasons := gw.notReady()
	if len(reasons) == 0 {
		fmt.Fprintln(w, "ready")
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintln(w, "not ready")
	for _, s := range reasons {
		fmt.Fprintln(w, s)
	}
}

// notReady returns why the gateway is not ready, or nothing when it is.
func (gw *Gateway) notReady() []string {
	var reasons []string
	if gw.ctx.Err() != nil {
		reasons = append(reasons, "shutting down")
	}
	if gw.quorumLost != nil {
		if r := gw.quorumLost(); r != "" {
			reasons = append(reasons, "cluster: "+r)
		}
	}
	if _, err := gw.store.LastID(); err != nil {
		reasons = append(reasons, "store: "+err.Error())
	}
	cfg := gw.cfg.Load()
	for _, rt := range cfg.Routes {
		var down []string
		up := false
		for _, name := range rt.Upstreams {
			var u *upstream.SMSC
			if gw.up != nil {
				u = gw.up.SMSC(name)
			}
			if u == nil {
				down = append(down, name+": not started")
				continue
			}
			n := u.BindsUp()
			if n > 0 {
				up = true
				break
			}
			total := len(u.Stats())
			down = append(down, fmt.Sprintf("%s: %d of %d binds up", name, n, total))
		}
		if !up {
			reasons = append(reasons, fmt.Sprintf("route %s: no upstream bound (%s)", routeName(rt), strings.Join(down, ", ")))
		}
	}
	return reasons
}

// routeName is how readiness names a route: its prefix ("*" for every
// destination), and its account and source filters if it has them.
func routeName(rt RouteConfig) string {
	s := rt.Prefix
	if s == "" {
		s = "*"
	}
	if rt.Account != "" {
		s += " account " + rt.Account
	}
	if rt.Source != "" {
		s += " source " + rt.Source + "*"
	}
	return s
}
