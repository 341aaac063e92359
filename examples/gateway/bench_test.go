package main

// BenchmarkGateway is a load run, not a timed unit benchmark: it starts the
// gateway in this process (TLS 1.3 listener, Pebble store in a temporary
// folder, embedded simulator as upstream with receipts, an unlimited account)
// and drives it with the client package over several TLS binds, reporting
// throughput and latency percentiles with b.ReportMetric.
//
//	cd examples && go test -run='^$' -bench=Gateway -benchtime=100000x ./gateway/
//
// max: b.N messages as fast as 4 binds with a window of 1000 each allow.
// rate5000: b.N messages paced at 5,000 msg/s, for the latency at a steady load.

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

func BenchmarkGateway(b *testing.B) {
	b.Run("max", func(b *testing.B) { benchGateway(b, 0) })
	b.Run("rate5000", func(b *testing.B) { benchGateway(b, 5000) })
}

type benchRecorder struct {
	mu        sync.Mutex
	submitAt  map[string]time.Time
	receiptAt map[string]time.Time
	submitLat []time.Duration
	errs      map[string]int
	receipts  int
	done      chan struct{}
	want      int
}

func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(float64(len(d)-1) * p)
	return float64(d[i]) / float64(time.Millisecond)
}

func benchGateway(b *testing.B, rate float64) {
	b.StopTimer()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := defaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.HTTPListen = ""
	cfg.DataDir = b.TempDir()
	cfg.Window = 1000
	cfg.Accounts = []AccountConfig{{SystemID: "bench", Password: "benchpw", Unlimited: true}}
	cfg.MORoutes = []MORouteConfig{{Prefix: "", Account: "bench"}}
	cfg.Simulator.DLRDelay = 0
	if err := cfg.validate(); err != nil {
		b.Fatal(err)
	}
	// start prints the banner on stdout: keep it out of the benchmark output.
	stdout := os.Stdout
	os.Stdout, _ = os.Open(os.DevNull)
	a, err := start(cfg, log, "")
	os.Stdout.Close()
	os.Stdout = stdout
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.shutdown(ctx)
	}()

	rec := &benchRecorder{submitAt: make(map[string]time.Time, b.N), receiptAt: make(map[string]time.Time, b.N),
		errs: map[string]int{}, done: make(chan struct{}), want: b.N}
	ccfg := client.Config{
		SystemID: "bench", Password: "benchpw", Session: session.Config{Window: 1000}, Spread: true,
		TLS:    &tls.Config{InsecureSkipVerify: true},
		Logger: log,
		Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
			if d.Receipt == nil {
				return nil
			}
			now := time.Now()
			id := string([]byte(d.Receipt.ID))
			rec.mu.Lock()
			rec.receiptAt[id] = now
			rec.receipts++
			if rec.receipts == rec.want {
				close(rec.done)
			}
			rec.mu.Unlock()
			return nil
		}),
	}
	const binds = 4
	for i := 1; i < binds; i++ {
		ccfg.Endpoints = append(ccfg.Endpoints, client.Endpoint{Addr: a.Addr})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := client.Dial(ctx, a.Addr, ccfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	for len(c.Stats()) < binds || !allUp(c) {
		time.Sleep(10 * time.Millisecond)
	}

	var wg sync.WaitGroup
	wg.Add(b.N)
	b.ResetTimer()
	b.StartTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if rate > 0 {
			if d := time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))); d > 0 {
				time.Sleep(d)
			}
		}
		sm := &pdu.SubmitSM{SourceAddr: "1000", DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "254700000001",
			RegisteredDelivery: 1, ShortMessage: []byte("SMPP gateway benchmark message")}
		at := time.Now()
		c.SubmitAsync(ctx, sm).OnDone(func(r *pdu.SubmitSMResp, err error) {
			now := time.Now()
			rec.mu.Lock()
			if err != nil {
				rec.errs[err.Error()]++
			} else {
				rec.submitAt[r.MessageID] = at
				rec.submitLat = append(rec.submitLat, now.Sub(at))
			}
			rec.mu.Unlock()
			wg.Done()
		})
	}
	wg.Wait()
	submitted := time.Since(start)
	select {
	case <-rec.done:
	case <-time.After(2 * time.Minute):
		b.Errorf("%d of %d receipts after 2 minutes", rec.receipts, b.N)
	}
	all := time.Since(start)
	b.StopTimer()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.errs) > 0 {
		b.Errorf("submit errors: %v", rec.errs)
	}
	var rl []time.Duration
	for id, t := range rec.receiptAt {
		if s, ok := rec.submitAt[id]; ok {
			rl = append(rl, t.Sub(s))
		}
	}
	b.ReportMetric(float64(len(rec.submitLat))/submitted.Seconds(), "submits/s")
	b.ReportMetric(float64(rec.receipts)/all.Seconds(), "msgs+receipts/s")
	b.ReportMetric(percentile(rec.submitLat, 0.50), "resp-p50-ms")
	b.ReportMetric(percentile(rec.submitLat, 0.99), "resp-p99-ms")
	b.ReportMetric(percentile(rl, 0.50), "dlr-p50-ms")
	b.ReportMetric(percentile(rl, 0.99), "dlr-p99-ms")
}

func allUp(c *client.Client) bool {
	for _, s := range c.Stats() {
		if !s.Up {
			return false
		}
	}
	return true
}
