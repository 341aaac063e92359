package main

// A site cut off while its processes live: node a's NATS server loses its
// routes to b and n3 (the proxies close them and refuse new ones) while
// the gateway process, its ESMEs and the operator still reach it. b and n3
// keep the quorum; a is in the minority. Then, healed, a partial
// partition: a and b cut from each other, each still reaching n3.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
)

// partitionMaxCut bounds how long the test keeps node a cut off while it
// waits for what a acknowledged to reach the upstream through b: the
// tickets' lease (15 s) and the upstream bind slots' TTL (6 s), with room
// for a loaded machine.
const partitionMaxCut = 60 * time.Second

// partitionMinCut is the least the cut lasts, so that the test sees a stay
// fenced for a while even when what it held is forwarded early.
const partitionMinCut = 10 * time.Second

func TestClusterPartition(t *testing.T) {
	t.Parallel()
	tc := startTestCluster(t, clusterOpts{regions: true})
	a, b := tc.node("a"), tc.node("b")
	ea := newESME(t, esmeOpts{addr: a.PlainAddr, systemID: "load", password: "loadpw"})
	eb := newESME(t, esmeOpts{addr: b.PlainAddr, systemID: "load", password: "loadpw"})

	// Load on both nodes: 100 msg/s each; a is cut off 3 s in, b's load goes
	// on through the cut.
	var cutAt time.Time
	var cutMu sync.Mutex
	cut := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		ea.load(t, 100, 8*time.Second, func(el time.Duration) {
			if el >= 3*time.Second && cutAt.IsZero() {
				tc.cutSite("a", true)
				cutMu.Lock()
				cutAt = time.Now()
				cutMu.Unlock()
				close(cut)
			}
		})
	}()
	go func() {
		defer wg.Done()
		eb.load(t, 100, 15*time.Second, nil)
	}()
	<-cut

	// While cut off, a says it is not ready, and why; a new bind is refused
	// (the ESMEs go to b).
	var notReadyAfter time.Duration
	for {
		code, body := readyz(a.HTTPAddr)
		if code == http.StatusServiceUnavailable && strings.Contains(body, "cluster:") {
			notReadyAfter = time.Since(cutAt)
			t.Logf("node a not ready %v after the cut:\n%s", notReadyAfter.Round(time.Millisecond), body)
			break
		}
		if time.Since(cutAt) > 15*time.Second {
			t.Errorf("node a cut off from the quorum 15 s ago: /readyz %d %q, want 503 with a cluster: reason", code, body)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st := bindStatus(t, a.PlainAddr); st == pdu.ESME_ROK {
		t.Errorf("a bind to node a while it is cut off from the quorum: accepted, want refused")
	} else {
		t.Logf("a bind to node a while cut off: %v", st)
	}

	// Everything a acknowledged reaches the upstream through b while a is
	// still cut off.
	wg.Wait() // both loads answered
	ackedA, stA, _ := ea.snapshot()
	var lastUp time.Time
	var notUp []string
	for {
		v := viewJournal(t, tc.journal)
		notUp = notUp[:0]
		for _, id := range ackedA {
			if len(v.newByKey[id]) == 0 {
				notUp = append(notUp, id)
			}
		}
		el := time.Since(cutAt)
		if len(notUp) == 0 && el >= partitionMinCut {
			break
		}
		if el >= partitionMaxCut {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	byKey := map[string]time.Time{}
	for _, e := range readJournal(t, tc.journal) {
		if e.Ev == "submit" && !e.Dup {
			if _, ok := byKey[e.Key]; !ok {
				byKey[e.Key] = e.T
			}
		}
	}
	afterCut, afterFence := 0, 0
	ea.mu.Lock()
	for _, id := range ackedA {
		if ea.sentAt[id].After(cutAt) {
			afterCut++
		}
		if notReadyAfter > 0 && ea.sentAt[id].After(cutAt.Add(notReadyAfter)) {
			afterFence++
		}
		if at, ok := byKey[id]; ok && at.After(lastUp) {
			lastUp = at
		}
	}
	ea.mu.Unlock()
	t.Logf("node a: %d submits acknowledged (%d sent after the cut), answers %v; the last of them reached the upstream %v after the cut",
		len(ackedA), afterCut, stA, lastUp.Sub(cutAt).Round(time.Millisecond))
	if afterFence > 0 {
		t.Errorf("node a acknowledged %d submits sent after it said it had no quorum", afterFence)
	}
	if len(notUp) > 0 {
		tc.diagnoseMissing(t, notUp)
		t.Errorf("%d of %d messages acknowledged by node a had not reached the upstream %v after a was cut off, e.g. %v",
			len(notUp), len(ackedA), time.Since(cutAt).Round(time.Second), notUp[:min(5, len(notUp))])
	}
	if code, body := readyz(a.HTTPAddr); code == http.StatusOK {
		t.Errorf("node a ready %v after it was cut off from the quorum: %q", time.Since(cutAt).Round(time.Second), body)
	}

	// The cut heals: a rejoins, is ready, and accepts and forwards again.
	tc.cutSite("a", false)
	healedAt := time.Now()
	for {
		code, body := readyz(a.HTTPAddr)
		if code == http.StatusOK {
			t.Logf("node a ready again %v after the cut healed", time.Since(healedAt).Round(time.Millisecond))
			break
		}
		if time.Since(healedAt) > 60*time.Second {
			t.Fatalf("node a not ready 60 s after the cut healed: %d %q", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ea2 := newESME(t, esmeOpts{addr: a.PlainAddr, systemID: "load", password: "loadpw"})
	ea2.load(t, 100, time.Second, nil)
	acked2, st2, _ := ea2.snapshot()
	if len(acked2) == 0 {
		t.Errorf("node a accepted nothing after the cut healed: %v", st2)
	}

	ackedB, stB, _ := eb.snapshot()
	t.Logf("node b: %d submits acknowledged, answers %v; node a after the heal: %d, %v", len(ackedB), stB, len(acked2), st2)

	// A partial partition: a and b lose their routes to each other, each
	// keeps n3's (NATS does not carry requests across a third server). No
	// node is in a minority; whatever either acknowledges goes on.
	pa := newESME(t, esmeOpts{addr: a.PlainAddr, systemID: "load", password: "loadpw"})
	pb := newESME(t, esmeOpts{addr: b.PlainAddr, systemID: "load", password: "loadpw"})
	var partialAt time.Time
	wg.Add(2)
	go func() {
		defer wg.Done()
		pa.load(t, 100, 8*time.Second, func(el time.Duration) {
			if el >= time.Second && partialAt.IsZero() {
				tc.cutLink("a", "b", true)
				cutMu.Lock()
				partialAt = time.Now()
				cutMu.Unlock()
			}
		})
	}()
	go func() {
		defer wg.Done()
		pb.load(t, 100, 8*time.Second, nil)
	}()
	wg.Wait()
	cutMu.Lock()
	at := partialAt
	cutMu.Unlock()
	if d := 12*time.Second - time.Since(at); d > 0 {
		time.Sleep(d) // the cut lasts 12 s at least
	}
	tc.cutLink("a", "b", false)
	_, stPA, _ := pa.snapshot()
	_, stPB, _ := pb.snapshot()
	t.Logf("a and b cut from each other for %v, 100 msg/s on each: node a answered %v, node b %v", time.Since(at).Round(time.Second), stPA, stPB)

	// Every message acknowledged by either node reached the upstream and got
	// its receipt (on any bind of the account).
	ackedA, _, _ = ea.snapshot()
	ackedB, _, _ = eb.snapshot()
	ackedPA, _, _ := pa.snapshot()
	ackedPB, _, _ := pb.snapshot()
	all := slices.Concat(ackedA, ackedB, acked2, ackedPA, ackedPB)
	esmes := []*esme{ea, eb, ea2, pa, pb}
	missing := receiptsMissing(esmes, all, 90*time.Second)
	v := viewJournal(t, tc.journal)
	notStored, twice := 0, 0
	for _, id := range all {
		switch n := len(v.newByKey[id]); {
		case n == 0:
			notStored++
			if notStored <= 5 {
				t.Errorf("message %s acknowledged to an ESME never reached the upstream", id)
			}
		case n > 1:
			twice++
		}
	}
	dupReceipts := 0
	for _, e := range esmes {
		e.mu.Lock()
	}
	for _, id := range all {
		n := 0
		for _, e := range esmes {
			n += len(e.receipts[id])
		}
		if n > 1 {
			dupReceipts += n - 1
		}
	}
	for _, e := range esmes {
		e.mu.Unlock()
	}
	t.Logf("%d messages acknowledged; upstream: %d not stored, %d stored twice, %d resends answered from the dedupe key; receipts: %d missing, %d duplicates",
		len(all), notStored, twice, v.dupHits, len(missing), dupReceipts)
	if notStored > 0 {
		t.Errorf("%d of %d acknowledged messages never reached the upstream", notStored, len(all))
	}
	if len(missing) > 0 {
		tc.diagnoseMissing(t, missing)
		t.Errorf("%d of %d acknowledged messages without a receipt after 90 s, e.g. %v", len(missing), len(all), missing[:min(5, len(missing))])
	}
}

// receiptsMissing waits until some ESME of es holds a receipt for every id,
// or timeout, and returns the ids without one.
func receiptsMissing(es []*esme, ids []string, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		var missing []string
		for _, id := range ids {
			got := false
			for _, e := range es {
				e.mu.Lock()
				got = got || len(e.receipts[id]) > 0
				e.mu.Unlock()
			}
			if !got {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cutSite cuts (on) or heals the routes between node n's NATS server and
// the others, both ways.
func (tc *testCluster) cutSite(n string, on bool) {
	for from, to := range tc.links {
		for other, p := range to {
			if from == n || other == n {
				p.Cut(on)
			}
		}
	}
}

// cutLink cuts (on) or heals the routes between the NATS servers of x and
// y, both ways.
func (tc *testCluster) cutLink(x, y string, on bool) {
	tc.links[x][y].Cut(on)
	tc.links[y][x].Cut(on)
}

// readyz returns the status code and body of a node's /readyz (0 when it
// does not answer).
func readyz(httpAddr string) (int, string) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + httpAddr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// bindStatus binds a transmitter to addr once, without retrying, and
// returns the bind's status (ESME_ROK when it was accepted; it is then
// unbound).
func bindStatus(t *testing.T, addr string) pdu.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, client.Config{SystemID: "load", Password: "loadpw", Mode: client.Transmitter,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, Logger: quietLogger()})
	if err == nil {
		c.Close(ctx)
		return pdu.ESME_ROK
	}
	var st pdu.Status
	if errors.As(err, &st) {
		return st
	}
	t.Logf("bind to %s: %v", addr, err)
	return pdu.ESME_RSYSERR
}
