package status_test

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/status"
)

// gateway is a gateway of one account, "demo", and one upstream, "sim",
// as its status page sees it.
type gateway struct {
	start    time.Time
	accepted atomic.Uint64 // submit_sm answered ESME_ROK
	sent     atomic.Uint64 // submits to sim answered ESME_ROK
	submit   status.Latency
	demo     status.Latency
	sim      status.Latency
}

func (g *gateway) Start() time.Time       { return g.start }
func (g *gateway) NotReady() []string     { return nil }
func (g *gateway) Queue() (int, error)    { return 0, nil }
func (g *gateway) ReceiptsWaiting() int64 { return 0 }
func (g *gateway) Server() []status.Count { return nil }

func (g *gateway) SubmitLatency() *status.Latency { return &g.submit }

func (g *gateway) Accounts() []status.Account {
	return []status.Account{{SystemID: "demo", Rate: 100, Sessions: []status.Session{{Remote: "127.0.0.1:51234", State: "BOUND_TRX"}}, Latency: &g.demo}}
}

func (g *gateway) DeliveriesPending() map[string]int { return map[string]int{"demo": 0} }

func (g *gateway) Upstreams() []status.Upstream {
	return []status.Upstream{{Name: "sim", BindsUp: 1, Binds: []status.Bind{{Endpoint: "127.0.0.1:2775", Bind: "bind_transceiver", Up: true}}, Latency: &g.sim}}
}

func (g *gateway) Totals() status.Totals {
	return status.Totals{
		Accounts:  map[string]status.AccountTotal{"demo": {Accepted: g.accepted.Load()}},
		Upstreams: map[string]status.UpstreamTotal{"sim": {Sent: g.sent.Load()}},
	}
}

// A gateway implements Source and feeds the histograms it hands out; the
// page's samples are the change over each interval. A gateway serves the
// page (http.Handle("/", page)) and runs its sampler (go page.Run(ctx));
// here the samples are taken by hand, one second apart.
func Example() {
	g := &gateway{start: time.Now()}
	page := status.New(g, status.Config{})
	t0 := time.Now()
	page.Sample(t0)

	// 300 submit_sm accepted in the second, each answered in 2 ms, and
	// forwarded to sim, which answered each in 10 ms.
	for i := 0; i < 300; i++ {
		g.accepted.Add(1)
		g.submit.Observe(2 * time.Millisecond)
		g.demo.Observe(2 * time.Millisecond)
		g.sent.Add(1)
		g.sim.Observe(10 * time.Millisecond)
	}
	s := page.Sample(t0.Add(time.Second))
	demo, sim := s.Accounts["demo"], s.Upstreams["sim"]
	fmt.Printf("demo: %.0f accepted/s, %d bound, submit_sm_resp p50 %.1f ms of %d\n", demo.Accepted, demo.Binds, demo.P50, demo.Submits)
	// A percentile is within about 12 % of the true value (four buckets
	// per power of two).
	fmt.Printf("sim: %.0f sent/s, %d of %d binds up, p50 %.1f ms\n", sim.Sent, sim.BindsUp, sim.Binds, sim.P50)
	// Output:
	// demo: 300 accepted/s, 1 bound, submit_sm_resp p50 2.0 ms of 300
	// sim: 300 sent/s, 1 of 1 binds up, p50 9.4 ms
}
