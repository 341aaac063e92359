package main

// Tests of the status page on the gateway: no allocation on the submit
// path for its latency histograms, /status.json on the wire under a
// bounded load, and the deliveries pending per account there and in
// /metrics. The package's own logic (percentiles, the ring, sampling,
// the handlers) is tested in package status.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/gateway/status"
	"github.com/esmsafrica/smpp/pdu"
)

// TestStatusObserveNoAllocs: what the submit path and the upstream's
// answer add for the status page allocates nothing.
func TestStatusObserveNoAllocs(t *testing.T) {
	m := newMetrics()
	m.observeUpstream("sim", time.Millisecond) // the histograms are created once
	m.observeSubmit("demo", time.Millisecond)
	if n := testing.AllocsPerRun(1000, func() { m.observeSubmit("demo", 3*time.Millisecond) }); n != 0 {
		t.Errorf("observeSubmit: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(1000, func() { m.observeUpstream("sim", 2*time.Millisecond) }); n != 0 {
		t.Errorf("observeUpstream: %v allocations, want 0", n)
	}
}

// statusJSON is what the test reads of /status.json.
type statusJSON struct {
	Ready      bool             `json:"ready"`
	HistoryLen int              `json:"history_len"`
	Accounts   []accountJSON    `json:"accounts"`
	Latest     *status.Sample   `json:"latest"`
	History    []*status.Sample `json:"history"`
}

type accountJSON struct {
	SystemID          string `json:"system_id"`
	Accepted          uint64 `json:"accepted"`
	DeliveriesPending int    `json:"deliveries_pending"`
}

func getStatusJSON(t *testing.T, url string) statusJSON {
	t.Helper()
	code, body := httpGet(t, url)
	if code != http.StatusOK {
		t.Fatalf("%s: %d %s", url, code, body)
	}
	var s statusJSON
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("%s: %v\n%s", url, err, body)
	}
	return s
}

// TestStatusJSONUnderLoad: a bounded load (3,000 submit_sm at 600 msg/s,
// receipts asked for) shows in /status.json as rates above zero for the
// account, its receipts, the upstream and the latency percentiles; the
// history grows by one sample a second, stays within history_len, and
// ?since answers only newer samples; the rates fall back to 0 after.
func TestStatusJSONUnderLoad(t *testing.T) {
	a, base := inprocHTTP(t, nil)
	var got atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, a.PlainAddr, client.Config{SystemID: "demo", Password: "demo1234", Rate: 600, Logger: quietLogger(),
		Handler: client.HandlerFunc(func(context.Context, *client.Delivery) error { got.Add(1); return nil })})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())

	if code, _ := httpGet(t, base+"/status.json?since=x"); code != http.StatusBadRequest {
		t.Errorf("since=x: %d, want 400", code)
	}
	const n = 3000
	var accepted atomic.Int64
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 50; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				_, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: fmt.Sprintf("2547%08d", i), RegisteredDelivery: 1,
					ShortMessage: []byte("status page load")})
				if err != nil {
					t.Errorf("submit %d: %v", i, err)
					continue
				}
				accepted.Add(1)
			}
		}()
	}
	go func() {
		defer close(next)
		for i := 0; i < n; i++ {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()

	// While the load runs: the newest sample shows it.
	var during *status.Sample
	eventually(t, 20*time.Second, func() string {
		s := getStatusJSON(t, base+"/status.json")
		l := s.Latest
		if l == nil {
			return "no sample yet"
		}
		acc, ok := l.Accounts["demo"]
		switch {
		case !ok || acc.Accepted == 0 || l.Total.Accepted == 0:
			return fmt.Sprintf("no accepted rate in the latest sample: %+v", l)
		case l.Submits == 0 || l.SubmitP50 <= 0 || l.SubmitP99 < l.SubmitP50:
			return fmt.Sprintf("latency: p50 %v p99 %v of %d", l.SubmitP50, l.SubmitP99, l.Submits)
		case l.Upstreams["sim"].Sent == 0 || l.Upstreams["sim"].P50 <= 0:
			return fmt.Sprintf("upstream sim: %+v", l.Upstreams["sim"])
		case acc.Receipts == 0 || acc.Delivered == 0:
			return fmt.Sprintf("receipts: %v in, %v delivered", acc.Receipts, acc.Delivered)
		case acc.Submits == 0 || acc.P50 <= 0 || acc.P99 < acc.P50:
			return fmt.Sprintf("account latency: p50 %v p99 %v of %d", acc.P50, acc.P99, acc.Submits)
		case acc.Binds != 1:
			return fmt.Sprintf("binds %d, want 1", acc.Binds)
		}
		during = l
		return ""
	})
	t.Logf("during the load: accepted %.0f/s, receipts %.0f/s, delivered %.0f/s, upstream sent %.0f/s, submit_sm_resp p50 %.2f ms p99 %.2f ms (%d submits), upstream p50 %.2f ms p99 %.2f ms, queue %d",
		during.Total.Accepted, during.Total.Receipts, during.Total.Delivered, during.Upstream.Sent, during.SubmitP50, during.SubmitP99, during.Submits,
		during.Upstreams["sim"].P50, during.Upstreams["sim"].P99, during.Queue)
	wg.Wait()
	if accepted.Load() != n {
		t.Fatalf("%d accepted of %d", accepted.Load(), n)
	}

	// After it: the totals add up, the history is bounded and in order,
	// and the rates fall back to 0.
	eventually(t, 20*time.Second, func() string {
		s := getStatusJSON(t, base+"/status.json")
		if len(s.Accounts) == 0 || s.Accounts[0].Accepted != n {
			return fmt.Sprintf("accounts %+v, want demo with %d accepted", s.Accounts, n)
		}
		if len(s.History) == 0 || len(s.History) > s.HistoryLen || s.HistoryLen != status.DefaultHistory {
			return fmt.Sprintf("%d samples of %d", len(s.History), s.HistoryLen)
		}
		var sum float64
		var submits uint64
		for i, h := range s.History {
			submits += h.Accounts["demo"].Submits
			if i > 0 && h.T <= s.History[i-1].T {
				return fmt.Sprintf("sample %d at %d after %d", i, h.T, s.History[i-1].T)
			}
			sum += h.Accounts["demo"].Accepted * h.Seconds
		}
		if submits != n {
			return fmt.Sprintf("the history's account latencies are of %d submits, want %d", submits, n)
		}
		if sum < n*0.95 || sum > n*1.05 {
			return fmt.Sprintf("the history's rates × seconds make %.0f accepted, want %d", sum, n)
		}
		if l := s.Latest; l.Total.Accepted != 0 || l.Upstream.Sent != 0 {
			return fmt.Sprintf("rates after the load: %+v", l.Total)
		}
		since := s.History[len(s.History)-2].T
		if h := getStatusJSON(t, fmt.Sprintf("%s/status.json?since=%d", base, since)).History; len(h) == 0 || h[0].T <= since {
			return fmt.Sprintf("since %d: %d samples", since, len(h))
		}
		return ""
	})
	if code, page := httpGet(t, base+"/"); code != 200 || !strings.Contains(page, `id="v-accepted"`) {
		t.Errorf("status page: %d", code)
	}
}

// TestStatusAndMetricsDeliveriesPending: MO messages for an account whose
// ESME is not bound wait as its deliveries pending, on the status page, in
// /status.json and as smpp_gateway_deliveries_pending in /metrics; once
// the ESME binds and takes them, both fall back to 0.
func TestStatusAndMetricsDeliveriesPending(t *testing.T) {
	a, base := inprocHTTP(t, nil)
	const n = 3
	for i := range n {
		if err := a.gw.queueDelivery("demo", &pdu.DeliverSM{SourceAddr: fmt.Sprintf("p%d", i), DestinationAddr: "1000", ShortMessage: []byte("mo")}); err != nil {
			t.Fatal(err)
		}
	}
	// pending reads the account's count on the page, in its JSON and in
	// the metrics, and says where they differ from want.
	pending := func(want int) string {
		var demo *accountJSON
		s := getStatusJSON(t, base+"/status.json")
		for i := range s.Accounts {
			if s.Accounts[i].SystemID == "demo" {
				demo = &s.Accounts[i]
			}
		}
		if demo == nil || demo.DeliveriesPending != want {
			return fmt.Sprintf("/status.json: accounts %+v, want demo with %d deliveries pending", s.Accounts, want)
		}
		_, body := httpGet(t, base+"/metrics")
		if v, ok := metricValue(body, "smpp_gateway_deliveries_pending", "system_id", "demo"); !ok || v != float64(want) {
			return fmt.Sprintf("/metrics: %v %v, want %d in\n%s", v, ok, want, grepLines(body, "deliveries_pending"))
		}
		_, page := httpGet(t, base+"/")
		if wantDiv := fmt.Sprintf(">%d deliveries pending</div>", want); !strings.Contains(page, wantDiv) {
			return fmt.Sprintf("no %s on the page", wantDiv)
		}
		return ""
	}
	// Added with a synced write before queueDelivery returned: counted at
	// the next reading of the counts (at most a second old).
	eventually(t, 10*time.Second, func() string { return pending(n) })
	var d deliveries
	dialDemo(t, a, d.handler())
	d.wait(t, n, 10*time.Second)
	// Acked when the deliver_sm_resp comes back, after the handler.
	eventually(t, 10*time.Second, func() string { return pending(0) })
}

// TestDeliveriesPendingShared: the counts are read from the queue at most
// once every pendingEvery, and shared by the page and the gauge until then.
func TestDeliveriesPendingShared(t *testing.T) {
	a, _ := inprocHTTP(t, nil)
	gw := a.gw
	first := gw.deliveriesPending()
	if first["demo"] != 0 {
		t.Fatalf("demo's count before any delivery: %d, want 0", first["demo"])
	}
	if err := gw.queueDelivery("demo", &pdu.DeliverSM{SourceAddr: "p", DestinationAddr: "1000", ShortMessage: []byte("mo")}); err != nil {
		t.Fatal(err)
	}
	gw.pending.mu.Lock()
	gw.pending.n, gw.pending.at = first, time.Now() // a reading just made, before the delivery
	gw.pending.mu.Unlock()
	if again := gw.deliveriesPending(); again["demo"] != 0 {
		t.Fatalf("a reading less than %v old was not reused: demo %d", pendingEvery, again["demo"])
	}
	gw.pending.mu.Lock()
	gw.pending.at = time.Now().Add(-pendingEvery)
	gw.pending.mu.Unlock()
	if fresh := gw.deliveriesPending(); fresh["demo"] != 1 {
		t.Fatalf("a reading %v old was reused: demo %d, want 1", pendingEvery, fresh["demo"])
	}
}
