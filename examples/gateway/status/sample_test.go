package status

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestSampleRingBounded(t *testing.T) {
	r := newSampleRing(5)
	if h, l := r.since(0); len(h) != 0 || l != nil {
		t.Fatalf("empty ring: %d samples, latest %v", len(h), l)
	}
	charted := []string{"a", "b"}
	for i := 1; i <= 12; i++ {
		r.add(&Sample{T: int64(i), Accounts: map[string]AccountSample{"a": {}, "b": {}, "c": {Accepted: float64(i)}}}, charted)
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

func near(got, want float64) bool { return math.Abs(got-want) < 1e-9 }

// TestSampleRates: a sample is the counters' change over its interval, per
// second, per account and upstream and summed; the percentiles are of
// what the histograms counted in it (not before New); binds, in-flight
// submits, the queue and the receipts waiting are those of its end; the
// history keeps the charted accounts only.
func TestSampleRates(t *testing.T) {
	src := newFakeSource()
	var demoLat, simLat Latency
	demoLat.Observe(time.Hour) // before New: in no sample
	src.submit.Observe(time.Hour)
	src.set(func(f *fakeSource) {
		f.accounts = []Account{
			{SystemID: "demo", Rate: 100, Sessions: []Session{{"127.0.0.1:1", "BOUND_TRX"}, {"127.0.0.1:2", "BOUND_RX"}}, Receivers: 2, Latency: &demoLat},
			{SystemID: "idle"},
		}
		f.upstreams = []Upstream{
			{Name: "sim", BindsUp: 1, Binds: []Bind{{"a:1", "bind_transceiver", true, 3}, {"a:1", "bind_transceiver", false, 0}}, Latency: &simLat},
			{Name: "alt", BindsUp: 1, Binds: []Bind{{"b:1", "bind_transmitter", true, 1}}},
		}
		f.totals.Accounts["demo"] = AccountTotal{Accepted: 1000, Throttled: 10, Rejected: 1, Delivered: 500, DeliveryFailed: 2, Receipts: 600}
		f.totals.Upstreams["sim"] = UpstreamTotal{Sent: 900, Failed: 5, Retries: 4}
	})
	p := New(src, Config{Charted: 1})
	t0 := p.prevT

	src.set(func(f *fakeSource) {
		f.totals.Accounts["demo"] = AccountTotal{Accepted: 1200, Throttled: 14, Rejected: 1, Delivered: 700, DeliveryFailed: 2, Receipts: 800}
		f.totals.Accounts["idle"] = AccountTotal{Rejected: 2}
		f.totals.Upstreams["sim"] = UpstreamTotal{Sent: 1100, Failed: 7, Retries: 6}
		f.totals.Upstreams["alt"] = UpstreamTotal{Sent: 20}
		f.queue, f.waiting = 12, 3
	})
	for i := 0; i < 100; i++ {
		demoLat.Observe(2 * time.Millisecond)
		src.submit.Observe(2 * time.Millisecond)
		simLat.Observe(10 * time.Millisecond)
	}
	s := p.Sample(t0.Add(2 * time.Second))
	if s.T != t0.Add(2*time.Second).UnixMilli() || !near(s.Seconds, 2) {
		t.Errorf("t %d, %v s; want %d, 2 s", s.T, s.Seconds, t0.Add(2*time.Second).UnixMilli())
	}
	demo := s.Accounts["demo"]
	want := AccountSample{Accepted: 100, Throttled: 2, Delivered: 100, Receipts: 100, Binds: 2, Submits: 100}
	if !near(demo.Accepted, want.Accepted) || !near(demo.Throttled, want.Throttled) || demo.Rejected != 0 || !near(demo.Delivered, want.Delivered) ||
		demo.DeliveryFailed != 0 || !near(demo.Receipts, want.Receipts) || demo.Binds != 2 || demo.Submits != 100 {
		t.Errorf("demo %+v, want rates %+v", demo, want)
	}
	if demo.P50 < 1.7 || demo.P50 > 2.3 || demo.P99 < demo.P50 || demo.P99 > 2.3 {
		t.Errorf("demo p50 %v p99 %v, want about 2 ms (the hour before New not counted)", demo.P50, demo.P99)
	}
	if idle := s.Accounts["idle"]; !near(idle.Rejected, 1) || idle.Submits != 0 || idle.P50 != 0 {
		t.Errorf("idle %+v, want 1 rejected/s and no percentiles", idle)
	}
	if !near(s.Total.Accepted, 100) || !near(s.Total.Rejected, 1) || s.Total.Binds != 2 {
		t.Errorf("total %+v", s.Total)
	}
	if s.Submits != 100 || s.SubmitP50 < 1.7 || s.SubmitP50 > 2.3 {
		t.Errorf("submit p50 %v of %d, want about 2 ms of 100", s.SubmitP50, s.Submits)
	}
	sim := s.Upstreams["sim"]
	if !near(sim.Sent, 100) || !near(sim.Failed, 1) || !near(sim.Retries, 1) || sim.BindsUp != 1 || sim.Binds != 2 || sim.InFlight != 3 ||
		sim.Answered != 100 || sim.P50 < 8.5 || sim.P50 > 11.5 {
		t.Errorf("sim %+v", sim)
	}
	if alt := s.Upstreams["alt"]; !near(alt.Sent, 10) || alt.Answered != 0 || alt.P50 != 0 {
		t.Errorf("alt %+v, want 10 sent/s and no percentiles", alt)
	}
	if u := s.Upstream; !near(u.Sent, 110) || u.BindsUp != 2 || u.Binds != 3 || u.InFlight != 4 || u.Answered != 100 {
		t.Errorf("upstream total %+v", u)
	}
	if s.Queue != 12 || s.ReceiptsWaiting != 3 {
		t.Errorf("queue %d, receipts waiting %d; want 12, 3", s.Queue, s.ReceiptsWaiting)
	}

	// The next: nothing new is 0 everywhere; a counter that went back
	// (a restart of its source) is 0, not negative; a queue that cannot
	// say is 0.
	src.set(func(f *fakeSource) {
		f.totals.Accounts["demo"] = AccountTotal{Accepted: 5}
		f.queueErr = errNoQueue
	})
	s2 := p.Sample(t0.Add(3 * time.Second))
	if a := s2.Accounts["demo"]; a.Accepted != 0 || a.Delivered != 0 || a.Submits != 0 || s2.Submits != 0 || s2.Queue != 0 || s2.Upstream.Sent != 0 {
		t.Errorf("second sample: demo %+v, submits %d, queue %d, sent %v; want all 0", a, s2.Submits, s2.Queue, s2.Upstream.Sent)
	}

	// The history keeps the charted account (Charted 1: demo); the
	// latest sample has both.
	kept, latest := p.History(0)
	if len(kept) != 2 || kept[0].T != s.T || latest != s2 {
		t.Fatalf("history %d samples, latest %p; want 2, %p", len(kept), latest, s2)
	}
	for _, k := range kept {
		if _, ok := k.Accounts["idle"]; ok || len(k.Accounts) != 1 {
			t.Errorf("a kept sample's accounts %v, want demo only", k.Accounts)
		}
	}
	if len(latest.Accounts) != 2 {
		t.Errorf("the latest sample's accounts %v, want both", latest.Accounts)
	}
}

// TestRunConcurrent: the sampler, observations and requests at once (run
// with -race); Run returns when its context ends.
func TestRunConcurrent(t *testing.T) {
	src := newFakeSource()
	var lat Latency
	src.set(func(f *fakeSource) {
		f.accounts = []Account{{SystemID: "demo", Latency: &lat}}
		f.upstreams = []Upstream{{Name: "sim", Latency: &lat}}
	})
	p := New(src, Config{Interval: 5 * time.Millisecond, History: 8})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.Run(ctx)
	}()
	deadline := time.Now().Add(200 * time.Millisecond)
	for i := 0; time.Now().Before(deadline); i++ {
		lat.Observe(time.Duration(i) * time.Microsecond)
		src.submit.Observe(time.Millisecond)
		src.set(func(f *fakeSource) {
			a := f.totals.Accounts["demo"]
			a.Accepted++
			f.totals.Accounts["demo"] = a
		})
		if i%50 == 0 {
			for _, u := range []string{"/", "/status.json", "/status.json?since=0"} {
				w := httptest.NewRecorder()
				p.ServeHTTP(w, httptest.NewRequest(http.MethodGet, u, nil))
				if w.Code != http.StatusOK {
					t.Fatalf("%s: %d", u, w.Code)
				}
			}
		}
		time.Sleep(100 * time.Microsecond)
	}
	cancel()
	wg.Wait()
	kept, latest := p.History(0)
	if len(kept) == 0 || len(kept) > 8 || latest == nil {
		t.Errorf("%d samples kept (at most 8), latest %v", len(kept), latest)
	}
}

// The sampler reads no deliveries (Source.DeliveriesPending may read the
// store): only the page and its data ask for them, once per request.
func TestSampleReadsNoPending(t *testing.T) {
	src := pageSource()
	p, _ := sampled(src, 3)
	if n := src.pendingReads; n != 0 {
		t.Fatalf("%d reads of the deliveries pending by the sampler, want 0", n)
	}
	if w := get(t, p, "/status.json"); w.Code != 200 {
		t.Fatalf("/status.json: %d", w.Code)
	}
	if n := src.pendingReads; n != 1 {
		t.Fatalf("%d reads of the deliveries pending for one /status.json, want 1", n)
	}
}
