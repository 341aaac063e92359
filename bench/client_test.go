package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/linxGnu/gosmpp"
	gpdu "github.com/linxGnu/gosmpp/pdu"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// BenchmarkClientSubmit measures one transmitter bind on loopback against the
// minimal stdlib SMSC of server_test.go (startSMSC "limit"), side by side:
//
//	raw:    the pipelined stdlib client of server_test.go (the limit);
//	client: this module's client.SubmitFunc keeping `window` in flight;
//	session: session.SendFunc on one bound session.Session (the engine
//	        under the client, without the client's bookkeeping);
//	gosmpp: github.com/linxGnu/gosmpp v0.3.1, Submit with an OnPDU callback
//	        and a semaphore of `window`.
//
// It reports msgs/s and the p50/p99 latency of submit_sm_resp.
func BenchmarkClientSubmit(b *testing.B) {
	for _, secure := range []bool{false, true} {
		for _, window := range []int{100, 1000} {
			for _, kind := range []string{"raw", "client", "session", "gosmpp"} {
				name := fmt.Sprintf("%s/%s/w%d", map[bool]string{false: "plain", true: "tls13"}[secure], kind, window)
				b.Run(name, func(b *testing.B) {
					addr, clientTLS, stop := startSMSC(b, "limit", secure)
					defer stop()
					switch kind {
					case "raw":
						runPipelined(b, addr, clientTLS, window)
					case "client":
						runClient(b, addr, clientTLS, window)
					case "session":
						runSession(b, addr, clientTLS, window)
					case "gosmpp":
						runGosmpp(b, addr, clientTLS, window)
					}
				})
			}
		}
	}
}

// latencies collects per-request latencies from many goroutines cheaply.
type latencies struct {
	mu   sync.Mutex
	all  []time.Duration
	cpu0 time.Duration // process CPU time when the run started
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, n int, elapsed time.Duration) {
	slices.Sort(l.all)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	// CPU of the whole process per message: this side and the minimal SMSC
	// (the same in every row), user and system time.
	b.ReportMetric(float64((processCPU()-l.cpu0).Nanoseconds())/float64(n), "cpu-ns/msg")
	if len(l.all) > 0 {
		b.ReportMetric(float64(l.all[len(l.all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(l.all[len(l.all)*99/100].Microseconds()), "p99-µs")
	}
}

func runClient(b *testing.B, addr string, clientTLS *tls.Config, window int) {
	ctx := context.Background()
	c, err := client.Dial(ctx, addr, client.Config{
		SystemID: "bench", Password: "pw", Mode: client.Transmitter, TLS: clientTLS, Window: window,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	sm := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "27820001234", ShortMessage: []byte("hello from the benchmark")}
	n := b.N
	lat := &latencies{all: make([]time.Duration, 0, n), cpu0: processCPU()}
	var wg sync.WaitGroup
	wg.Add(n)
	b.ResetTimer()
	start := time.Now()
	for range n {
		t0 := time.Now()
		c.SubmitFunc(ctx, sm, func(_ *pdu.SubmitSMResp, err error) {
			if err != nil {
				b.Error(err)
			}
			lat.add(time.Since(t0))
			wg.Done()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	lat.report(b, n, elapsed)
}

func runGosmpp(b *testing.B, addr string, clientTLS *tls.Config, window int) {
	dialer := gosmpp.NonTLSDialer
	if clientTLS != nil {
		dialer = func(addr string) (net.Conn, error) { return tls.Dial("tcp", addr, clientTLS) }
	}
	n := b.N
	tokens := make(chan struct{}, window)
	lat := &latencies{all: make([]time.Duration, 0, n), cpu0: processCPU()}
	var mu sync.Mutex
	sent := make(map[int32]time.Time, window)
	var wg sync.WaitGroup
	wg.Add(n)
	s, err := gosmpp.NewSession(gosmpp.TXConnector(dialer, gosmpp.Auth{SMSC: addr, SystemID: "bench", Password: "pw"}),
		gosmpp.Settings{
			ReadTimeout: 30 * time.Second,
			OnPDU: func(p gpdu.PDU, _ bool) {
				if r, ok := p.(*gpdu.SubmitSMResp); ok {
					mu.Lock()
					t0, ok := sent[r.SequenceNumber]
					delete(sent, r.SequenceNumber)
					mu.Unlock()
					if ok {
						lat.add(time.Since(t0))
						<-tokens
						wg.Done()
					}
				}
			},
			OnSubmitError: func(_ gpdu.PDU, err error) { b.Error(err) },
		}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	start := time.Now()
	for range n {
		sm := gpdu.NewSubmitSM().(*gpdu.SubmitSM)
		sm.SourceAddr, _ = gpdu.NewAddressWithAddr("1000")
		sm.DestAddr, _ = gpdu.NewAddressWithAddr("27820001234")
		sm.Message, _ = gpdu.NewShortMessage("hello from the benchmark")
		tokens <- struct{}{}
		mu.Lock()
		sent[sm.SequenceNumber] = time.Now()
		mu.Unlock()
		if err := s.Transmitter().Submit(sm); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	lat.report(b, n, elapsed)
}

func runSession(b *testing.B, addr string, clientTLS *tls.Config, window int) {
	var conn net.Conn
	var err error
	if clientTLS != nil {
		conn, err = tls.Dial("tcp", addr, clientTLS)
	} else {
		conn, err = net.Dial("tcp", addr)
	}
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s := session.New(conn, session.Config{Window: window, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer s.Close()
	if _, err := s.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "bench", Password: "pw"}); err != nil {
		b.Fatal(err)
	}
	sm := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "27820001234", ShortMessage: []byte("hello from the benchmark")}
	n := b.N
	lat := &latencies{all: make([]time.Duration, 0, n), cpu0: processCPU()}
	var wg sync.WaitGroup
	wg.Add(n)
	b.ResetTimer()
	start := time.Now()
	for range n {
		t0 := time.Now()
		if err := s.SendFunc(ctx, sm, func(c *session.Call) {
			if _, err := c.Result(); err != nil {
				b.Error(err)
			}
			lat.add(time.Since(t0))
			wg.Done()
		}); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	lat.report(b, n, elapsed)
}
