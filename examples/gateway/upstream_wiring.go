package main

import (
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/slots"
	"github.com/esmsafrica/smpp/examples/gateway/upstream"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/tlv"
)

// The upstream side (package upstream) on the gateway's configuration,
// store, metrics and ESME side.

const (
	// claimLease is how long a dispatcher holds a message's ticket before
	// the queue hands it out again: far longer than an upstream takes to
	// answer, so that only a claimer that is gone loses its claim (on one
	// node, a restart ends every lease at once).
	claimLease = 10 * time.Minute
	// maxQueued is the most messages waiting for an upstream; beyond it a
	// submission is refused with ESME_RMSGQFUL. Memory holds only the
	// first of them (queue.PebbleOptions.MaxHeld); the rest wait on disk.
	maxQueued = 10_000_000
)

// clusterClaimLease is how long a cluster node's dispatcher holds a
// message's ticket before the queue hands it to another node: short, so
// that the messages a dead node held are forwarded by a survivor within
// seconds; a dispatcher still waiting for the upstream's answer renews it
// every clusterClaimExtend (upstream.Options.ClaimExtend). A single node
// keeps claimLease.
//
// clusterDeliveryLease is the same for the receipts and MO a node's pusher
// holds for its ESME binds (the pusher renews it while an ESME has not
// answered, see deliveries.go): those a dead node held go to a bind on
// another node within it.
const (
	clusterClaimLease    = 15 * time.Second
	clusterClaimExtend   = 5 * time.Second
	clusterDeliveryLease = 10 * time.Second
)

// newDispatcher makes the gateway's upstream side: sl shares the upstream
// binds with the other nodes of a cluster (nil on a single node), and a
// claimed ticket is renewed every extend while its upstream answers (0:
// never).
func (gw *Gateway) newDispatcher(sl slots.Slots, extend time.Duration) *upstream.Dispatcher {
	return upstream.New(upstream.Options{
		Store:             gw.store,
		Routes:            upstreamRoutes{gw},
		Logger:            gw.log,
		Metrics:           gw.metrics,
		UpdateWithReceipt: gw.updateWithDelivery, // where deliver_to says (webhook_wiring.go)
		DeliveryAdded:     gw.deliveryAdded,
		DeliverMO:         gw.queueDelivery,
		Later:             gw.later,
		Fenced:            gw.fenced,
		Slots:             sl,
		ClaimExtend:       extend,
	})
}

// addUpstream starts the client of one upstream.
func (gw *Gateway) addUpstream(uc UpstreamConfig, simAddr string) error {
	addrs := uc.Addrs
	if len(addrs) == 0 {
		if simAddr == "" {
			// A reload that adds a simulator: section does not start it.
			return fmt.Errorf("upstream %s: no addrs, and no embedded simulator runs (a simulator: section takes effect at start)", uc.Name)
		}
		addrs = []string{simAddr}
	}
	ccfg := client.Config{
		SystemID: uc.SystemID, Password: uc.Password, Mode: client.Transceiver,
		Rate: uc.Rate, RetryThrottled: false,
		// Receipts are written with a synced store write each: many at once
		// let the store commit them together.
		Session: session.Config{Window: uc.Window, InboundWindow: 2000},
	}
	if uc.TLS {
		ccfg.TLS = &tls.Config{InsecureSkipVerify: uc.InsecureSkipVerify}
	}
	return gw.up.Add(upstream.Config{Name: uc.Name, Addrs: addrs, Binds: uc.Binds, Dedupe: tlv.Tag(uc.DedupeTLV), Client: ccfg})
}

// routeFor returns the upstreams for a destination, in failover order.
func (gw *Gateway) routeFor(acct, src, dst string) []string {
	d := strings.TrimPrefix(dst, "+")
	for _, r := range gw.cfg.Load().Routes {
		if r.Account != "" && r.Account != acct {
			continue
		}
		if r.Source != "" && !strings.HasPrefix(src, r.Source) {
			continue
		}
		if strings.HasPrefix(d, strings.TrimPrefix(r.Prefix, "+")) {
			return r.Upstreams
		}
	}
	return nil
}

// upstreamRoutes is the running configuration as the dispatcher reads it,
// and as the ESME side (smppapi.Routes) checks a destination.
type upstreamRoutes struct{ gw *Gateway }

var _ upstream.Routes = upstreamRoutes{}

// Route is routeFor.
func (r upstreamRoutes) Route(acct, src, dst string) []string { return r.gw.routeFor(acct, src, dst) }

// Dedupe is the dedupe_tlv of the upstream named in the running
// configuration, 0 for none.
func (r upstreamRoutes) Dedupe(name string) tlv.Tag {
	for _, uc := range r.gw.cfg.Load().Upstreams {
		if uc.Name == name {
			return tlv.Tag(uc.DedupeTLV)
		}
	}
	return 0
}

// MOAccount is the account of the first mo_routes entry whose prefix
// dest starts with, "" for none.
func (r upstreamRoutes) MOAccount(dest string) string {
	for _, mr := range r.gw.cfg.Load().MORoutes {
		if len(dest) >= len(mr.Prefix) && dest[:len(mr.Prefix)] == mr.Prefix {
			return mr.Account
		}
	}
	return ""
}

// The metrics as the dispatcher feeds them (upstream.Metrics).
var _ upstream.Metrics = (*metrics)(nil)

// Submitted feeds smpp_gateway_upstream_submit_seconds, the status page's
// upstream latency and smpp_gateway_upstream_submits_total.
func (m *metrics) Submitted(name string, st pdu.Status, rtt time.Duration) {
	m.observeUpstream(name, rtt)
	m.upstreamSubmitsBy.with(labels{name, st.String()}).Inc()
}

// Retry counts smpp_gateway_upstream_retries_total.
func (m *metrics) Retry(name string) { m.retries.WithLabelValues(name).Inc() }

// Final counts smpp_gateway_final_by_gateway_total.
func (m *metrics) Final(acct, stat string) { m.final.WithLabelValues(acct, stat).Inc() }

// Receipt counts smpp_gateway_receipts_total and feeds
// smpp_gateway_submit_to_receipt_seconds.
func (m *metrics) Receipt(acct, stat string, sinceAccepted time.Duration) {
	m.receiptsBy.with(labels{acct, stat}).Inc()
	m.receiptLatency.Observe(sinceAccepted.Seconds())
}

// Parked counts smpp_gateway_receipts_parked_total.
func (m *metrics) Parked() { m.parked.Inc() }

// MO counts smpp_gateway_mo_total.
func (m *metrics) MO(acct, outcome string) { m.mo.WithLabelValues(acct, outcome).Inc() }

// StoreError counts smpp_gateway_store_errors_total.
func (m *metrics) StoreError() { m.storeErrors.Inc() }

// BindsUp sets smpp_gateway_upstream_binds_up.
func (m *metrics) BindsUp(name string, n int) { m.upstreamUp.WithLabelValues(name).Set(float64(n)) }
