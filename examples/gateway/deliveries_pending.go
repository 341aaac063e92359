package main

// The deliveries (receipts, MO) waiting for each account's ESMEs, for the
// status page and the smpp_gateway_deliveries_pending gauge: read from the
// deliveries queue (deliveries.Queue.Pending) at most once a second and
// shared by both. On one node a count costs no disk read; in a cluster it
// is requests to JetStream, and the page polls every second from every
// browser that shows it.

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// pendingEvery is how often the counts are read at most.
const pendingEvery = time.Second

// pendingCounts is the last reading of the counts.
type pendingCounts struct {
	mu sync.Mutex
	at time.Time
	n  map[string]int // by system_id; -1: the queue could not tell
}

// deliveriesPending returns the deliveries waiting for each configured
// account, -1 for one the queue cannot tell (closed as the gateway stops, a
// cluster's request failing; not logged: asked at every poll, and the
// queue's failures show where the pushers use it). The map is shared: do
// not modify it.
func (gw *Gateway) deliveriesPending() map[string]int {
	p := &gw.pending
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n != nil && time.Since(p.at) < pendingEvery {
		return p.n
	}
	q := gw.store.DeliveryQueue()
	accts := gw.cfg.Load().Accounts
	n := make(map[string]int, len(accts))
	for _, ac := range accts {
		c, err := q.Pending(ac.SystemID)
		if err != nil {
			c = -1
		}
		n[ac.SystemID] = c
	}
	p.n, p.at = n, time.Now()
	return n
}

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
		"Deliveries (receipts, MO) waiting for the account's ESMEs: added and not acknowledged, the backlog of an ESME not bound or slow. "+
			"Read from the deliveries queue at most once a second (no disk read on a single node; requests to JetStream in a cluster, where every node reports the same count); "+
			"an account whose count cannot be read is left out of the scrape.",
		[]string{"system_id"}, nil)}
}

// Describe sends the gauge's description.
func (c *pendingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect sends each configured account's count. One the queue cannot
// tell is left out, not reported as 0: an absent series reads as unknown,
// a zero as an empty backlog.
func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	gw := c.gw.Load()
	if gw == nil {
		return
	}
	for systemID, n := range gw.deliveriesPending() {
		if n >= 0 {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), systemID)
		}
	}
}
