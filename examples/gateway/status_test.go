package main

// Tests of the status page's data: the latency histogram (its
// percentiles, and no allocation on the submit path), the sampler's ring
// (bounded, oldest first, ?since), and /status.json on the wire under a
// bounded load.

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
	"github.com/esmsafrica/smpp/pdu"
)

func TestLatencyHistPercentiles(t *testing.T) {
	var h latencyHist
	var zero, cur latencyCounts
	// 1..1000 µs, one each: p50 is 500 µs, p99 990 µs.
	for i := 1; i <= 1000; i++ {
		h.observe(time.Duration(i) * time.Microsecond)
	}
	h.snapshot(&cur)
	ps, n := latencyPercentiles(&cur, &zero, 0.5, 0.99, 1)
	if n != 1000 {
		t.Fatalf("%d observations, want 1000", n)
	}
	for i, want := range []float64{0.5, 0.99, 1.0} {
		if ps[i] < want*0.85 || ps[i] > want*1.15 {
			t.Errorf("percentile %d: %.3f ms, want %.3f ms ± 15 %%", i, ps[i], want)
		}
	}
	// Only what came after the first snapshot counts.
	prev := cur
	for i := 0; i < 10; i++ {
		h.observe(50 * time.Millisecond)
	}
	h.snapshot(&cur)
	ps, n = latencyPercentiles(&cur, &prev, 0.5)
	if n != 10 || ps[0] < 42 || ps[0] > 58 {
		t.Errorf("after 10 × 50 ms: p50 %.2f ms of %d, want about 50 ms of 10", ps[0], n)
	}
	if ps, n := latencyPercentiles(&cur, &cur, 0.5); n != 0 || ps[0] != 0 {
		t.Errorf("nothing new: %v of %d, want 0 of 0", ps, n)
	}
	if i := latencyBucket(1<<64 - 1); i >= latencyBuckets {
		t.Errorf("the longest duration in bucket %d of %d", i, latencyBuckets)
	}
	// Every bucket's bounds contain the values it counts.
	for _, ns := range []uint64{0, 1, 3, 4, 7, 8, 1000, 1023, 1024, 123456789, 1 << 40} {
		i := latencyBucket(ns)
		lo, hi := latencyBounds(i)
		if float64(ns) < lo || float64(ns) >= hi {
			t.Errorf("%d ns in bucket %d [%g, %g)", ns, i, lo, hi)
		}
	}
}

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

func TestSampleRingBounded(t *testing.T) {
	r := newSampleRing(5)
	if h, l := r.since(0); len(h) != 0 || l != nil {
		t.Fatalf("empty ring: %d samples, latest %v", len(h), l)
	}
	charted := []string{"a", "b"}
	for i := 1; i <= 12; i++ {
		r.add(&statusSample{T: int64(i), Accounts: map[string]accountSample{"a": {}, "b": {}, "c": {Accepted: float64(i)}}}, charted)
	}
	h, l := r.since(0)
	if len(h) != 5 {
		t.Fatalf("%d samples held, want the ring's 5", len(h))
	}
	for i, s := range h {
		if s.T != int64(8+i) {
			t.Errorf("sample %d: t %d, want %d (oldest first)", i, s.T, 8+i)
		}
		if _, ok := s.Accounts["c"]; ok || len(s.Accounts) != 2 {
			t.Errorf("sample %d holds accounts %v, want only the charted a and b", i, s.Accounts)
		}
	}
	if l == nil || l.T != 12 || l.Accounts["c"].Accepted != 12 {
		t.Errorf("latest %+v, want t 12 with every account", l)
	}
	if h, _ := r.since(10); len(h) != 2 || h[0].T != 11 {
		t.Errorf("since 10: %d samples, want 11 and 12", len(h))
	}
}

// statusJSON is what the test reads of /status.json.
type statusJSON struct {
	Ready      bool            `json:"ready"`
	HistoryLen int             `json:"history_len"`
	Accounts   []accountJSON   `json:"accounts"`
	Latest     *statusSample   `json:"latest"`
	History    []*statusSample `json:"history"`
}

type accountJSON struct {
	SystemID string `json:"system_id"`
	Accepted uint64 `json:"accepted"`
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
	var during *statusSample
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
		if len(s.History) == 0 || len(s.History) > s.HistoryLen || s.HistoryLen != statusHistory {
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
