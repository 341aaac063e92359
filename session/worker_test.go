package session

import (
	"context"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// Handler goroutines started by a burst of concurrent requests wait for
// work, and are retired after workerIdle while the session lives on.
func TestIdleWorkersRetired(t *testing.T) {
	defer func(d time.Duration) { workerIdle = d }(workerIdle)
	workerIdle = 300 * time.Millisecond
	release := make(chan struct{})
	var started sync.WaitGroup
	const n = 20
	started.Add(n)
	var burst atomic.Int32
	burst.Store(n)
	a, b := net.Pipe()
	srv := New(a, Config{Role: SMSC, Handler: HandlerFunc(func(w ResponseWriter, r *Request) {
		if burst.Add(-1) >= 0 {
			started.Done()
			<-release
		}
		w.Respond(&pdu.SubmitSMResp{MessageID: "x"}, pdu.ESME_ROK)
	})})
	cli := New(b, Config{Role: ESME})
	ctx := context.Background()
	if _, err := cli.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "u"}); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	calls := make([]*Call, n)
	for i := range calls {
		calls[i] = cli.SendAsync(ctx, &pdu.SubmitSM{DestinationAddr: "1"})
	}
	started.Wait() // n handlers at once: n workers
	close(release)
	for _, c := range calls {
		if _, err := c.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// They finish their responses and wait for work (retired within
	// workerIdle of the first one's start at the earliest).
	for i := 0; srv.idleWorkers.Load() < n/2; i++ {
		if i == 100 {
			t.Fatalf("%d workers wait for work after the burst of %d", srv.idleWorkers.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.idleWorkers.Load() != 0 || runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %d workers still idle, %d goroutines (%d before the burst)",
				5*time.Second, srv.idleWorkers.Load(), runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// With no worker left, no timer runs.
	for i := 0; srv.retiring.Load(); i++ {
		if i == 200 {
			t.Fatal("the retiring timer still runs with no worker left")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The session still serves requests.
	if _, err := cli.Send(ctx, &pdu.SubmitSM{DestinationAddr: "1"}); err != nil {
		t.Fatal(err)
	}
	cli.Unbind(ctx)
	srv.Wait()
}
