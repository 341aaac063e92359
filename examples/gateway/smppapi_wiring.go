package main

import (
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/smppapi"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// The ESME side (package smppapi) on the gateway's store, ids, limits, routes,
// configuration and metrics.

// newSMPPAPI makes the handlers of the ESMEs' message requests.
func (gw *Gateway) newSMPPAPI() *smppapi.Handlers {
	return smppapi.New(smppapi.Options{
		Store:           gw.store,
		IDs:             gw.ids,
		Routes:          upstreamRoutes{gw},
		Account:         systemIDOf,
		Throttle:        gw.throttled, // the account's rate (limits_wiring.go)
		ThrottleWaits:   throttleWaits,
		Bind:            bindIDOfRequest,
		DefaultValidity: gw.defaultValidity,
		Metrics:         gw.metrics,
		Logger:          gw.log,
	})
}

// systemIDOf returns the system_id of the account a request came on
// (accountOf).
func systemIDOf(r *server.Request) (string, bool) {
	a := accountOf(r)
	if a == nil {
		return "", false
	}
	return a.cfg.SystemID, true
}

// bindIDOfRequest returns the id of the bind a request came on (bindIDOf).
func bindIDOfRequest(r *server.Request) string { return bindIDOf(r.Conn()) }

// defaultValidity is the running configuration's default_validity.
func (gw *Gateway) defaultValidity() time.Duration { return gw.cfg.Load().DefaultValidity.D() }

// The metrics as the ESME side feeds them (smppapi.Metrics; StoreError is
// upstream's too).
var _ smppapi.Metrics = (*metrics)(nil)

// Answered counts smpp_gateway_submits_total.
func (m *metrics) Answered(acct, cmd string, st pdu.Status) {
	m.submitsBy.with(labels{acct, cmd, st.String()}).Inc()
}

// SubmitLatency feeds smpp_gateway_submit_seconds and the status page's
// submit latencies (observeSubmit).
func (m *metrics) SubmitLatency(acct string, d time.Duration) { m.observeSubmit(acct, d) }
