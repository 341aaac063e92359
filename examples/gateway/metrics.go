package main

import (
	"errors"
	"net"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/esmsafrica/smpp/examples/gateway/status"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
)

// metrics are the gateway's Prometheus metrics.
type metrics struct {
	reg             *prometheus.Registry
	binds           *prometheus.CounterVec
	bound           *prometheus.GaugeVec
	submits         *prometheus.CounterVec
	throttled       *prometheus.CounterVec
	receipts        *prometheus.CounterVec
	final           *prometheus.CounterVec
	delivered       *prometheus.CounterVec
	mo              *prometheus.CounterVec
	upstreamSubmits *prometheus.CounterVec
	upstreamUp      *prometheus.GaugeVec
	queued          prometheus.Gauge
	parked          prometheus.Counter
	latency         prometheus.Histogram
	upstreamLatency *prometheus.HistogramVec
	receiptLatency  prometheus.Histogram
	storeErrors     prometheus.Counter
	connsRefused    *prometheus.CounterVec
	deliveryFailed  *prometheus.CounterVec
	buildInfo       *prometheus.GaugeVec
	retries         *prometheus.CounterVec
	pending         *pendingCollector // smpp_gateway_deliveries_pending (deliveries_pending.go)

	// The children of the vectors counted at every message, kept
	// (metrics_children.go).
	submitsBy         *children[prometheus.Counter]
	receiptsBy        *children[prometheus.Counter]
	deliveredBy       *children[prometheus.Counter]
	upstreamSubmitsBy *children[prometheus.Counter]
	upstreamLatencyBy *children[prometheus.Observer]

	// submitLatency, accountLat (system_id → *status.Latency) and
	// upstreamLat (name → *status.Latency) are the status page's latency
	// histograms (package status, through status_source.go), fed with the
	// Prometheus ones by observeSubmit and observeUpstream.
	submitLatency status.Latency
	accountLat    sync.Map
	upstreamLat   sync.Map

	// counts is a registry of the counters the status page sums (a
	// collector may be in several registries).
	counts *prometheus.Registry
}

func newMetrics() *metrics {
	r := prometheus.NewRegistry()
	m := &metrics{
		reg: r,
		binds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smpp_gateway_binds_total",
			Help: "Bind requests by system_id, mode and answered status."}, []string{"system_id", "mode", "status"}),
		bound: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "smpp_gateway_bound_sessions",
			Help: "Sessions bound now, by system_id."}, []string{"system_id"}),
		submits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smpp_gateway_submits_total",
			Help: "Submissions from ESMEs by system_id, command and answered status, ESME_RTHROTTLED included."}, []string{"system_id", "command", "status"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smpp_gateway_throttled_total",
			Help: "Requests answered ESME_RTHROTTLED by the account's rate or a drain (kept for existing dashboards: the submissions among them are also in smpp_gateway_submits_total{status=\"ESME_RTHROTTLED\"})."}, []string{"system_id"}),
		receipts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smpp_gateway_receipts_total",
			Help: "Receipts received from upstreams by system_id and stat."}, []string{"system_id", "stat"}),
		final: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smpp_gateway_final_by_gateway_total",
			Help: "Messages the gateway itself finalised, by account and stat: EXPIRED (validity ended before an upstream took it: the expiries), REJECTD, UNDELIV, DELETED, UNKNOWN. Expiries reported by upstreams are in smpp_gateway_receipts_total{stat=\"EXPIRED\"}."}, []string{"system_id", "stat"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smpp_gateway_deliveries_acked_total",
			Help: "deliver_sm (receipts, MO) acknowledged by ESMEs."}, []string{"system_id"}),
		mo: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smpp_gateway_mo_total",
			Help: "MO messages from upstreams by account and outcome: routed (queued for the account), unrouted (no mo_routes entry: acknowledged and dropped, system_id empty). Received = the sum."}, []string{"system_id", "outcome"}),
		upstreamSubmits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smpp_gateway_upstream_submits_total",
			Help: "Submits to upstreams by upstream and status."}, []string{"upstream", "status"}),
		upstreamUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "smpp_gateway_upstream_binds_up",
			Help: "Binds up per upstream."}, []string{"upstream"}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{Name: "smpp_gateway_queue_depth",
			Help: "Messages waiting for an upstream (not counting retries)."}),
		parked: prometheus.NewCounter(prometheus.CounterOpts{Name: "smpp_gateway_receipts_parked_total",
			Help: "Receipts that arrived before their submit_sm_resp."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "smpp_gateway_submit_seconds",
			Help: "Time from submit_sm read to submit_sm_resp queued (includes the synced store write).", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		upstreamLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "smpp_gateway_upstream_submit_seconds",
			Help: "Upstream submit_sm round trip.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}, []string{"upstream"}),
		receiptLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "smpp_gateway_submit_to_receipt_seconds",
			Help: "Time from acceptance to the upstream's receipt.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 18)}),
		connsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smpp_gateway_connections_refused_total",
			Help: "Connections closed at once, by reason: unbound_total and unbound_per_addr (the unbound limits), other (TLS, shutting down)."}, []string{"reason"}),
		deliveryFailed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smpp_gateway_deliveries_failed_total",
			Help: "deliver_sm and data_sm (receipts, MO) that an ESME refused or did not answer in deliver_timeout, by account and reason (the status it answered, e.g. ESME_RTHROTTLED, or timeout); each is handed out again later."}, []string{"system_id", "reason"}),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "smpp_gateway_build_info",
			Help: "1, labelled with the gateway's version (module version, else VCS revision), VCS revision and Go version."}, []string{"version", "revision", "goversion"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "smpp_gateway_upstream_retries_total",
			Help: "Submits an upstream refused with a status that is safe to send again (ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR, ESME_RINVBNDSTS), that were never written, or in doubt towards an upstream with a dedupe key: each is queued again after its back-off."}, []string{"upstream"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "smpp_gateway_store_errors_total",
			Help: "Store writes that failed on a message's path (each is logged with the message id)."}),
		pending: newPendingCollector(),
	}
	m.buildInfo.WithLabelValues(buildVersion()).Set(1)
	m.submitsBy = newChildren(3, m.submits.WithLabelValues)
	m.receiptsBy = newChildren(2, m.receipts.WithLabelValues)
	m.deliveredBy = newChildren(1, m.delivered.WithLabelValues)
	m.upstreamSubmitsBy = newChildren(2, m.upstreamSubmits.WithLabelValues)
	m.upstreamLatencyBy = newChildren(1, m.upstreamLatency.WithLabelValues)
	r.MustRegister(m.binds, m.bound, m.submits, m.throttled, m.receipts, m.final, m.delivered, m.mo,
		m.upstreamSubmits, m.upstreamUp, m.queued, m.parked, m.latency, m.upstreamLatency, m.receiptLatency, m.storeErrors, m.connsRefused,
		m.deliveryFailed, m.buildInfo, m.retries, m.pending,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.counts = prometheus.NewRegistry()
	m.counts.MustRegister(m.submits, m.delivered, m.deliveryFailed, m.final, m.receipts, m.mo, m.upstreamSubmits, m.retries)
	return m
}

// observeSubmit records the time a submit_sm took from its read to its
// submit_sm_resp (the shaping wait not included). It is on the submit path:
// no allocation, no lock.
func (m *metrics) observeSubmit(acct string, d time.Duration) {
	m.latency.Observe(d.Seconds())
	m.submitLatency.Observe(d)
	m.accountHist(acct).Observe(d)
}

// accountHist returns the status page's submit latency histogram of the
// account (system_id) named, created at its first use.
func (m *metrics) accountHist(acct string) *status.Latency {
	return loadOrNew[status.Latency](&m.accountLat, acct)
}

// observeUpstream records the round trip of a submit to the upstream named.
func (m *metrics) observeUpstream(name string, d time.Duration) {
	m.upstreamLatencyBy.with(labels{name}).Observe(d.Seconds())
	m.upstreamHist(name).Observe(d)
}

// upstreamHist returns the status page's latency histogram of the
// upstream named, created at its first use.
func (m *metrics) upstreamHist(name string) *status.Latency {
	return loadOrNew[status.Latency](&m.upstreamLat, name)
}

// buildVersion returns the version, revision and Go version of the
// binary: the module's version when it was built from a tagged module,
// else its VCS revision ("-dirty" when modified), else "devel".
func buildVersion() (version, revision, goVersion string) {
	version, revision, goVersion = "devel", "", runtime.Version()
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if bi.GoVersion != "" {
		goVersion = bi.GoVersion
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if revision != "" && dirty {
		revision += "-dirty"
	}
	switch {
	case bi.Main.Version != "" && bi.Main.Version != "(devel)":
		version = bi.Main.Version
	case revision != "":
		version = revision
	}
	return
}

// submitCommand names the submission a response answers, as
// smpp_gateway_submits_total labels it, or "" for other responses.
func submitCommand(id pdu.CommandID) string {
	switch id {
	case pdu.SubmitSMRespID:
		return "submit_sm"
	case pdu.SubmitMultiRespID:
		return "submit_multi"
	case pdu.DataSMRespID:
		return "data_sm"
	}
	return ""
}

// sessionObserver counts the bound sessions of each account, and gives
// back a session's bind in the account's limits when it leaves the bound
// state (limits_wiring.go). It counts the submissions answered
// ESME_RTHROTTLED (by the limits or a drain: the handlers' own answers are
// counted through smppapi.Metrics.Answered, never ESME_RTHROTTLED) in
// smpp_gateway_submits_total, and the deliveries an ESME refused.
func (m *metrics) sessionObserver() session.Observer {
	return session.Observer{
		PDUOut: func(s *session.Session, h pdu.Header) {
			if h.Status != pdu.ESME_RTHROTTLED {
				return
			}
			if cmd := submitCommand(h.ID); cmd != "" {
				m.submits.WithLabelValues(s.SystemID(), cmd, h.Status.String()).Inc()
			}
		},
		Response: func(s *session.Session, h pdu.Header, _ time.Duration) {
			if h.Status != pdu.ESME_ROK && (h.ID == pdu.DeliverSMRespID || h.ID == pdu.DataSMRespID) {
				m.deliveryFailed.WithLabelValues(s.SystemID(), h.Status.String()).Inc()
			}
		},
		StateChange: func(s *session.Session, from, to session.State) {
			if to.Bound() && !from.Bound() {
				m.bound.WithLabelValues(s.SystemID()).Inc()
			}
			if from.Bound() && !to.Bound() {
				m.bound.WithLabelValues(s.SystemID()).Dec()
				releaseBind(s)
			}
		},
	}
}

// serverObserver returns the SMPP server's observer for gw.
func (m *metrics) serverObserver(gw *Gateway) server.Observer {
	return server.Observer{
		// A bind the hook accepted and the server then refused, and a
		// connection ended, give back the bind they hold in the account's
		// limits (limits_wiring.go).
		Bind: func(r *server.BindRequest, status pdu.Status) {
			if status != pdu.ESME_ROK {
				releaseBind(r.Conn)
			}
		},
		ConnClosed: func(c *server.Conn, err error) {
			releaseBind(c)
		},
		Throttled: func(c *server.Conn, id pdu.CommandID) {
			m.throttled.WithLabelValues(c.SystemID()).Inc()
		},
		ConnRejected: func(remote net.Addr, err error) {
			reason := "other"
			switch {
			case errors.Is(err, server.ErrMaxUnboundConns):
				reason = "unbound_total"
			case errors.Is(err, server.ErrMaxUnboundPerAddr):
				reason = "unbound_per_addr"
			}
			m.connsRefused.WithLabelValues(reason).Inc()
			gw.log.Debug("connection refused", "remote", remote.String(), "err", err)
		},
	}
}
