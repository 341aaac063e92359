package main

// What the status page (package status) reads of the gateway: statusSource
// implements status.Source on the gateway's configuration, server,
// upstreams, store and metrics.

import (
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/status"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// statusSource is the gateway as the status page's Source.
type statusSource struct{ gw *Gateway }

var _ status.Source = statusSource{}

func (s statusSource) Start() time.Time { return s.gw.start }

func (s statusSource) NotReady() []string { return s.gw.notReady() }

func (s statusSource) Queue() (int, error) { return s.gw.store.Queue().Len() }

func (s statusSource) ReceiptsWaiting() int64 { return s.gw.up.ReceiptsWaiting() }

func (s statusSource) Server() []status.Count { return serverCounts(s.gw.srv.Stats()) }

func (s statusSource) SubmitLatency() *status.Latency { return &s.gw.metrics.submitLatency }

func (s statusSource) Totals() status.Totals { return s.gw.metrics.totals() }

// Accounts returns the configured accounts with their sessions, their
// submit latency histograms and their deliveries pending.
func (s statusSource) Accounts() []status.Account {
	gw := s.gw
	accts := gw.cfg.Load().Accounts
	out := make([]status.Account, 0, len(accts))
	for _, ac := range accts {
		a := status.Account{SystemID: ac.SystemID, Rate: ac.Rate, MaxBinds: ac.MaxBinds,
			Receivers: len(gw.srv.Receivers(ac.SystemID)), Latency: gw.metrics.accountHist(ac.SystemID)}
		for _, c := range gw.srv.Conns(ac.SystemID) {
			a.Sessions = append(a.Sessions, status.Session{Remote: c.RemoteAddr().String(), State: c.State().String()})
		}
		out = append(out, a)
	}
	return out
}

// DeliveriesPending is deliveriesPending: the configured accounts' counts,
// read at most once a second (deliveries_pending.go).
func (s statusSource) DeliveriesPending() map[string]int { return s.gw.deliveriesPending() }

// Upstreams returns the upstreams with their binds (none for an upstream
// without a client) and their latency histograms.
func (s statusSource) Upstreams() []status.Upstream {
	gw := s.gw
	smscs := gw.up.SMSCs()
	out := make([]status.Upstream, 0, len(smscs))
	for _, u := range smscs {
		us := status.Upstream{Name: u.Name(), BindsUp: u.BindsUp(), Latency: gw.metrics.upstreamHist(u.Name())}
		for _, b := range u.Stats() {
			us.Binds = append(us.Binds, status.Bind{Endpoint: b.Endpoint, Bind: b.Bind.String(), Up: b.Up, InFlight: b.InFlight})
		}
		out = append(out, us)
	}
	return out
}

// serverCounts labels the SMPP server's counters for the status page.
func serverCounts(s server.Stats) []status.Count {
	return []status.Count{
		{Name: "connections accepted", Value: int64(s.Accepted)},
		{Name: "connections refused", Value: int64(s.Rejected)},
		{Name: "of which by the unbound limits", Value: int64(s.RejectedUnbound)},
		{Name: "binds accepted", Value: int64(s.Binds)},
		{Name: "binds refused", Value: int64(s.BindsRefused)},
		{Name: "requests throttled by the server (drain)", Value: int64(s.Throttled)},
		{Name: "connections open", Value: s.Open},
		{Name: "connections not bound yet", Value: s.Unbound},
		{Name: "sessions bound", Value: s.Bound},
	}
}

// totals sums the counters of each account and upstream since start. An
// account's submissions by answer: accepted is ESME_ROK, throttled
// ESME_RTHROTTLED, rejected any other status; its deliveries acknowledged
// and refused; its receipts from upstreams. An upstream's submits: sent is
// ESME_ROK, failed any other answer or error, retries those queued again.
// If the counters cannot be gathered (only a registration bug makes that
// happen), every total is zero.
func (m *metrics) totals() status.Totals {
	out := status.Totals{Accounts: map[string]status.AccountTotal{}, Upstreams: map[string]status.UpstreamTotal{}}
	mfs, err := m.counts.Gather()
	if err != nil {
		return out
	}
	account := func(id string, add func(t *status.AccountTotal)) {
		t := out.Accounts[id]
		add(&t)
		out.Accounts[id] = t
	}
	upstream := func(name string, add func(t *status.UpstreamTotal)) {
		t := out.Upstreams[name]
		add(&t)
		out.Upstreams[name] = t
	}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			var systemID, up, st string
			for _, l := range mt.GetLabel() {
				switch l.GetName() {
				case "system_id":
					systemID = l.GetValue()
				case "upstream":
					up = l.GetValue()
				case "status":
					st = l.GetValue()
				}
			}
			v := uint64(mt.GetCounter().GetValue())
			switch mf.GetName() {
			case "smpp_gateway_submits_total":
				account(systemID, func(t *status.AccountTotal) {
					switch st {
					case pdu.ESME_ROK.String():
						t.Accepted += v
					case pdu.ESME_RTHROTTLED.String():
						t.Throttled += v
					default:
						t.Rejected += v
					}
				})
			case "smpp_gateway_deliveries_acked_total":
				account(systemID, func(t *status.AccountTotal) { t.Delivered += v })
			case "smpp_gateway_deliveries_failed_total":
				account(systemID, func(t *status.AccountTotal) { t.DeliveryFailed += v })
			case "smpp_gateway_receipts_total":
				account(systemID, func(t *status.AccountTotal) { t.Receipts += v })
			case "smpp_gateway_upstream_submits_total":
				upstream(up, func(t *status.UpstreamTotal) {
					if st == pdu.ESME_ROK.String() {
						t.Sent += v
					} else {
						t.Failed += v
					}
				})
			case "smpp_gateway_upstream_retries_total":
				upstream(up, func(t *status.UpstreamTotal) { t.Retries += v })
			}
		}
	}
	return out
}
