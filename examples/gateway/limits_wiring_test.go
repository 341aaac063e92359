package main

// The accounts' rate and bind count enforced through the limits part
// (limits_wiring.go), on the wire: max_binds with the status the server
// answered (ESME_RALYBND), the binds given back by an unbind, a lost
// connection or a refused bind, none leaked over many binds; the rate
// (ESME_RTHROTTLED) on submit_sm, data_sm and submit_multi across the binds
// of an account, answered by the gateway and not the server; and a reload
// that changes both.

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

// limitsESME dials the gateway's plaintext listener, not bound yet.
func limitsESME(t *testing.T, a *app) *smpptest.ESME {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := smpptest.Dial(ctx, a.PlainAddr, smpptest.ESMEOptions{Config: session.Config{Window: 400, Logger: quietLogger()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// bindOn binds e as a transceiver of systemID and returns the bind's status.
func bindOn(t *testing.T, e *smpptest.ESME, systemID, password string) pdu.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := e.BindAs(ctx, pdu.BindTransceiverID, systemID, password)
	var st pdu.Status
	switch {
	case err == nil:
		return pdu.ESME_ROK
	case errors.As(err, &st):
		return st
	}
	t.Fatalf("bind %s: %v", systemID, err)
	return 0
}

// mustBind dials and binds systemID, which must succeed.
func mustBind(t *testing.T, a *app, systemID, password string) *smpptest.ESME {
	t.Helper()
	e := limitsESME(t, a)
	if st := bindOn(t, e, systemID, password); st != pdu.ESME_ROK {
		t.Fatalf("bind %s: %v", systemID, st)
	}
	return e
}

// waitBinds waits until the account holds want binds in the gateway's limits.
func waitBinds(t *testing.T, a *app, systemID string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for a.gw.limits.lim.Binds(systemID) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d binds, want %d", systemID, a.gw.limits.lim.Binds(systemID), want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func unbind(t *testing.T, e *smpptest.ESME) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Unbind(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestBindMaxBindsThroughLimits: max_binds is counted by the gateway's limits
// and answered ESME_RALYBND, as the server answered it; an unbind gives its
// bind back before its unbind_resp, a lost connection soon after, and a
// connection refused may bind again once a bind is free. The server is given
// no limits.
func TestBindMaxBindsThroughLimits(t *testing.T) {
	a := inproc(t, func(c *Config) {
		c.Accounts = append(c.Accounts, AccountConfig{SystemID: "capped", Password: "cap-pw", MaxBinds: 2})
	})
	lim := a.gw.limits.lim
	e1 := mustBind(t, a, "capped", "cap-pw")
	e2 := mustBind(t, a, "capped", "cap-pw")
	if n := lim.Binds("capped"); n != 2 {
		t.Fatalf("two binds: the limits hold %d", n)
	}
	e3 := limitsESME(t, a)
	if st := bindOn(t, e3, "capped", "cap-pw"); st != pdu.ESME_RALYBND {
		t.Fatalf("third bind with max_binds 2: %v, want ESME_RALYBND", st)
	}
	if n := lim.Binds("capped"); n != 2 {
		t.Fatalf("after a refused bind: the limits hold %d, want 2", n)
	}
	unbind(t, e1)
	if n := lim.Binds("capped"); n != 1 {
		t.Fatalf("after an unbind answered: the limits hold %d, want 1", n)
	}
	// The connection that was refused binds now.
	if st := bindOn(t, e3, "capped", "cap-pw"); st != pdu.ESME_ROK {
		t.Fatalf("bind again on the refused connection once a bind is free: %v", st)
	}
	// A connection lost without an unbind gives its bind back too.
	e2.NetConn().Close()
	waitBinds(t, a, "capped", 1)
	mustBind(t, a, "capped", "cap-pw")
	if n := lim.Binds("capped"); n != 2 {
		t.Fatalf("the limits hold %d, want 2", n)
	}

	// The server gets no rate and no bind limit; the hook called with no
	// connection counts the bind and gives it back.
	acct, st := a.gw.authenticate(context.Background(), bindFrom(pdu.BindTransceiverID, "demo", "demo1234", "10.0.0.1"))
	if st != pdu.ESME_ROK || acct.Rate != 0 || acct.Burst != 0 || acct.MaxBinds != 0 {
		t.Fatalf("the server's account: %+v %v, want no Rate, Burst, MaxBinds", acct, st)
	}
	if n := lim.Binds("demo"); n != 0 {
		t.Fatalf("a bind with no connection holds %d", n)
	}
	if _, st := a.gw.authenticate(context.Background(), bindFrom(pdu.BindTransceiverID, "capped", "cap-pw", "10.0.0.1")); st != pdu.ESME_RALYBND {
		t.Fatalf("the hook at max_binds: %v, want ESME_RALYBND", st)
	}
}

// rawBindAndDrop writes a bind and closes the connection's sending side at
// once, then reads until the gateway closes it: the bind's answer may or may
// not have been written.
func rawBindAndDrop(t *testing.T, a *app, systemID, password string) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", a.PlainAddr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	b, err := pdu.AppendPDU(nil, 1, pdu.ESME_ROK, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: systemID, Password: password, InterfaceVersion: 0x34})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	nc.(*net.TCPConn).CloseWrite()
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, nc); err != nil {
		t.Fatalf("waiting for the gateway to close a dropped bind: %v", err)
	}
}

// TestBindSlotsNotLeaked binds and unbinds 1000 times in all four accounts
// with max_binds 1 at once, with refused binds, lost connections and binds
// dropped as soon as sent among them: every bind is given back (the next one
// would be refused otherwise), and none is held at the end.
func TestBindSlotsNotLeaked(t *testing.T) {
	ids := []string{"cyc0", "cyc1", "cyc2", "cyc3"}
	a := inproc(t, func(c *Config) {
		for _, id := range ids {
			c.Accounts = append(c.Accounts, AccountConfig{SystemID: id, Password: "cyc-pw", MaxBinds: 1})
		}
	})
	n := 1000 / len(ids)
	if testing.Short() {
		n = 25
	}
	t.Run("cycles", func(t *testing.T) {
		for _, id := range ids {
			t.Run(id, func(t *testing.T) {
				t.Parallel()
				bindCycles(t, a, id, n)
			})
		}
	})
	for _, id := range ids {
		waitBinds(t, a, id, 0)
	}
}

// bindCycles binds and unbinds n times the account systemID (max_binds 1).
func bindCycles(t *testing.T, a *app, systemID string, n int) {
	for i := 0; i < n; i++ {
		e := mustBind(t, a, systemID, "cyc-pw")
		if i%10 == 0 {
			other := limitsESME(t, a)
			if st := bindOn(t, other, systemID, "cyc-pw"); st != pdu.ESME_RALYBND {
				t.Fatalf("cycle %d: a second bind: %v, want ESME_RALYBND", i, st)
			}
			other.Close()
		}
		switch i % 25 {
		case 7: // the connection lost
			e.NetConn().Close()
			e.Close()
			waitBinds(t, a, systemID, 0)
		case 17: // a bind dropped as soon as sent, the account's bind free
			unbind(t, e)
			e.Close()
			rawBindAndDrop(t, a, systemID, "cyc-pw")
			waitBinds(t, a, systemID, 0)
		default:
			unbind(t, e)
			e.Close()
			if got := a.gw.limits.lim.Binds(systemID); got != 0 {
				t.Fatalf("cycle %d: unbound, the account holds %d binds", i, got)
			}
		}
	}
}

// fireSubmissions sends n of each submission at once on the binds in turn
// and counts the answers by command and status.
func fireSubmissions(t *testing.T, binds []*smpptest.ESME, n int) map[pdu.CommandID]map[pdu.Status]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	got := map[pdu.CommandID]map[pdu.Status]int{}
	var wg sync.WaitGroup
	k := 0
	for i := 0; i < n; i++ {
		for _, p := range []pdu.PDU{
			&pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("rate")},
			&pdu.DataSM{SourceAddr: "1000", DestinationAddr: "254700000002"},
			&pdu.SubmitMulti{SourceAddr: "1000", Dests: []pdu.DestAddress{{Flag: pdu.DestFlagSME, DestinationAddr: "254700000003"}}, ShortMessage: []byte("rate")},
		} {
			e := binds[k%len(binds)]
			k++
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.Send(ctx, p)
				st := pdu.ESME_ROK
				if err != nil && !errors.As(err, &st) {
					t.Errorf("%s: %v", p.CommandID(), err)
					return
				}
				mu.Lock()
				if got[p.CommandID()] == nil {
					got[p.CommandID()] = map[pdu.Status]int{}
				}
				got[p.CommandID()][st]++
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	return got
}

// throttledMetric is smpp_gateway_throttled_total of the account.
func throttledMetric(t *testing.T, a *app, systemID string) float64 {
	t.Helper()
	mfs, err := a.gw.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "smpp_gateway_throttled_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "system_id" && l.GetValue() == systemID {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestThrottledThroughLimits: an account at 50 msg/s with a burst of 10,
// shaping off (policing: shaping_test.go has shaping), on two binds, fires 3×40 submissions at once: submit_sm, data_sm and
// submit_multi are each refused ESME_RTHROTTLED by the gateway (the server
// throttles none), the accepted ones fit the account's one rate across its
// binds, and another account is not slowed.
func TestThrottledThroughLimits(t *testing.T) {
	a := inproc(t, func(c *Config) {
		c.Accounts = append(c.Accounts, AccountConfig{SystemID: "slow", Password: "slow-pw", Rate: 50, Burst: 10, Shaping: new(bool)})
	})
	binds := []*smpptest.ESME{mustBind(t, a, "slow", "slow-pw"), mustBind(t, a, "slow", "slow-pw")}
	start := time.Now()
	got := fireSubmissions(t, binds, 40)
	elapsed := time.Since(start)
	ok, thr := 0, 0
	for id, by := range got {
		for st, k := range by {
			switch st {
			case pdu.ESME_ROK:
				ok += k
			case pdu.ESME_RTHROTTLED:
				thr += k
			default:
				t.Errorf("%s answered %v %d times", id, st, k)
			}
		}
		if by[pdu.ESME_RTHROTTLED] == 0 {
			t.Errorf("%s: none throttled: %v", id, by)
		}
	}
	t.Logf("in %v: %v", elapsed.Round(time.Millisecond), got)
	if maxOK := 10 + int(50*elapsed.Seconds()*1.5) + 5; ok > maxOK || ok < 5 {
		t.Errorf("%d accepted in %v at 50 msg/s burst 10 on two binds: want 5..%d", ok, elapsed, maxOK)
	}
	if s := a.gw.srv.Stats().Throttled; s != 0 {
		t.Errorf("the server throttled %d: the gateway's limits should have", s)
	}
	if m := throttledMetric(t, a, "slow"); int(m) != thr {
		t.Errorf("smpp_gateway_throttled_total{system_id=slow} = %v, want %d", m, thr)
	}
	// demo (1000 msg/s, burst 100) is not slowed by slow's rate.
	other := fireSubmissions(t, []*smpptest.ESME{mustBind(t, a, "demo", "demo1234")}, 20)
	for id, by := range other {
		if by[pdu.ESME_ROK] != 20 {
			t.Errorf("demo's %s: %v, want 20 ESME_ROK", id, by)
		}
	}
}

// TestRateAndMaxBindsFollowReload: a reload that lifts an account's rate and
// raises its max_binds applies to the binds already made (the rate) and to
// the next bind, with no bind in between.
func TestRateAndMaxBindsFollowReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.yaml")
	write := func(account string) {
		t.Helper()
		yaml := "listen: 127.0.0.1:0\nplaintext_listen: 127.0.0.1:0\nhttp_listen: \"\"\ndata_dir: " + filepath.Join(dir, "data") + "\n" +
			"simulator: {listen: \"127.0.0.1:0\", system_id: gateway, password: sim}\n" +
			"upstreams: [{name: sim, system_id: gateway, password: sim}]\n" +
			"routes: [{prefix: \"\", upstreams: [sim]}]\n" +
			"accounts:\n  - " + account + "\n" +
			"mo_routes: [{prefix: \"\", account: capped}]\n"
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("{system_id: capped, password: cap-pw, max_binds: 1, rate: 50, burst: 10, shaping: false}")
	bannerOut = io.Discard
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := start(cfg, quietLogger(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.shutdown(context.Background())
	e1 := mustBind(t, a, "capped", "cap-pw")
	if st := bindOn(t, limitsESME(t, a), "capped", "cap-pw"); st != pdu.ESME_RALYBND {
		t.Fatalf("second bind with max_binds 1: %v", st)
	}
	before := fireSubmissions(t, []*smpptest.ESME{e1}, 20)
	if before[pdu.SubmitSMID][pdu.ESME_RTHROTTLED] == 0 {
		t.Fatalf("at 50 msg/s burst 10, none of 60 throttled: %v", before)
	}

	write("{system_id: capped, password: cap-pw, max_binds: 2, unlimited: true}")
	if err := a.reload(); err != nil {
		t.Fatal(err)
	}
	// The bind made before the reload: no rate now.
	after := fireSubmissions(t, []*smpptest.ESME{e1}, 100)
	for id, by := range after {
		if by[pdu.ESME_ROK] != 100 {
			t.Errorf("%s after the rate was lifted: %v, want 100 ESME_ROK", id, by)
		}
	}
	if st := bindOn(t, limitsESME(t, a), "capped", "cap-pw"); st != pdu.ESME_ROK {
		t.Fatalf("second bind after max_binds went to 2: %v", st)
	}
	if n := a.gw.limits.lim.Binds("capped"); n != 2 {
		t.Fatalf("the limits hold %d binds, want 2", n)
	}
}
