package main

import (
	"github.com/esmsafrica/smpp/pdu"
)

// accountTotal is what the status page shows of an account's counters,
// since start.
type accountTotal struct {
	accepted, throttled, rejected uint64
	delivered, deliveryFailed     uint64
	receipts                      uint64 // receipts received from upstreams for the account
}

// upstreamTotal is what the status page shows of an upstream's counters,
// since start.
type upstreamTotal struct {
	sent, failed, retries uint64 // submits answered ESME_ROK, answered otherwise, queued again
}

// counterTotals are the sums of the counters the status page reads.
type counterTotals struct {
	accounts  map[string]*accountTotal
	upstreams map[string]*upstreamTotal
}

func (c counterTotals) account(id string) *accountTotal {
	t := c.accounts[id]
	if t == nil {
		t = &accountTotal{}
		c.accounts[id] = t
	}
	return t
}

func (c counterTotals) upstream(name string) *upstreamTotal {
	t := c.upstreams[name]
	if t == nil {
		t = &upstreamTotal{}
		c.upstreams[name] = t
	}
	return t
}

// totals sums the counters of each account and upstream since start. An
// account's submissions by answer: accepted is ESME_ROK, throttled
// ESME_RTHROTTLED, rejected any other status; its deliveries acknowledged
// and refused; its receipts from upstreams. An upstream's submits: sent is
// ESME_ROK, failed any other answer or error, retries those queued again.
func (m *metrics) totals() counterTotals {
	out := counterTotals{accounts: map[string]*accountTotal{}, upstreams: map[string]*upstreamTotal{}}
	mfs, err := m.counts.Gather()
	if err != nil {
		return out
	}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			var systemID, upstream, status string
			for _, l := range mt.GetLabel() {
				switch l.GetName() {
				case "system_id":
					systemID = l.GetValue()
				case "upstream":
					upstream = l.GetValue()
				case "status":
					status = l.GetValue()
				}
			}
			v := uint64(mt.GetCounter().GetValue())
			switch mf.GetName() {
			case "smpp_gateway_submits_total":
				t := out.account(systemID)
				switch status {
				case pdu.ESME_ROK.String():
					t.accepted += v
				case pdu.ESME_RTHROTTLED.String():
					t.throttled += v
				default:
					t.rejected += v
				}
			case "smpp_gateway_deliveries_acked_total":
				out.account(systemID).delivered += v
			case "smpp_gateway_deliveries_failed_total":
				out.account(systemID).deliveryFailed += v
			case "smpp_gateway_receipts_total":
				out.account(systemID).receipts += v
			case "smpp_gateway_upstream_submits_total":
				if status == pdu.ESME_ROK.String() {
					out.upstream(upstream).sent += v
				} else {
					out.upstream(upstream).failed += v
				}
			case "smpp_gateway_upstream_retries_total":
				out.upstream(upstream).retries += v
			}
		}
	}
	return out
}
