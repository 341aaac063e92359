package main

// In-process tests of the gateway's behaviours that need no separate
// process: MO routing, expiry with an EXPIRED receipt, cancel_sm and
// replace_sm while queued, and the reload of accounts and routes.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/smpptest"
	"github.com/esmsafrica/smpp/tlv"
)

// inproc starts a gateway inside the test: plaintext listener, embedded
// simulator, a store in a temporary folder, and an upstream "dead" (nothing
// listens there) for destinations starting with 999.
func inproc(t *testing.T, extra func(*Config)) *app {
	t.Helper()
	bannerOut = io.Discard
	dead := freePort(t) // closed again: connections to it are refused
	cfg := defaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.PlaintextListen = "127.0.0.1:0"
	cfg.HTTPListen = ""
	cfg.DataDir = t.TempDir()
	cfg.Accounts = []AccountConfig{{SystemID: "demo", Password: "demo1234", Rate: 1000}}
	cfg.Upstreams = append(cfg.Upstreams, UpstreamConfig{Name: "dead", Addrs: []string{dead}, SystemID: "x", Password: "x"})
	cfg.Routes = []RouteConfig{{Prefix: "999", Upstreams: []string{"dead"}}, {Prefix: "", Upstreams: []string{"sim"}}}
	if extra != nil {
		extra(cfg)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	a, err := start(cfg, quietLogger(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.shutdown(ctx)
	})
	return a
}

// deliveries collects what an ESME receives.
type deliveries struct {
	mu  sync.Mutex
	got []*client.Delivery
	ch  chan struct{}
}

func (d *deliveries) handler() client.Handler {
	d.ch = make(chan struct{}, 1000)
	return client.HandlerFunc(func(ctx context.Context, dl *client.Delivery) error {
		d.mu.Lock()
		d.got = append(d.got, dl)
		d.mu.Unlock()
		d.ch <- struct{}{}
		return nil
	})
}

func (d *deliveries) wait(t *testing.T, n int, timeout time.Duration) []*client.Delivery {
	t.Helper()
	deadline := time.After(timeout)
	for {
		d.mu.Lock()
		if len(d.got) >= n {
			out := append([]*client.Delivery(nil), d.got...)
			d.mu.Unlock()
			return out
		}
		d.mu.Unlock()
		select {
		case <-d.ch:
		case <-deadline:
			t.Fatalf("got %d deliveries, want %d", len(d.got), n)
		}
	}
}

func dialDemo(t *testing.T, a *app, h client.Handler) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, a.PlainAddr, client.Config{SystemID: "demo", Password: "demo1234", Handler: h, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func TestMORoutedToAccount(t *testing.T) {
	a := inproc(t, nil)
	var d deliveries
	dialDemo(t, a, d.handler())
	// The operator sends an MO to the gateway's upstream bind; mo_routes
	// send every destination to demo.
	long := "Ünïcödé MO that is long enough to need two UCS-2 segments on the air, surely."
	for _, text := range []string{"Ping from a handset", long} {
		if _, err := a.sim.SendMO(sim.MO{SystemID: "gateway", From: "254711111111", To: "1000", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	got := d.wait(t, 2, 10*time.Second)
	texts := map[string]bool{}
	for _, dl := range got {
		if dl.Receipt != nil {
			t.Fatalf("MO delivered as a receipt: %+v", dl.Receipt)
		}
		s, err := dl.Text()
		if err != nil {
			t.Fatal(err)
		}
		texts[s] = true
		if dl.Source != "254711111111" || dl.Destination != "1000" {
			t.Fatalf("addresses %s -> %s", dl.Source, dl.Destination)
		}
	}
	if !texts["Ping from a handset"] || !texts[long] {
		t.Fatalf("MO texts %v", texts)
	}
}

func TestExpiredMessageGetsReceipt(t *testing.T) {
	a := inproc(t, nil)
	var d deliveries
	c := dialDemo(t, a, d.handler())
	ctx := context.Background()
	resp, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "9990001", ShortMessage: []byte("never routed"),
		RegisteredDelivery: 1, ValidityPeriod: pdu.FormatRelative(2 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.QuerySM(ctx, &pdu.QuerySM{MessageID: resp.MessageID, SourceAddr: "1000"})
	if err != nil || q.MessageState != pdu.StateEnroute {
		t.Fatalf("query while queued: %v %+v", err, q)
	}
	got := d.wait(t, 1, 15*time.Second)
	r := got[0].Receipt
	if r == nil || r.ID != resp.MessageID || r.Stat != "EXPIRED" || r.State != pdu.StateExpired || r.Text != "never routed" {
		t.Fatalf("receipt %+v", r)
	}
	q, err = c.QuerySM(ctx, &pdu.QuerySM{MessageID: resp.MessageID, SourceAddr: "1000"})
	if err != nil || q.MessageState != pdu.StateExpired || q.FinalDate == "" {
		t.Fatalf("query after expiry: %v %+v", err, q)
	}
}

func TestCancelAndReplaceWhileQueued(t *testing.T) {
	a := inproc(t, nil)
	var d deliveries
	c := dialDemo(t, a, d.handler())
	ctx := context.Background()
	one, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "9990001", ShortMessage: []byte("cancel me")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CancelSM(ctx, &pdu.CancelSM{MessageID: one.MessageID, SourceAddr: "1000", DestinationAddr: "9990001"}); err != nil {
		t.Fatalf("cancel_sm of a queued message: %v", err)
	}
	q, err := c.QuerySM(ctx, &pdu.QuerySM{MessageID: one.MessageID, SourceAddr: "1000"})
	if err != nil || q.MessageState != pdu.StateDeleted {
		t.Fatalf("after cancel: %v %+v", err, q)
	}
	if err := c.CancelSM(ctx, &pdu.CancelSM{MessageID: one.MessageID}); !errors.Is(err, pdu.ESME_RCANCELFAIL) {
		t.Fatalf("second cancel: %v", err)
	}
	two, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "9990002", ShortMessage: []byte("old text")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ReplaceSM(ctx, &pdu.ReplaceSM{MessageID: two.MessageID, SourceAddr: "1000", ShortMessage: []byte("new text")}); err != nil {
		t.Fatalf("replace_sm: %v", err)
	}
	m, err := a.gw.store.Get(two.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	var sm pdu.SubmitSM
	if err := sm.UnmarshalBinary(m.Body); err != nil || string(sm.ShortMessage) != "new text" {
		t.Fatalf("stored body after replace: %v %q", err, sm.ShortMessage)
	}
	// Delivered messages can be neither cancelled nor replaced.
	three, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("goes out"), RegisteredDelivery: 1})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		q, err := c.QuerySM(ctx, &pdu.QuerySM{MessageID: three.MessageID})
		if err == nil && q.MessageState == pdu.StateDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %v %+v", err, q)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := c.CancelSM(ctx, &pdu.CancelSM{MessageID: three.MessageID}); !errors.Is(err, pdu.ESME_RCANCELFAIL) {
		t.Fatalf("cancel of a delivered message: %v", err)
	}
	if err := c.ReplaceSM(ctx, &pdu.ReplaceSM{MessageID: three.MessageID, ShortMessage: []byte("x")}); !errors.Is(err, pdu.ESME_RREPLACEFAIL) {
		t.Fatalf("replace of a delivered message: %v", err)
	}
	// Another account's message is not found.
	if _, err := c.QuerySM(ctx, &pdu.QuerySM{MessageID: "0000000000000000"}); !errors.Is(err, pdu.ESME_RQUERYFAIL) {
		t.Fatalf("query of an unknown id: %v", err)
	}
}

func TestReloadKeepsBinds(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.yaml")
	write := func(accounts string) {
		yaml := "listen: 127.0.0.1:0\nplaintext_listen: 127.0.0.1:0\nhttp_listen: \"\"\ndata_dir: " + filepath.Join(dir, "data") + "\naccounts:\n" + accounts +
			"mo_routes:\n  - prefix: \"\"\n    account: demo\nsimulator: {dlr_delay: 100ms}\n"
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("  - system_id: demo\n    password: demo1234\n")
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
	c := dialDemo(t, a, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.Dial(ctx, a.PlainAddr, client.Config{SystemID: "second", Password: "pw123456", Logger: quietLogger()}); !errors.Is(err, bindRefused) {
		t.Fatalf("unknown account before reload: %v", err)
	}
	write("  - system_id: demo\n    password: demo1234\n  - system_id: second\n    password: pw123456\n")
	if err := a.reload(); err != nil {
		t.Fatal(err)
	}
	c2, err := client.Dial(ctx, a.PlainAddr, client.Config{SystemID: "second", Password: "pw123456", Logger: quietLogger()})
	if err != nil {
		t.Fatalf("new account after reload: %v", err)
	}
	defer c2.Close(context.Background())
	// The bind made before the reload still works.
	if _, err := c.Submit(ctx, &pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte("still bound")}); err != nil {
		t.Fatalf("old bind after reload: %v", err)
	}
	// A bad file is refused and the running configuration kept.
	if err := os.WriteFile(path, []byte("accounts: [{system_id: demo, rate: 1}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.reload(); err == nil {
		t.Fatal("reload accepted a rate of 1 msg/s")
	}
	if _, err := c2.Submit(ctx, &pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte("x")}); err != nil {
		t.Fatalf("after a refused reload: %v", err)
	}
}

func TestFailedBindsRateLimited(t *testing.T) {
	a := inproc(t, func(c *Config) { c.FailedBinds = RateConfig{PerMinute: 1, Burst: 3} })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		if _, err := client.Dial(ctx, a.PlainAddr, client.Config{SystemID: "demo", Password: "wrong", Logger: quietLogger()}); !errors.Is(err, pdu.ESME_RINVPASWD) {
			t.Fatalf("bad password %d: %v", i, err)
		}
	}
	// Now even the right password of demo is refused from this address, for a while.
	if _, err := client.Dial(ctx, a.PlainAddr, client.Config{SystemID: "demo", Password: "demo1234", Logger: quietLogger()}); !errors.Is(err, pdu.ESME_RBINDFAIL) {
		t.Fatalf("after 3 failures: %v", err)
	}
}

// TestBenchConfigLoads: bench.yaml has the unlimited account and, explicitly,
// the demo's simulator and "sim" upstream.
func TestBenchConfigLoads(t *testing.T) {
	cfg, err := loadConfig("bench.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 1 || !cfg.Accounts[0].Unlimited || cfg.Accounts[0].Rate != 0 || cfg.Simulator == nil {
		t.Fatalf("bench.yaml: %+v", cfg.Accounts)
	}
	// The embedded simulator and its upstream, spelled out as the defaults
	// (the demo) had them when the README's figures were measured.
	def := defaultConfig()
	if !reflect.DeepEqual(cfg.Simulator, def.Simulator) || !reflect.DeepEqual(cfg.Upstreams, def.Upstreams) || !reflect.DeepEqual(cfg.Routes, def.Routes) {
		t.Fatalf("bench.yaml: simulator %+v, upstreams %+v, routes %+v; want the defaults'", cfg.Simulator, cfg.Upstreams, cfg.Routes)
	}
}

// TestPassThroughUnchanged checks that what ESMEs submit reaches the upstream
// byte for byte: Kannel's registered_delivery 0x11 / esm_class 0x03 / TON 2,
// flash, Latin-1, binary with a port UDH, SAR TLVs and message_payload.
func TestPassThroughUnchanged(t *testing.T) {
	up := smpptest.NewServer(t, smpptest.Options{Receipts: true, ReceiptDelay: 10 * time.Millisecond})
	a := inproc(t, func(c *Config) {
		c.Simulator = nil
		c.Upstreams = []UpstreamConfig{{Name: "rec", Addrs: []string{up.Addr}, SystemID: "gw", Password: "pw"}}
		c.Routes = []RouteConfig{{Prefix: "", Upstreams: []string{"rec"}}}
	})
	var d deliveries
	c := dialDemo(t, a, d.handler())
	sar := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000005", ShortMessage: []byte("part one"), RegisteredDelivery: 1}
	sar.TLVs.SetSAR(tlv.SAR{Ref: 0x1234, Total: 2, Seq: 1})
	payload := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000006", RegisteredDelivery: 1}
	payload.TLVs.SetMessagePayload(bytes.Repeat([]byte("payload "), 60))
	sent := []*pdu.SubmitSM{
		{SourceAddrTON: 2, SourceAddrNPI: 1, SourceAddr: "1000", DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "254700000001",
			ESMClass: 0x03, RegisteredDelivery: 0x11, ShortMessage: []byte("kannel style")},
		{SourceAddr: "1000", DestinationAddr: "254700000002", DataCoding: 0x10, ShortMessage: []byte("flash"), RegisteredDelivery: 1},
		{SourceAddr: "1000", DestinationAddr: "254700000003", DataCoding: 0x03, ShortMessage: []byte("caf\xe9 \xfcber"), RegisteredDelivery: 1},
		{SourceAddr: "1000", DestinationAddr: "254700000004", DataCoding: 0x04, ESMClass: 0x40, RegisteredDelivery: 1,
			ShortMessage: []byte{0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x01, 0xff, 0xfe}},
		sar, payload,
	}
	ctx := context.Background()
	ids := map[string]string{} // destination -> gateway id
	for _, sm := range sent {
		r, err := c.Submit(ctx, sm)
		if err != nil {
			t.Fatalf("submit to %s: %v", sm.DestinationAddr, err)
		}
		ids[sm.DestinationAddr] = r.MessageID
	}
	got, err := up.WaitSubmits(len(sent), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	byDest := map[string]*pdu.SubmitSM{}
	for _, g := range got {
		sm := g.PDU.(*pdu.SubmitSM)
		byDest[sm.DestinationAddr] = sm
	}
	for _, sm := range sent {
		want, _ := sm.AppendBinary(nil)
		u := byDest[sm.DestinationAddr]
		if u == nil {
			t.Fatalf("%s never reached the upstream", sm.DestinationAddr)
		}
		have, _ := u.AppendBinary(nil)
		if !bytes.Equal(want, have) {
			t.Errorf("%s changed on the way:\n sent %x\n got  %x", sm.DestinationAddr, want, have)
		}
	}
	// Every receipt comes back with the gateway's id, in the text and the TLV.
	for _, dl := range d.wait(t, len(sent), 10*time.Second) {
		r := dl.Receipt
		if r == nil {
			t.Fatal("a delivery that is not a receipt")
		}
		want := ids[dl.Source]
		if r.ID != want || r.TextID != want {
			t.Errorf("receipt for %s: id %q text id %q, want %q", dl.Source, r.ID, r.TextID, want)
		}
	}
}
