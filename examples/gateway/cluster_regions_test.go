package main

// The cluster stretched over three sites (the default topology):
// node a in region A, node b in region B, the third NATS server n3 on a
// small third site, every route between two sites through a proxy that
// adds the regions' delay.

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// latencies sends submit_sm at rate for d and returns the submit_sm_resp
// latency of each message accepted, sorted, and the count of each answer.
func latencies(t *testing.T, e *esme, rate int, d time.Duration) ([]time.Duration, map[string]int) {
	t.Helper()
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	const tick = 10 * time.Millisecond
	perTick := max(1, rate*int(tick)/int(time.Second))
	start := time.Now()
	n := 0
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for el := time.Duration(0); el < d; el = time.Since(start) {
		for want := int(el/tick+1) * perTick; n < want; n++ {
			wg.Add(1)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			at := time.Now()
			e.submit(ctx, fmt.Sprintf("lat %d", n), func() {
				took := time.Since(at)
				mu.Lock()
				lat = append(lat, took)
				mu.Unlock()
				cancel()
				wg.Done()
			})
		}
		<-tk.C
	}
	wg.Wait()
	slices.Sort(lat)
	_, st, _ := e.snapshot()
	return lat, st
}

func pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return lat[min(len(lat)-1, int(float64(len(lat))*p))].Round(100 * time.Microsecond)
}

func TestClusterRegions(t *testing.T) {
	t.Parallel()
	tc := startTestCluster(t, clusterOpts{regions: true})
	a := tc.node("a")

	// The ESME talks to node a in its own region; what the regions' delay
	// adds is the replication of each write (a quorum of two of the three
	// sites) and, for a stream whose leader is elsewhere, the way there.
	e := newESME(t, esmeOpts{addr: a.PlainAddr, systemID: "load", password: "loadpw"})
	lat0, _ := latencies(t, e, 200, 2*time.Second)
	tc.setDelay(20 * time.Millisecond)
	time.Sleep(2 * time.Second) // the connections' buffers drain at the new pace
	lat20, st20 := latencies(t, e, 200, 2*time.Second)
	t.Logf("submit_sm_resp at 200 msg/s on node a: sites on loopback p50 %v p99 %v; 20 ms each way between sites p50 %v p99 %v (%v)",
		pct(lat0, 0.5), pct(lat0, 0.99), pct(lat20, 0.5), pct(lat20, 0.99), st20)
	if pct(lat20, 0.5) < 20*time.Millisecond {
		t.Errorf("p50 %v with 20 ms between the sites: a submit_sm_resp waits for a write replicated to another site, at least 40 ms", pct(lat20, 0.5))
	}
	if missing := e.waitReceipts(60 * time.Second); len(missing) > 0 {
		t.Fatalf("%d messages without a receipt with 20 ms between the sites", len(missing))
	}

	// Region B is lost (its node and NATS server killed) under load on
	// node a: a and n3 keep the quorum, nothing acknowledged is lost.
	// (One ESME all along: the account's receipts go to its binds.)
	el := e
	before, _, _ := el.snapshot()
	var lostAt time.Time
	n := el.load(t, 200, 6*time.Second, func(d time.Duration) {
		if lostAt.IsZero() && d >= 2*time.Second {
			tc.node("b").kill9()
			lostAt = time.Now()
		}
	})
	acked, st, _ := el.snapshot()
	acked = acked[len(before):]
	t.Logf("region B lost 2 s into 6 s at 200 msg/s on node a, 20 ms between the sites: %d submits, %v", n, st)
	if missing := el.waitReceipts(90 * time.Second); len(missing) > 0 {
		tc.diagnoseMissing(t, missing)
		t.Errorf("%d of %d acknowledged messages without a receipt after region B was lost", len(missing), len(acked))
	}
	el.mu.Lock()
	var after []string
	first := time.Time{}
	for _, id := range acked {
		if at := el.sentAt[id]; at.After(lostAt) {
			after = append(after, id)
			if first.IsZero() || at.Before(first) {
				first = at
			}
		}
	}
	el.mu.Unlock()
	if len(after) == 0 {
		t.Errorf("node a accepted nothing after region B was lost: the quorum of a and n3 should carry on")
	} else {
		t.Logf("node a accepted again %v after region B was lost (%d messages after)", first.Sub(lostAt).Round(time.Millisecond), len(after))
	}
	all, _, _ := el.snapshot()
	checkNeverFenced(t, a)
	checkExactlyOnceUpstream(t, viewJournal(t, tc.journal), all)
}
