package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
)

// TestHTTPRateShared: an account's rate is one budget for its SMPP binds
// and its HTTP requests. Both send over the rate at once (150 msg/s each
// against a rate of 100 with a burst of 10, shaping off): the HTTP side
// gets 429 with Retry-After, the SMPP side ESME_RTHROTTLED, and the
// messages accepted on both sides together are within what a token bucket
// can give over the time they were sent in: burst + rate × elapsed, with
// 2 % for the clocks (a bound, not a timing: two budgets would give about
// twice as much).
func TestHTTPRateShared(t *testing.T) {
	t.Parallel()
	const rate, burst, offered, secs = 100, 10, 150, 4
	conf := gwConf{Accounts: "  - {system_id: test, password: secret, rate: 100, burst: 10, shaping: false}\n"}.yaml(t) +
		"http_api: {listen: \"127.0.0.1:0\"}\n"
	g := startGatewayConfig(t, conf)
	base := "http://" + g.apiAddr(t)
	// An ESME that keeps offering its rate when throttled (the client's
	// adaptive pause and rate reduction made as small as they go).
	dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer dcancel()
	c, err := client.Dial(dctx, g.PlainAddr, client.Config{SystemID: "test", Password: "secret", Mode: client.Transmitter,
		ThrottleBackoff: time.Nanosecond, MinRate: 100000, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Close(ctx)
	}()
	var smppOK, smppThrottled, smppOther atomic.Int64
	// Warm up the Basic credentials' cache (one bcrypt) before the clock starts.
	if r := api(t, "GET", base+"/v1/messages/none", "test", "secret", ""); r.status != 404 {
		t.Fatalf("GET: %d %s", r.status, r.body)
	}
	time.Sleep(200 * time.Millisecond) // the bucket full again

	var httpOK, http429 atomic.Int64
	var retryAfter atomic.Value
	var smppDone sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // SMPP: offered msg/s, asynchronous
		defer wg.Done()
		tick := time.NewTicker(time.Second / offered)
		defer tick.Stop()
		for i := 0; i < offered*secs; i++ {
			<-tick.C
			smppDone.Add(1)
			sm := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("smpp " + strconv.Itoa(i))}
			c.SubmitAsync(ctx, sm).OnDone(func(_ *pdu.SubmitSMResp, err error) {
				defer smppDone.Done()
				switch {
				case err == nil:
					smppOK.Add(1)
				case errors.Is(err, pdu.ESME_RTHROTTLED):
					smppThrottled.Add(1)
				default:
					smppOther.Add(1)
					t.Errorf("SMPP submit: %v", err)
				}
			})
		}
	}()
	go func() { // HTTP: offered requests/s, 8 at a time
		defer wg.Done()
		tick := time.NewTicker(time.Second / offered)
		defer tick.Stop()
		sem := make(chan struct{}, 8)
		var inner sync.WaitGroup
		for i := 0; i < offered*secs; i++ {
			<-tick.C
			sem <- struct{}{}
			inner.Add(1)
			go func() {
				defer inner.Done()
				defer func() { <-sem }()
				r := api(t, "POST", base+"/v1/messages", "test", "secret", `{"from":"1000","to":"254700000001","text":"http"}`)
				switch r.status {
				case 201:
					httpOK.Add(1)
				case 429:
					http429.Add(1)
					retryAfter.Store(r.header.Get("Retry-After"))
				default:
					t.Errorf("HTTP send: %d %s", r.status, r.body)
				}
			}()
		}
		inner.Wait()
	}()
	wg.Wait()
	smppDone.Wait()
	elapsed := time.Since(start)
	total := httpOK.Load() + smppOK.Load()
	st := fmt.Sprintf("%d accepted, %d ESME_RTHROTTLED", smppOK.Load(), smppThrottled.Load())
	bound := (float64(burst) + rate*elapsed.Seconds()) * 1.02
	t.Logf("in %v: HTTP %d accepted, %d answered 429 (Retry-After %v); SMPP %v; together %d accepted, the bucket allows at most %.0f",
		elapsed.Round(time.Millisecond), httpOK.Load(), http429.Load(), retryAfter.Load(), st, total, bound)
	if float64(total) > bound {
		t.Errorf("%d messages accepted in %v: over burst + rate × elapsed = %.0f: the two sides do not share one budget", total, elapsed, bound)
	}
	if httpOK.Load() == 0 || smppOK.Load() == 0 || http429.Load() == 0 || smppThrottled.Load() == 0 {
		t.Errorf("both sides must get some through and some refused: HTTP %d/%d, SMPP %v", httpOK.Load(), http429.Load(), st)
	}
	if ra, _ := retryAfter.Load().(string); ra == "" || ra == "0" {
		t.Errorf("429 without a Retry-After: %q", ra)
	}
}
