package main

// The gateway as a cluster: two gateway nodes and a third NATS
// server as processes on loopback, one operator (smsc-sim, with the dedupe
// key). What an ESME sees is the same whichever node it talks to; a node
// killed with SIGKILL under load loses nothing accepted.

import (
	"context"
	"errors"

	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

func TestCluster(t *testing.T) {
	t.Parallel()
	tc := startTestCluster(t, clusterOpts{})
	a, b := tc.node("a"), tc.node("b")

	t.Run("ReceiptOnTheOtherNode", func(t *testing.T) {
		tx := newESME(t, esmeOpts{addr: a.PlainAddr, systemID: "load", password: "loadpw", mode: client.Transmitter})
		rx := newESME(t, esmeOpts{addr: b.PlainAddr, systemID: "load", password: "loadpw", mode: client.Receiver})
		n := tx.load(t, 300, time.Second, nil)
		acked, st, _ := tx.snapshot()
		if len(acked) != n {
			t.Fatalf("%d of %d submits acknowledged by node a: %v", len(acked), n, st)
		}
		missing := waitReceiptsOn(rx, acked, 60*time.Second)
		if len(missing) > 0 {
			t.Fatalf("%d of %d receipts never reached the receiver bound to node b, e.g. %v", len(missing), n, missing[:min(5, len(missing))])
		}
		rx.checkOneReceipt(t, acked)
	})

	t.Run("QueryCancelReplaceOnTheOtherNode", func(t *testing.T) {
		ea := newESME(t, esmeOpts{addr: a.PlainAddr, systemID: "load", password: "loadpw"})
		eb := newESME(t, esmeOpts{addr: b.PlainAddr, systemID: "load", password: "loadpw"})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		submit := func(schedule string) string {
			r, err := ea.c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "254700000001",
				RegisteredDelivery: 1, ScheduleDeliveryTime: schedule, ShortMessage: []byte("later")})
			if err != nil {
				t.Fatalf("submit on node a: %v", err)
			}
			return r.MessageID
		}
		query := func(id string) pdu.MessageState {
			r, err := eb.c.QuerySM(ctx, &pdu.QuerySM{MessageID: id, SourceAddr: "1000"})
			if err != nil {
				t.Logf("binds of the ESME on node b: %+v", eb.c.Stats())
				t.Fatalf("query_sm %s on node b: %v", id, err)
			}
			return r.MessageState
		}
		// A message delivered (the operator's receipt says so): its final
		// state, on the node that did not take it.
		done := submit("")
		deadline := time.Now().Add(20 * time.Second)
		for s := query(done); s != pdu.StateDelivered; s = query(done) {
			if time.Now().After(deadline) {
				ra, err := ea.c.QuerySM(ctx, &pdu.QuerySM{MessageID: done, SourceAddr: "1000"})
				t.Logf("on node a: %+v %v", ra, err)
				t.Fatalf("query_sm on node b of a message accepted by node a: %v, want DELIVERED", s)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// A message scheduled in an hour: replaced, then cancelled on b.
		later := submit("000000010000000R")
		if s := query(later); s != pdu.StateEnroute && s != pdu.StateScheduled {
			t.Fatalf("query_sm of a scheduled message: %v", s)
		}
		if err := eb.c.ReplaceSM(ctx, &pdu.ReplaceSM{MessageID: later, SourceAddr: "1000", ShortMessage: []byte("replaced")}); err != nil {
			t.Fatalf("replace_sm on node b of a message accepted by node a: %v", err)
		}
		if err := eb.c.CancelSM(ctx, &pdu.CancelSM{MessageID: later, SourceAddr: "1000", DestinationAddr: "254700000001", DestAddrTON: 1, DestAddrNPI: 1}); err != nil {
			t.Fatalf("cancel_sm on node b of a message accepted by node a: %v", err)
		}
		if s := query(later); s != pdu.StateDeleted {
			t.Fatalf("query_sm after cancel_sm: %v, want DELETED", s)
		}
		var st pdu.Status
		if err := eb.c.CancelSM(ctx, &pdu.CancelSM{MessageID: done, SourceAddr: "1000"}); !errors.As(err, &st) || st != pdu.ESME_RCANCELFAIL {
			t.Fatalf("cancel_sm of a delivered message: %v, want ESME_RCANCELFAIL", err)
		}
	})

	t.Run("RateAcrossNodes", func(t *testing.T) {
		// paced: 200 msg/s, burst 20, policed. Each node is offered
		// 400 msg/s for 3 s.
		const rate, burst = 200, 20
		ea := newESME(t, esmeOpts{addr: a.PlainAddr, systemID: "paced", password: "pacedpw"})
		eb := newESME(t, esmeOpts{addr: b.PlainAddr, systemID: "paced", password: "pacedpw"})
		var wg sync.WaitGroup
		var sent [2]int
		var took [2]time.Duration
		for i, e := range []*esme{ea, eb} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				sent[i] = e.load(t, 400, 3*time.Second, nil)
				took[i] = time.Since(start)
			}()
		}
		wg.Wait()
		_, sa, _ := ea.snapshot()
		_, sb, _ := eb.snapshot()
		ok := sa["ESME_ROK"] + sb["ESME_ROK"]
		span := max(took[0], took[1])
		t.Logf("account of %d msg/s, burst %d: node a accepted %d of %d in %v (%v), node b %d of %d in %v (%v): together %.0f msg/s",
			rate, burst, sa["ESME_ROK"], sent[0], took[0].Round(time.Millisecond), sa, sb["ESME_ROK"], sent[1], took[1].Round(time.Millisecond), sb,
			float64(ok)/span.Seconds())
		// Each node enforces its share (rate / live nodes) with the
		// account's burst: the sum holds the window over the span of the
		// run, plus a second of slack for the nodes' clocks of the split.
		if max := int(rate*(span.Seconds()+1)) + 2*burst; ok > max {
			t.Errorf("accepted %d: the two nodes together let through more than the account's %d msg/s (at most %d)", ok, rate, max)
		}
		if sa["ESME_RTHROTTLED"] == 0 || sb["ESME_RTHROTTLED"] == 0 {
			t.Errorf("offered twice the account's rate on each node, a node throttled nothing: a %v, b %v", sa, sb)
		}
	})

	t.Run("KillNodeUnderLoad", func(t *testing.T) {
		// An ESME bound to both nodes (two binds), submitting at 400 msg/s
		// for 4 s; node a is killed after 1.5 s. Another ESME bound to a only, with b
		// as its failover endpoint, measures what an ESME of one node sees.
		both := newFailoverESME(t, "load", "loadpw", []string{a.PlainAddr, b.PlainAddr}, true)
		// Of another account, so that the receipts of the load all go to
		// both's binds.
		one := newFailoverESME(t, "paced", "pacedpw", []string{a.PlainAddr, b.PlainAddr}, false)
		var killedAt time.Time
		var firstAfter time.Time
		var mu sync.Mutex
		go func() {
			for {
				mu.Lock()
				k := killedAt
				mu.Unlock()
				if !k.IsZero() {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for ctx.Err() == nil {
				_, err := one.c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "254700000001", ShortMessage: []byte("failover")})
				if err == nil {
					mu.Lock()
					firstAfter = time.Now()
					mu.Unlock()
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		killed := false
		n := both.load(t, 400, 4*time.Second, func(el time.Duration) {
			if !killed && el >= 1500*time.Millisecond {
				killed = true
				tc.node("a").kill9()
				mu.Lock()
				killedAt = time.Now()
				mu.Unlock()
			}
		})
		acked, st, _ := both.snapshot()
		t.Logf("%d submits: %v", n, st)
		if len(acked) < n/4 {
			t.Fatalf("only %d of %d submits acknowledged", len(acked), n)
		}
		missing := both.waitReceipts(90 * time.Second)
		if len(missing) > 0 {
			tc.diagnoseMissing(t, missing)
			both.mu.Lock()
			mu.Lock()
			var before, after int
			byNode := map[string]int{}
			for _, id := range missing {
				if both.sentAt[id].Before(killedAt) {
					before++
				} else {
					after++
				}
				byNode[id[len(id)-2:]]++
			}
			mu.Unlock()
			both.mu.Unlock()
			t.Logf("missing: %d sent before the kill, %d after; by id suffix %v", before, after, byNode)
			t.Errorf("%d of %d acknowledged messages without a receipt after 90 s, e.g. %v", len(missing), len(acked), missing[:min(5, len(missing))])
		}
		dups := 0
		both.mu.Lock()
		for _, id := range acked {
			if k := len(both.receipts[id]); k > 1 {
				dups += k - 1
			}
		}
		both.mu.Unlock()
		v := viewJournal(t, tc.journal)
		lastUp := time.Time{}
		for _, e := range readJournal(t, tc.journal) {
			if e.Ev == "submit" && e.T.After(lastUp) {
				lastUp = e.T
			}
		}
		mu.Lock()
		t.Logf("node a killed; an ESME bound to a had its first message accepted by b %v later; the last message reached the upstream %v after the kill",
			firstAfter.Sub(killedAt).Round(time.Millisecond), lastUp.Sub(killedAt).Round(time.Millisecond))
		mu.Unlock()
		t.Logf("receipts delivered twice: %d (of %d messages)", dups, len(acked))
		checkNeverFenced(t, tc.node("b"))
		checkExactlyOnceUpstream(t, v, acked)
		if dups > len(acked)/20 {
			t.Errorf("%d duplicate receipts: more than the deliveries in flight on the killed node", dups)
		}
	})

	t.Run("NodeRejoins", func(t *testing.T) {
		a2 := tc.start("a")
		// It takes its share of the operator's 4 binds back (2), and
		// accepts and forwards work again.
		deadline := time.Now().Add(60 * time.Second)
		for {
			ua, ub := upstreamBinds(t, a2.HTTPAddr), upstreamBinds(t, tc.node("b").HTTPAddr)
			if ua == 2 && ub == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the rejoin: upstream binds up a %d, b %d; want 2 and 2", ua, ub)
			}
			time.Sleep(100 * time.Millisecond)
		}
		e := newESME(t, esmeOpts{addr: a2.PlainAddr, systemID: "load", password: "loadpw"})
		n := e.load(t, 200, time.Second, nil)
		if missing := e.waitReceipts(60 * time.Second); len(missing) > 0 {
			t.Fatalf("%d of %d messages through the rejoined node without a receipt", len(missing), n)
		}
	})
}

// diagnoseMissing logs what the operator's journal says of messages
// without a receipt: stored upstream or not, their receipt acknowledged by
// the gateway or not.
func (tc *testCluster) diagnoseMissing(t *testing.T, missing []string) {
	v := viewJournal(t, tc.journal)
	stored, upAcked := 0, 0
	for _, id := range missing {
		if len(v.newByKey[id]) > 0 {
			stored++
		}
		for _, uid := range v.newByKey[id] {
			if v.receiptAck[uid] > 0 {
				upAcked++
			}
		}
	}
	t.Logf("of the %d messages without a receipt, %d were stored upstream and %d had their operator receipt acknowledged by the gateway", len(missing), stored, upAcked)
}

// waitReceiptsOn waits until rx holds a receipt for every id, or timeout,
// and returns the ids without one.
func waitReceiptsOn(rx *esme, ids []string, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		rx.mu.Lock()
		var missing []string
		for _, id := range ids {
			if len(rx.receipts[id]) == 0 {
				missing = append(missing, id)
			}
		}
		ch := rx.changed
		rx.mu.Unlock()
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		select {
		case <-ch:
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// newFailoverESME is an esme whose client knows both nodes: with spread
// it is bound to both and sends over both; without, it prefers the first
// and fails over to the second.
func newFailoverESME(t *testing.T, systemID, password string, addrs []string, spread bool) *esme {
	t.Helper()
	e := newESME(t, esmeOpts{addr: addrs[0], systemID: systemID, password: password})
	// Replace its client by one on both nodes, with the same handler.
	h := e.c
	cfg := client.Config{
		SystemID: systemID, Password: password, Spread: spread,
		Endpoints:  []client.Endpoint{{Addr: addrs[1]}},
		Session:    session.Config{Window: 1000, ResponseTimeout: 20 * time.Second},
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond,
		Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
			return e.record(d)
		}),
		Logger: quietLogger(),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addrs[0], cfg)
	if err != nil {
		t.Fatalf("ESME bind to %v: %v", addrs, err)
	}
	if err := h.Close(ctx); err != nil {
		t.Logf("closing the first client: %v", err)
	}
	e.c = c
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Close(ctx)
	})
	return e
}

// checkNeverFenced fails the test if node g fenced itself for want of the
// quorum (cluster_quorum.go): a survivor of one node's death keeps it.
func checkNeverFenced(t *testing.T, g *gateway) {
	t.Helper()
	for _, line := range strings.Split(g.stderr.String(), "\n") {
		if strings.Contains(line, "cluster: quorum lost") {
			t.Errorf("a node of the majority fenced itself: %s", line)
		}
	}
}

var reUpstreamUp = regexp.MustCompile(`(?m)^smpp_gateway_upstream_binds_up\{upstream="op"\} (\d+)`)

// upstreamBinds reads a node's upstream binds up from its metrics (-1 when
// it cannot).
func upstreamBinds(t *testing.T, httpAddr string) int {
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	m := reUpstreamUp.FindSubmatch(b)
	if m == nil {
		t.Logf("no upstream binds gauge in the metrics of %s", httpAddr)
		return -1
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		return -1
	}
	return n
}
