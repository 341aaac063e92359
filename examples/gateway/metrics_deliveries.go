package main

// The smpp_gateway_deliveries_pending gauge: the deliveries waiting for
// each account's ESMEs, read from the deliveries queue when scraped rather
// than kept up to date on every add and ack (the queue counts them
// already: deliveries.Queue.Pending).

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// pendingCollector collects smpp_gateway_deliveries_pending for the
// configured accounts of the gateway it is given (none before).
type pendingCollector struct {
	desc *prometheus.Desc
	// gw is set once the gateway is made (newGateway); the metrics exist
	// before it.
	gw atomic.Pointer[Gateway]
}

func newPendingCollector() *pendingCollector {
	return &pendingCollector{desc: prometheus.NewDesc("smpp_gateway_deliveries_pending",
		"Deliveries (receipts, MO) waiting for the account's ESMEs now: added and not acknowledged, the backlog of an ESME not bound or slow. "+
			"Read from the deliveries queue at scrape time (no disk read on a single node; requests to JetStream in a cluster, where every node reports the same count); "+
			"an account whose count cannot be read is left out of the scrape.",
		[]string{"system_id"}, nil)}
}

// Describe sends the gauge's description.
func (c *pendingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect sends each configured account's count. One the queue cannot
// tell (closed as the gateway stops) is left out, not reported as 0: an
// absent series reads as unknown, a zero as an empty backlog.
func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	gw := c.gw.Load()
	if gw == nil {
		return
	}
	q := gw.store.DeliveryQueue()
	for _, ac := range gw.cfg.Load().Accounts {
		n, err := q.Pending(ac.SystemID)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), ac.SystemID)
	}
}
