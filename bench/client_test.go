package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
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
//	client: this module's client.SubmitAsync with OnDone keeping `window`
//	        in flight;
//	session: session.SendNotify on one bound session.Session (the engine
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

// fifo records latencies without a lock or a closure per request: the
// minimal SMSC answers in order on one connection and every row completes
// requests on one goroutine in the order the responses arrive, so the k-th
// completion answers the k-th request. sent is written before a request is
// handed over and read after its response, which orders the two.
type fifo struct {
	start time.Time
	sent  []int64 // nanoseconds since start, by request
	lat   []time.Duration
	next  int // completions so far; touched by the completing goroutine only
	cpu0  time.Duration
}

func newFifo(n int) *fifo {
	return &fifo{sent: make([]int64, n), lat: make([]time.Duration, n), cpu0: processCPU(), start: time.Now()}
}

// send records the send time of request i. Like the raw client, which stamps
// a whole batch with one clock read, it reads the clock for every eighth
// request only: the others take the stamp before them, so a latency can
// only come out longer than it was.
func (f *fifo) send(i int) {
	if i%8 == 0 {
		f.sent[i] = int64(time.Since(f.start))
	} else {
		f.sent[i] = f.sent[i-1]
	}
}

// done records the next completion.
func (f *fifo) done() {
	k := f.next
	f.next++
	f.lat[k] = time.Since(f.start) - time.Duration(f.sent[k])
}

func (f *fifo) report(b *testing.B, n int, elapsed time.Duration) {
	if f.next != n {
		b.Fatalf("%d completions, want %d", f.next, n)
	}
	// CPU of the whole process per message: this side and the minimal SMSC
	// (the same in every row), user and system time.
	b.ReportMetric(float64((processCPU()-f.cpu0).Nanoseconds())/float64(n), "cpu-ns/msg")
	slices.Sort(f.lat)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(f.lat[len(f.lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(f.lat[len(f.lat)*99/100].Microseconds()), "p99-µs")
}

func runClient(b *testing.B, addr string, clientTLS *tls.Config, window int) {
	ctx := context.Background()
	c, err := client.Dial(ctx, addr, client.Config{
		SystemID: "bench", Password: "pw", Mode: client.Transmitter, TLS: clientTLS, Session: session.Config{Window: window},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	sm := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "27820001234", ShortMessage: []byte("hello from the benchmark")}
	n := b.N
	f := newFifo(n)
	finished := make(chan struct{})
	done := func(_ *pdu.SubmitSMResp, err error) {
		if err != nil {
			b.Error(err)
		}
		f.done()
		if f.next == n {
			close(finished)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := range n {
		f.send(i)
		c.SubmitAsync(ctx, sm).OnDone(done)
	}
	<-finished
	elapsed := time.Since(start)
	b.StopTimer()
	f.report(b, n, elapsed)
}

func runGosmpp(b *testing.B, addr string, clientTLS *tls.Config, window int) {
	dialer := gosmpp.NonTLSDialer
	if clientTLS != nil {
		dialer = func(addr string) (net.Conn, error) { return tls.Dial("tcp", addr, clientTLS) }
	}
	n := b.N
	tokens := make(chan struct{}, window)
	f := newFifo(n)
	finished := make(chan struct{})
	s, err := gosmpp.NewSession(gosmpp.TXConnector(dialer, gosmpp.Auth{SMSC: addr, SystemID: "bench", Password: "pw"}),
		gosmpp.Settings{
			ReadTimeout: 30 * time.Second,
			OnPDU: func(p gpdu.PDU, _ bool) {
				if _, ok := p.(*gpdu.SubmitSMResp); ok {
					f.done()
					<-tokens
					if f.next == n {
						close(finished)
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
	for i := range n {
		sm := gpdu.NewSubmitSM().(*gpdu.SubmitSM)
		sm.SourceAddr, _ = gpdu.NewAddressWithAddr("1000")
		sm.DestAddr, _ = gpdu.NewAddressWithAddr("27820001234")
		sm.Message, _ = gpdu.NewShortMessage("hello from the benchmark")
		tokens <- struct{}{}
		f.send(i)
		if err := s.Transmitter().Submit(sm); err != nil {
			b.Fatal(err)
		}
	}
	<-finished
	elapsed := time.Since(start)
	b.StopTimer()
	f.report(b, n, elapsed)
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
	f := newFifo(n)
	finished := make(chan struct{})
	done := session.NotifierFunc(func(c *session.Call) {
		if _, err := c.Result(); err != nil {
			b.Error(err)
		}
		f.done()
		if f.next == n {
			close(finished)
		}
	})
	b.ResetTimer()
	start := time.Now()
	for i := range n {
		f.send(i)
		s.SendNotify(ctx, sm, done, nil)
	}
	<-finished
	elapsed := time.Since(start)
	b.StopTimer()
	f.report(b, n, elapsed)
}
