package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/session"
)

// load paces submits at rate per second for d, calling at(elapsed) between
// ticks, and waits until every submit has been answered (or failed).
func (e *esme) load(t *testing.T, rate int, d time.Duration, at func(elapsed time.Duration)) int {
	t.Helper()
	var wg sync.WaitGroup
	const tick = 10 * time.Millisecond
	perTick := rate * int(tick) / int(time.Second)
	start := time.Now()
	n := 0
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for el := time.Duration(0); el < d; el = time.Since(start) {
		want := int(el/tick+1) * perTick
		for ; n < want; n++ {
			wg.Add(1)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			e.submit(ctx, fmt.Sprintf("load %d", n), func() { cancel(); wg.Done() })
		}
		if at != nil {
			at(el)
		}
		<-tk.C
	}
	wg.Wait()
	return n
}

// upstreamView summarises smsc-sim journals: per idempotency key (the gateway
// message id), the submissions stored as new, and the receipts acknowledged.
type upstreamView struct {
	newByKey   map[string][]string // key -> upstream ids stored (more than one = delivered twice)
	dupHits    int
	receiptAck map[string]int // upstream id -> receipts acknowledged by the gateway
}

func viewJournal(t *testing.T, path string) upstreamView {
	v := upstreamView{newByKey: map[string][]string{}, receiptAck: map[string]int{}}
	for _, e := range readJournal(t, path) {
		switch {
		case e.Ev == "submit" && e.Dup:
			v.dupHits++
		case e.Ev == "submit":
			if e.Key == "" {
				t.Errorf("upstream submission without the dedupe key: %+v", e)
			}
			v.newByKey[e.Key] = append(v.newByKey[e.Key], e.ID)
		case e.Ev == "receipt":
			v.receiptAck[e.ID]++
		}
	}
	return v
}

// checkExactlyOnceUpstream checks that every acked id was stored upstream
// exactly once, and that no message at all was stored twice.
func checkExactlyOnceUpstream(t *testing.T, v upstreamView, acked []string) {
	t.Helper()
	bad := 0
	for _, id := range acked {
		if n := len(v.newByKey[id]); n != 1 {
			bad++
			if bad <= 10 {
				t.Errorf("message %s acknowledged to the ESME reached the upstream %d times, want 1", id, n)
			}
		}
	}
	twice := 0
	for k, ids := range v.newByKey {
		if len(ids) > 1 {
			twice++
			if twice <= 10 {
				t.Errorf("message %s stored upstream %d times: %v", k, len(ids), ids)
			}
		}
	}
	if bad > 0 || twice > 0 {
		t.Errorf("%d acked messages not exactly once upstream; %d messages stored twice", bad, twice)
	}
	t.Logf("upstream: %d messages stored (%d acked to the ESME), %d resends answered from the dedupe key", len(v.newByKey), len(acked), v.dupHits)
}

// checkOneReceipt checks that each id got exactly one DELIVRD receipt.
func (e *esme) checkOneReceipt(t *testing.T, ids []string) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	bad := 0
	for _, id := range ids {
		rs := e.receipts[id]
		if len(rs) != 1 || rs[0].Stat != "DELIVRD" || rs[0].TextID != id {
			bad++
			if bad <= 10 {
				var desc []string
				for _, r := range rs {
					desc = append(desc, fmt.Sprintf("{id %s text id %s stat %s}", r.ID, r.TextID, r.Stat))
				}
				t.Errorf("message %s: %d receipts %v, want exactly one DELIVRD", id, len(rs), desc)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d messages without exactly one DELIVRD receipt", bad, len(ids))
	}
}

func (e *esme) snapshot() (acked []string, statuses map[string]int, unknownReceipts int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	acked = append(acked, e.acked...)
	statuses = map[string]int{}
	for k, v := range e.statuses {
		statuses[k] = v
	}
	known := map[string]bool{}
	for _, id := range e.acked {
		known[id] = true
	}
	for id, rs := range e.receipts {
		if !known[id] {
			unknownReceipts += len(rs)
		}
	}
	return
}

// TestCrashNoLossNoDuplicate kills the gateway with SIGKILL under load (2,000
// msg/s with receipts) and restarts it on the same data folder and ports. The
// upstream is a separate smsc-sim process that stays up and honours the
// gateway's dedupe key. Every message acknowledged to the ESME reaches the
// upstream exactly once and gets exactly one receipt.
func TestCrashNoLossNoDuplicate(t *testing.T) {
	t.Parallel()
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	sim := startSim(t, "127.0.0.1:0", journal)
	conf := gwConf{
		DataDir: t.TempDir(), Listen: freePort(t), Plain: freePort(t), HTTP: freePort(t),
		Accounts: "  - {system_id: load, password: loadpw, unlimited: true}\n", MOAccount: "load", Upstream: sim.Addr,
	}.yaml(t)
	cf := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, "-config", cf, "-log-level", "warn")
	e := newESME(t, esmeOpts{addr: g.PlainAddr, systemID: "load", password: "loadpw", binds: 2, window: 1000})

	var (
		killed    bool
		restarted = make(chan *gateway, 1)
		downAt    time.Time
		upAt      time.Time // when the restarted gateway printed its banner
		before    = map[*session.Session]bool{}
	)
	n := e.load(t, 2000, 5*time.Second, func(el time.Duration) {
		if !killed && el >= 2*time.Second {
			killed = true
			for _, s := range e.c.Sessions() {
				before[s] = true
			}
			g.kill9()
			downAt = time.Now()
			go func() {
				g2 := startGateway(t, "-config", cf, "-log-level", "warn")
				upAt = time.Now()
				restarted <- g2
			}()
		}
	})
	g2 := <-restarted
	if g2.PlainAddr != g.PlainAddr {
		t.Fatalf("restarted on %s, want %s", g2.PlainAddr, g.PlainAddr)
	}
	t.Logf("gateway killed after 2 s and restarted (banner %v after the kill)", upAt.Sub(downAt).Round(time.Millisecond))
	if missing := e.waitReceipts(60 * time.Second); len(missing) > 0 {
		t.Errorf("%d acknowledged messages without a receipt after 60 s, e.g. %v", len(missing), missing[:min(10, len(missing))])
	}
	time.Sleep(1500 * time.Millisecond) // time for duplicates to show
	acked, st, unknown := e.snapshot()
	t.Logf("%d submits: %v; %d receipts for ids the ESME never got (accepted as the gateway died)", n, st, unknown)
	if len(acked) < n/2 {
		t.Fatalf("only %d of %d submits acknowledged", len(acked), n)
	}
	// Exactly one receipt per message, except one kind of duplicate that no
	// SMPP gateway can rule out: a receipt the killed process delivered (and
	// the ESME acknowledged) in its last moments, before its removal from the
	// queue reached the disk, is delivered again after the restart
	// (deliver_sm is at-least-once across a crash): the first copy came on a
	// bind to the killed process, the second on a bind to the new one.
	e.mu.Lock()
	redelivered := 0
	var once []string
	for _, id := range acked {
		rs, on := e.receipts[id], e.recvOn[id]
		if len(rs) == 2 && before[on[0]] && !before[on[1]] && rs[0].Stat == rs[1].Stat {
			redelivered++
			continue
		}
		if len(rs) > 1 {
			var where []string
			for i, s := range on {
				where = append(where, fmt.Sprintf("copy %d on a bind to the %s gateway", i+1, map[bool]string{true: "killed", false: "restarted"}[before[s]]))
			}
			t.Logf("message %s: %s", id, strings.Join(where, ", "))
		}
		once = append(once, id)
	}
	e.mu.Unlock()
	t.Logf("%d receipts delivered just before the kill were delivered again after the restart", redelivered)
	if redelivered > len(acked)/20 {
		t.Errorf("%d receipts redelivered after the restart: more than the last moments before the kill", redelivered)
	}
	e.checkOneReceipt(t, once)
	checkExactlyOnceUpstream(t, viewJournal(t, journal), acked)
}

// TestUpstreamLoss stops the upstream smsc-sim (SIGTERM) for 2 s under load
// and starts it again on the same port: every message acknowledged to the
// ESME is delivered upstream exactly once (resends answered from the dedupe
// key are allowed) and every receipt the upstream sent reaches the ESME once.
func TestUpstreamLoss(t *testing.T) {
	t.Parallel()
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	simAddr := freePort(t)
	sim := startSim(t, simAddr, journal)
	g := startGatewayConfig(t, gwConf{
		Accounts: "  - {system_id: load, password: loadpw, unlimited: true}\n", MOAccount: "load", Upstream: sim.Addr,
	}.yaml(t))
	e := newESME(t, esmeOpts{addr: g.PlainAddr, systemID: "load", password: "loadpw", binds: 2, window: 1000})

	var (
		stopped bool
		back    = make(chan *simProc, 1)
	)
	n := e.load(t, 1000, 2*time.Second, func(el time.Duration) {
		if !stopped && el >= time.Second {
			stopped = true
			go func() {
				sim.stop(10 * time.Second)
				time.Sleep(2 * time.Second)
				back <- startSim(t, simAddr, journal)
			}()
		}
	})
	<-back
	// Wait until every receipt the upstream sent has reached the ESME.
	deadline := time.Now().Add(60 * time.Second)
	settled := false
	for {
		v := viewJournal(t, journal)
		acked, _, _ := e.snapshot()
		waiting, unsent := 0, 0
		e.mu.Lock()
		for _, id := range acked {
			ups := v.newByKey[id]
			if len(ups) == 0 {
				unsent++
			}
			if len(ups) == 1 && v.receiptAck[ups[0]] > 0 && len(e.receipts[id]) == 0 {
				waiting++
			}
		}
		e.mu.Unlock()
		if time.Now().After(deadline) {
			break
		}
		if unsent == 0 && waiting == 0 {
			// The last receipts are due dlr-delay after the last submission.
			if settled {
				break
			}
			settled = true
			time.Sleep(time.Second)
			continue
		}
		settled = false
		time.Sleep(300 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // time for duplicates to show
	missing := e.waitReceipts(0)
	acked, st, unknown := e.snapshot()
	t.Logf("%d submits: %v; %d receipts for unknown ids", n, st, unknown)
	if len(acked) != n {
		t.Errorf("%d of %d submits acknowledged: the gateway should accept while the upstream is down", len(acked), n)
	}
	v := viewJournal(t, journal)
	checkExactlyOnceUpstream(t, v, acked)

	// Receipts: the simulator discards the receipts it has not sent when it
	// stops; those messages stay ENROUTE. Every receipt it did send (and the
	// gateway acknowledged) must reach the ESME exactly once.
	var sent, lost []string
	for _, id := range acked {
		ups := v.newByKey[id]
		if len(ups) == 1 && v.receiptAck[ups[0]] > 0 {
			sent = append(sent, id)
		} else {
			lost = append(lost, id)
		}
	}
	e.checkOneReceipt(t, sent)
	missingSet := map[string]bool{}
	for _, id := range missing {
		missingSet[id] = true
	}
	for _, id := range lost {
		if !missingSet[id] {
			e.mu.Lock()
			r := e.receipts[id][0]
			e.mu.Unlock()
			t.Errorf("message %s has a receipt (stat %s err %s) though the upstream never sent one", id, r.Stat, r.Err)
		}
	}
	sort.Strings(lost)
	t.Logf("receipts: %d delivered; %d discarded by the stopped simulator (messages ENROUTE): %s", len(sent), len(lost),
		strings.Join(lost[:min(5, len(lost))], " "))
	if len(lost) > n/10 {
		t.Errorf("%d receipts lost with the simulator: more than the in-flight window", len(lost))
	}
}
