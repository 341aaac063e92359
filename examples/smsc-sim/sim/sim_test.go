package sim_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

var addrs sync.Map // *sim.Simulator → address

// start serves a simulator on a loopback port for the test.
func start(t *testing.T, cfg sim.Config) *sim.Simulator {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Accounts == nil {
		cfg.Accounts = []sim.Account{{SystemID: "test", Password: "secret"}}
	}
	s := sim.New(cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrs.Store(s, l.Addr().String())
	go s.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s
}

// collector gathers deliveries.
type collector struct {
	mu  sync.Mutex
	got []string // "receipt ID STAT ERR" or "mo FROM TEXT"
	ch  chan struct{}
}

func newCollector() *collector { return &collector{ch: make(chan struct{}, 1000)} }

func (c *collector) HandleDelivery(_ context.Context, d *client.Delivery) error {
	c.mu.Lock()
	if d.IsReceipt() {
		c.got = append(c.got, "receipt "+d.Receipt.ID+" "+d.Receipt.State.Stat()+" "+d.Receipt.Err)
	} else {
		text, _ := d.Text()
		c.got = append(c.got, "mo "+d.Source+" "+text)
	}
	c.mu.Unlock()
	c.ch <- struct{}{}
	return nil
}

func (c *collector) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		if len(c.got) >= n {
			out := append([]string(nil), c.got...)
			c.mu.Unlock()
			return out
		}
		c.mu.Unlock()
		select {
		case <-c.ch:
		case <-deadline:
			t.Fatalf("waited for %d deliveries, got %v", n, c.got)
		}
	}
}

func dial(t *testing.T, s *sim.Simulator, cfg client.Config) *client.Client {
	t.Helper()
	if cfg.SystemID == "" {
		cfg.SystemID, cfg.Password = "test", "secret"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr, _ := addrs.Load(s)
	c, err := client.Dial(ctx, addr.(string), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func TestReceiptQueryCancelReplace(t *testing.T) {
	s := start(t, sim.Config{
		IDFormat:       sim.IDDecimal,
		ReceiptDelay:   50 * time.Millisecond,
		PrefixOutcomes: []sim.PrefixOutcome{{Prefix: "2547009", Outcome: sim.Outcome{State: pdu.StateUndeliverable, Err: 11}}},
	})
	col := newCollector()
	c := dial(t, s, client.Config{Handler: col, RegisteredDelivery: 1})
	ctx := context.Background()

	ids, err := c.SendText(ctx, "1000", "+254700000001", "hello")
	if err != nil {
		t.Fatal(err)
	}
	bad, err := c.SendText(ctx, "1000", "+254700900001", "hello")
	if err != nil {
		t.Fatal(err)
	}
	got := col.wait(t, 2)
	want := map[string]bool{"receipt " + ids[0] + " DELIVRD 000": true, "receipt " + bad[0] + " UNDELIV 011": true}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected delivery %q (want %v)", g, want)
		}
	}
	q, err := c.QuerySM(ctx, &pdu.QuerySM{MessageID: bad[0]})
	if err != nil {
		t.Fatal(err)
	}
	if q.MessageState != pdu.StateUndeliverable || q.ErrorCode != 11 || q.FinalDate == "" {
		t.Errorf("query_sm_resp = %+v", q)
	}
	if _, err := c.QuerySM(ctx, &pdu.QuerySM{MessageID: "999999"}); !errors.Is(err, pdu.ESME_RQUERYFAIL) {
		t.Errorf("query of an unknown id: %v, want ESME_RQUERYFAIL", err)
	}
	if err := c.CancelSM(ctx, &pdu.CancelSM{MessageID: ids[0]}); !errors.Is(err, pdu.ESME_RCANCELFAIL) {
		t.Errorf("cancel of a delivered message: %v, want ESME_RCANCELFAIL", err)
	}

	// A message still en route can be replaced, then cancelled: no receipt.
	s2 := start(t, sim.Config{ReceiptDelay: time.Hour})
	col2 := newCollector()
	c2 := dial(t, s2, client.Config{Handler: col2, RegisteredDelivery: 1})
	id2, err := c2.SendText(ctx, "1000", "2000", "first")
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.ReplaceSM(ctx, &pdu.ReplaceSM{MessageID: id2[0], ShortMessage: []byte("second"), RegisteredDelivery: 1}); err != nil {
		t.Fatal(err)
	}
	if m, ok := s2.Store().Lookup(id2[0]); !ok || m.Text != "second" || m.State != pdu.StateEnroute {
		t.Errorf("after replace: %+v %v", m, ok)
	}
	if err := c2.CancelSM(ctx, &pdu.CancelSM{MessageID: id2[0]}); err != nil {
		t.Fatal(err)
	}
	q2, err := c2.QuerySM(ctx, &pdu.QuerySM{MessageID: id2[0]})
	if err != nil || q2.MessageState != pdu.StateDeleted {
		t.Errorf("query after cancel: %+v %v", q2, err)
	}
}

func TestReceiptWaitsForReceiver(t *testing.T) {
	s := start(t, sim.Config{IDFormat: sim.IDUUID, ReceiptSeconds: true})
	ctx := context.Background()
	tx := dial(t, s, client.Config{Mode: client.Transmitter, RegisteredDelivery: 1})
	ids, err := tx.SendText(ctx, "1000", "2000", "queued")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids[0]) != 36 || strings.Count(ids[0], "-") != 4 {
		t.Errorf("id %q is not a UUID", ids[0])
	}
	time.Sleep(50 * time.Millisecond)
	if st := s.Stats(); st.Pending != 1 {
		t.Errorf("pending = %d, want 1 (no receiver bound)", st.Pending)
	}
	col := newCollector()
	dial(t, s, client.Config{Mode: client.Receiver, Handler: col})
	got := col.wait(t, 1)
	if got[0] != "receipt "+ids[0]+" DELIVRD 000" {
		t.Errorf("got %q", got[0])
	}
}

func TestMOLongSplit(t *testing.T) {
	s := start(t, sim.Config{})
	col := newCollector()
	dial(t, s, client.Config{Mode: client.Receiver, Handler: col})
	long := strings.Repeat("0123456789", 40) // 400 GSM characters: 3 segments
	n, err := s.SendMO(sim.MO{From: "254700000009", To: "1000", Text: long})
	if err != nil || n != 3 {
		t.Fatalf("SendMO = %d, %v; want 3 segments", n, err)
	}
	got := col.wait(t, 1)
	if got[0] != "mo 254700000009 "+long {
		t.Errorf("got %q", got[0])
	}
}

func TestFaultsAndDedupe(t *testing.T) {
	s := start(t, sim.Config{ThrottleEvery: 3, DedupeTLV: 0x1501})
	c := dial(t, s, client.Config{})
	ctx := context.Background()
	var throttled int
	for i := 0; i < 9; i++ {
		_, err := c.Submit(ctx, &pdu.SubmitSM{DestinationAddr: "2000", ShortMessage: []byte("x")})
		if errors.Is(err, pdu.ESME_RTHROTTLED) {
			throttled++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if throttled != 3 {
		t.Errorf("throttled %d of 9, want 3", throttled)
	}
	s2 := start(t, sim.Config{DedupeTLV: 0x1501})
	c2 := dial(t, s2, client.Config{})
	sm := &pdu.SubmitSM{DestinationAddr: "2000", ShortMessage: []byte("x")}
	sm.TLVs.Set(tlv.Tag(0x1501), []byte("key-1"))
	r1, err := c2.Submit(ctx, sm)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c2.Submit(ctx, sm)
	if err != nil {
		t.Fatal(err)
	}
	if r1.MessageID != r2.MessageID || s2.Stats().Submitted != 1 {
		t.Errorf("dedupe: ids %q %q, submitted %d", r1.MessageID, r2.MessageID, s2.Stats().Submitted)
	}
}

func TestBindRefused(t *testing.T) {
	s := start(t, sim.Config{})
	addr, _ := addrs.Load(s)
	_, err := client.Dial(context.Background(), addr.(string), client.Config{SystemID: "test", Password: "nope"})
	if !errors.Is(err, pdu.ESME_RINVPASWD) {
		t.Errorf("bind with a wrong password: %v", err)
	}
}

func TestParse(t *testing.T) {
	o, err := sim.ParseOutcomes("DELIVRD=90,UNDELIV:001=5,EXPIRED=3,REJECTD:069=2")
	if err != nil || len(o) != 4 || o[1].State != pdu.StateUndeliverable || o[1].Err != 1 || o[3].Err != 69 {
		t.Errorf("ParseOutcomes = %+v, %v", o, err)
	}
	lo, hi, err := sim.ParseDelayRange("100ms-2s")
	if err != nil || lo != 100*time.Millisecond || hi != 2*time.Second {
		t.Errorf("ParseDelayRange = %v %v %v", lo, hi, err)
	}
	if _, _, err := sim.ParseDelayRange("2s-1s"); err == nil {
		t.Error("ParseDelayRange accepted MAX < MIN")
	}
}
