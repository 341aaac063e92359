package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
	"github.com/esmsafrica/smpp/udh"
)

// guard bounds waits that must not hang a broken test; no assertion depends on it.
const guard = 60 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, addr string, cfg client.Config) *client.Client {
	t.Helper()
	if cfg.SystemID == "" {
		cfg.SystemID, cfg.Password = "esme", "secret"
	}
	if cfg.MaxBackoff == 0 {
		cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 20*time.Millisecond
	}
	c, err := client.Dial(testCtx(t), addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func TestBindModes(t *testing.T) {
	for _, tc := range []struct {
		mode  client.Mode
		binds []pdu.CommandID
	}{
		{client.Transceiver, []pdu.CommandID{pdu.BindTransceiverID}},
		{client.Transmitter, []pdu.CommandID{pdu.BindTransmitterID}},
		{client.Receiver, []pdu.CommandID{pdu.BindReceiverID}},
		{client.Pair, []pdu.CommandID{pdu.BindTransmitterID, pdu.BindReceiverID}},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			ts := smpptest.NewServer(t, smpptest.Options{Credentials: map[string]string{"esme": "secret"}})
			c := dial(t, ts.Addr, client.Config{Mode: tc.mode})
			binds, err := ts.WaitBinds(len(tc.binds), guard)
			if err != nil {
				t.Fatal(err)
			}
			got := map[pdu.CommandID]bool{}
			for _, b := range binds {
				if b.Status != pdu.ESME_ROK {
					t.Fatalf("bind refused: %v", b.Status)
				}
				got[b.Request.CommandID()] = true
			}
			for _, id := range tc.binds {
				if !got[id] {
					t.Fatalf("no %s among %v", id, binds)
				}
			}
			ctx := testCtx(t)
			if tc.mode == client.Receiver {
				short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
				_, err := c.Submit(short, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("x")})
				if !errors.Is(err, client.ErrNotBound) || !client.NotSent(err) {
					t.Fatalf("submit on a receiver: %v", err)
				}
				return
			}
			resp, err := c.Submit(ctx, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("hello")})
			if err != nil || resp.MessageID == "" {
				t.Fatalf("submit: %v %v", resp, err)
			}
		})
	}
}

func TestBindRefused(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{Credentials: map[string]string{"esme": "secret"}})
	_, err := client.Dial(testCtx(t), ts.Addr, client.Config{SystemID: "esme", Password: "wrong"})
	if !errors.Is(err, pdu.ESME_RINVPASWD) {
		t.Fatalf("Dial with a wrong password: %v", err)
	}
}

func TestTLS(t *testing.T) {
	ts := smpptest.NewTLSServer(t, smpptest.Options{})
	// Verification is on: a client that does not trust the certificate fails.
	_, err := client.Dial(testCtx(t), ts.Addr, client.Config{SystemID: "esme", DialTimeout: time.Second})
	if err == nil {
		t.Fatal("plaintext client bound to a TLS server")
	}
	untrusted := ts.ClientTLSConfig().Clone()
	untrusted.RootCAs = nil
	if _, err := client.Dial(testCtx(t), ts.Addr, client.Config{SystemID: "esme", TLS: untrusted}); err == nil {
		t.Fatal("bound although the certificate is not trusted")
	}
	c := dial(t, ts.Addr, client.Config{TLS: ts.ClientTLSConfig()})
	if _, err := c.Submit(testCtx(t), &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("tls")}); err != nil {
		t.Fatal(err)
	}
}

// submitAll sends n submits through SubmitAsync and OnDone from one goroutine and returns
// the outcome of each, checking that each completed exactly once.
func submitAll(t *testing.T, c *client.Client, n int, prefix string) (ids []string, errs []error) {
	t.Helper()
	ids, errs = make([]string, n), make([]error, n)
	calls := make([]atomic.Int32, n)
	var wg sync.WaitGroup
	wg.Add(n)
	ctx := testCtx(t)
	for i := range n {
		sm := &pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte(fmt.Sprintf("%s-%d", prefix, i))}
		c.SubmitAsync(ctx, sm).OnDone(func(r *pdu.SubmitSMResp, err error) {
			if calls[i].Add(1) == 1 {
				errs[i] = err
				if err == nil {
					ids[i] = r.MessageID
				}
				wg.Done()
			}
		})
	}
	wg.Wait()
	for i := range calls {
		if n := calls[i].Load(); n != 1 {
			t.Fatalf("request %d completed %d times", i, n)
		}
	}
	return ids, errs
}

func TestWindowTenThousand(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, ts.Addr, client.Config{Session: session.Config{Window: 100}})
	const n = 10000
	ids, errs := submitAll(t, c, n, "w")
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("submit %d: %v", i, errs[i])
		}
		if seen[ids[i]] {
			t.Fatalf("message id %s twice", ids[i])
		}
		seen[ids[i]] = true
	}
	subs, err := ts.WaitSubmits(n, guard)
	if err != nil || len(subs) != n {
		t.Fatalf("server saw %d submits: %v", len(subs), err)
	}
}

func TestAsyncFutures(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, ts.Addr, client.Config{Session: session.Config{Window: 10}})
	ctx := testCtx(t)
	fs := make([]*client.Future[*pdu.SubmitSMResp], 500)
	for i := range fs {
		fs[i] = c.SubmitAsync(ctx, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("a")})
	}
	for i, f := range fs {
		r, err := f.Wait(ctx)
		if err != nil || r.MessageID == "" {
			t.Fatalf("future %d: %v %v", i, r, err)
		}
	}
	// Query the state of the first message.
	r0, _ := fs[0].Result()
	q, err := c.QuerySM(ctx, &pdu.QuerySM{MessageID: r0.MessageID})
	if err != nil || q.MessageID != r0.MessageID {
		t.Fatalf("query_sm: %+v %v", q, err)
	}
	if _, err := c.QuerySM(ctx, &pdu.QuerySM{MessageID: "nope"}); !errors.Is(err, pdu.ESME_RINVMSGID) || client.NotSent(err) {
		t.Fatalf("query_sm of an unknown id: %v", err)
	}
	if _, err := c.DataSM(ctx, &pdu.DataSM{DestinationAddr: "1"}); err != nil {
		t.Fatalf("data_sm: %v", err)
	}
}

func TestReceipts(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{Receipts: true})
	got := make(chan *pdu.Receipt, 10)
	c := dial(t, ts.Addr, client.Config{
		RegisteredDelivery: 1,
		Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
			if !d.IsReceipt() || d.ReceiptErr != nil {
				return fmt.Errorf("not a receipt: %v", d.ReceiptErr)
			}
			got <- d.Receipt.Clone()
			return nil
		}),
	})
	ids, err := c.SendText(testCtx(t), "MyBrand", "+254700000001", "Your code is 123456")
	if err != nil || len(ids) != 1 {
		t.Fatalf("SendText: %v %v", ids, err)
	}
	r := <-got
	if !pdu.MessageIDEqual(r.ID, ids[0]) || !r.Delivered() || r.Fields&pdu.ReceiptIDTLV == 0 {
		t.Fatalf("receipt %+v for %s", r, ids[0])
	}
	res, err := ts.WaitReceipts(1, guard)
	if err != nil || res[0].Err != nil {
		t.Fatalf("receipt not acknowledged: %v %v", res, err)
	}
	sub := ts.Submits()[0].PDU.(*pdu.SubmitSM)
	if sub.SourceAddrTON != 5 || sub.DestAddrTON != 1 || sub.DestinationAddr != "254700000001" || sub.RegisteredDelivery != 1 {
		t.Fatalf("submit_sm fields: %+v", sub)
	}
}

// TestDropMidLoad: the server drops every connection at its 301st submit;
// the client rebinds and carries on. Every request completes once; a request
// the server may have seen is never sent again.
func TestDropMidLoad(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{DropAfter: 300})
	var downs atomic.Int32
	c := dial(t, ts.Addr, client.Config{Session: session.Config{Window: 50}, OnStateChange: func(e client.StateEvent) {
		if e.State == client.Disconnected {
			downs.Add(1)
		}
	}})
	const n = 3000
	ids, errs := submitAll(t, c, n, "d")
	ok, maybe := 0, 0
	for i, err := range errs {
		var le *client.LostError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &le) && le.Sent:
			maybe++
		default:
			t.Fatalf("submit %d: %v", i, err)
		}
		_ = ids
	}
	if ok == 0 || downs.Load() == 0 {
		t.Fatalf("ok %d, maybe sent %d, disconnections %d", ok, maybe, downs.Load())
	}
	// What the server saw: each message at most once; every acknowledged one
	// exactly once, with the id the client got.
	count := map[string]int{}
	idOf := map[string]string{}
	for _, r := range ts.Submits() {
		text := string(r.PDU.(*pdu.SubmitSM).ShortMessage)
		count[text]++
		idOf[text] = r.MessageID
	}
	for i := range n {
		text := fmt.Sprintf("d-%d", i)
		if count[text] > 1 {
			t.Fatalf("%s reached the server %d times", text, count[text])
		}
		if errs[i] == nil && (count[text] != 1 || idOf[text] != ids[i]) {
			t.Fatalf("%s acknowledged as %s, server saw it %d times as %s", text, ids[i], count[text], idOf[text])
		}
	}
	if len(ts.Binds()) < 2 {
		t.Fatalf("no rebind: %d binds", len(ts.Binds()))
	}
	t.Logf("%d ok, %d maybe sent, %d disconnections", ok, maybe, downs.Load())
}

func TestThrottle(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{ThrottleEvery: 3})
	c := dial(t, ts.Addr, client.Config{RetryThrottled: true, MaxRetries: 100, ThrottleBackoff: time.Millisecond, MinRate: 2000})
	const n = 600
	_, errs := submitAll(t, c, n, "t")
	for i, err := range errs {
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
	}
	st := c.Stats()[0]
	if st.Throttled == 0 || st.RateCuts == 0 {
		t.Fatalf("no slow-down: %+v", st)
	}
	// Every message got through exactly once.
	ok := map[string]int{}
	for _, r := range ts.Submits() {
		if r.Status == pdu.ESME_ROK {
			ok[string(r.PDU.(*pdu.SubmitSM).ShortMessage)]++
		}
	}
	for i := range n {
		if k := ok[fmt.Sprintf("t-%d", i)]; k != 1 {
			t.Fatalf("t-%d accepted %d times", i, k)
		}
	}
	t.Logf("%+v", st)

	// Without RetryThrottled the status comes back.
	c2 := dial(t, ts.Addr, client.Config{ThrottleBackoff: time.Millisecond, MinRate: 2000})
	_, errs = submitAll(t, c2, 9, "u")
	throttled := 0
	for _, err := range errs {
		if errors.Is(err, pdu.ESME_RTHROTTLED) {
			throttled++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if throttled == 0 {
		t.Fatal("no ESME_RTHROTTLED returned")
	}
}

func TestFailover(t *testing.T) {
	down := smpptest.NewServer(t, smpptest.Options{})
	downAddr := down.Addr
	down.Close()
	up := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, downAddr, client.Config{Endpoints: []client.Endpoint{{Addr: up.Addr}}})
	if _, err := c.Submit(testCtx(t), &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("f")}); err != nil {
		t.Fatal(err)
	}
	if len(up.Submits()) != 1 {
		t.Fatal("submit did not go to the live endpoint")
	}

	// Two live endpoints: the first is preferred; when it goes, the second
	// takes over.
	a := smpptest.NewServer(t, smpptest.Options{})
	b := smpptest.NewServer(t, smpptest.Options{})
	aDown := make(chan struct{})
	var once sync.Once
	c2 := dial(t, a.Addr, client.Config{Endpoints: []client.Endpoint{{Addr: b.Addr}}, OnStateChange: func(e client.StateEvent) {
		if e.Endpoint == a.Addr && e.State == client.Disconnected {
			once.Do(func() { close(aDown) })
		}
	}})
	// Dial returns once one bind is up, which may be b's: wait for both.
	deadline := time.Now().Add(guard)
	for st := c2.Stats(); !st[0].Up || !st[1].Up; st = c2.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("binds not up: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
	submitAll(t, c2, 50, "a")
	if len(a.Submits()) != 50 || len(b.Submits()) != 0 {
		t.Fatalf("a %d b %d", len(a.Submits()), len(b.Submits()))
	}
	a.Close()
	<-aDown // requests in flight on a when it goes may be lost ("maybe sent")
	_, errs := submitAll(t, c2, 50, "b")
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(b.Submits()) != 50 {
		t.Fatalf("b got %d", len(b.Submits()))
	}
}

func TestSpread(t *testing.T) {
	a := smpptest.NewServer(t, smpptest.Options{})
	b := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, a.Addr, client.Config{Spread: true, Endpoints: []client.Endpoint{{Addr: b.Addr}}})
	if _, err := b.WaitBinds(1, guard); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitBinds(1, guard); err != nil {
		t.Fatal(err)
	}
	for c.Stats()[0].Up != true || c.Stats()[1].Up != true {
		time.Sleep(time.Millisecond)
	}
	submitAll(t, c, 100, "s")
	if len(a.Submits()) == 0 || len(b.Submits()) == 0 || len(a.Submits())+len(b.Submits()) != 100 {
		t.Fatalf("a %d b %d", len(a.Submits()), len(b.Submits()))
	}
}

// longText is 500 characters of Unicode with emoji.
func longText() string {
	var b strings.Builder
	parts := []string{"Habari ", "😀", "日本語", "ça va? ", "🚀", "Ω≈ç√", "👍🏽"}
	for utf8.RuneCountInString(b.String()) < 500 {
		for _, p := range parts {
			for _, r := range p {
				if utf8.RuneCountInString(b.String()) < 500 {
					b.WriteRune(r)
				}
			}
		}
	}
	return b.String()
}

// segmentsUCS2 counts the segments of a UCS-2 text, 67 code units per
// segment (8-bit reference UDH), never splitting a surrogate pair.
func segmentsUCS2(s string) int {
	n, used := 1, 0
	for _, r := range s {
		u := 1
		if r > 0xFFFF {
			u = 2
		}
		if used+u > 67 {
			n++
			used = 0
		}
		used += u
	}
	return n
}

func TestLongMessage(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, ts.Addr, client.Config{})
	text := longText()
	if utf8.RuneCountInString(text) != 500 {
		t.Fatal("bad test text")
	}
	ids, err := c.SendText(testCtx(t), "+254700000002", "+254700000001", text)
	if err != nil {
		t.Fatal(err)
	}
	want := segmentsUCS2(text)
	if len(ids) != want {
		t.Fatalf("%d segments, want %d", len(ids), want)
	}
	subs, err := ts.WaitSubmits(want, guard)
	if err != nil || len(subs) != want {
		t.Fatalf("server got %d: %v", len(subs), err)
	}
	assertReassembles(t, subs, text, want)
}

func assertReassembles(t *testing.T, subs []smpptest.Received, text string, want int) {
	t.Helper()
	r := udh.NewReassembler(udh.Config{})
	var done []udh.Assembled
	for _, s := range subs {
		sm := s.PDU.(*pdu.SubmitSM)
		if len(sm.ShortMessage) > 140 {
			t.Fatalf("segment of %d octets", len(sm.ShortMessage))
		}
		if sm.DataCoding != 8 {
			t.Fatalf("data_coding %d", sm.DataCoding)
		}
		m, ok, err := r.Add(udh.Part{Source: sm.SourceAddr, Dest: sm.DestinationAddr, UDHI: sm.ESMClass&0x40 != 0,
			DataCoding: sm.DataCoding, ShortMessage: sm.ShortMessage, TLVs: sm.TLVs}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			done = append(done, m)
		}
	}
	if len(done) != 1 || done[0].Total != want {
		t.Fatalf("reassembled %d messages", len(done))
	}
	got, err := done[0].Text()
	if err != nil || got != text {
		t.Fatalf("reassembled text differs: %v\n%q\n%q", err, got, text)
	}
}

func TestLongMessageSAR(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, ts.Addr, client.Config{Split: client.SplitSAR})
	text := longText()
	ids, err := c.SendText(testCtx(t), "A", "1", text)
	if err != nil {
		t.Fatal(err)
	}
	subs, _ := ts.WaitSubmits(len(ids), guard)
	for _, s := range subs {
		if _, ok := s.PDU.(*pdu.SubmitSM).TLVs.SAR(); !ok {
			t.Fatal("no SAR TLVs")
		}
	}
	r := udh.NewReassembler(udh.Config{})
	for i, s := range subs {
		sm := s.PDU.(*pdu.SubmitSM)
		m, ok, err := r.Add(udh.Part{Source: sm.SourceAddr, Dest: sm.DestinationAddr, DataCoding: sm.DataCoding, ShortMessage: sm.ShortMessage, TLVs: sm.TLVs}, time.Now())
		if err != nil || ok != (i == len(subs)-1) {
			t.Fatalf("part %d: %v %v", i, ok, err)
		}
		if ok {
			if got, _ := m.Text(); got != text {
				t.Fatal("SAR text differs")
			}
		}
	}
}

// TestMOReassembly delivers a three-part MO message; the handler sees it
// once, whole. A handler error answers ESME_RX_T_APPN, and the SMSC's
// redelivery of the last part brings the whole message back.
func TestMOReassembly(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	got := make(chan string, 10)
	var fail atomic.Bool
	c := dial(t, ts.Addr, client.Config{Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
		if d.IsReceipt() {
			return errors.New("unexpected receipt")
		}
		s, err := d.Text()
		if err != nil {
			return err
		}
		got <- s
		if fail.Load() {
			return errors.New("database down")
		}
		return nil
	})})
	_ = c
	if _, err := ts.WaitBinds(1, guard); err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("MO message that is long enough for three parts. ", 9)
	msg, err := udh.Split(text, udh.Options{Refs: udh.RefFunc(func() uint16 { return 77 })})
	if err != nil || len(msg.Segments) != 3 {
		t.Fatalf("split: %d %v", len(msg.Segments), err)
	}
	ctx := testCtx(t)
	deliver := func(i int) error {
		seg := msg.Segments[i]
		_, err := ts.SMSC.Deliver(ctx, "esme", &pdu.DeliverSM{SourceAddr: "254700000009", DestinationAddr: "12345",
			ESMClass: 0x40, DataCoding: seg.DataCoding, ShortMessage: append([]byte(nil), seg.ShortMessage...)})
		return err
	}
	for _, i := range []int{2, 0, 1} {
		if err := deliver(i); err != nil {
			t.Fatalf("deliver part %d: %v", i, err)
		}
	}
	if s := <-got; s != text {
		t.Fatalf("got %q", s)
	}

	// Same message again with another reference, and a failing handler.
	msg, _ = udh.Split(text, udh.Options{Refs: udh.RefFunc(func() uint16 { return 78 })})
	fail.Store(true)
	deliver(0)
	deliver(1)
	if err := deliver(2); !errors.Is(err, pdu.ESME_RX_T_APPN) {
		t.Fatalf("handler error answered %v", err)
	}
	if s := <-got; s != text {
		t.Fatalf("got %q", s)
	}
	fail.Store(false)
	if err := deliver(2); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if s := <-got; s != text {
		t.Fatalf("redelivered %q", s)
	}
}

func TestHold(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	acks := make(chan func(error), 1)
	dial(t, ts.Addr, client.Config{Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
		acks <- d.Hold()
		return errors.New("ignored after Hold")
	})})
	ts.WaitBinds(1, guard)
	errc := make(chan error, 1)
	go func() {
		_, err := ts.SMSC.Deliver(testCtx(t), "esme", &pdu.DeliverSM{SourceAddr: "1", DestinationAddr: "2", ShortMessage: []byte("hi")})
		errc <- err
	}()
	ack := <-acks
	ack(nil)
	if err := <-errc; err != nil {
		t.Fatalf("held delivery answered %v", err)
	}
}

func TestNoHandler(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	dial(t, ts.Addr, client.Config{})
	ts.WaitBinds(1, guard)
	_, err := ts.SMSC.Deliver(testCtx(t), "esme", &pdu.DeliverSM{SourceAddr: "1", DestinationAddr: "2", ShortMessage: []byte("hi")})
	if !errors.Is(err, pdu.ESME_RX_T_APPN) {
		t.Fatalf("no handler answered %v", err)
	}
}

func TestSendTextGSM(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, ts.Addr, client.Config{Split: client.SplitUDH16})
	text := strings.Repeat("0123456789", 31) // 310 GSM characters: 3 segments of 152
	ids, err := c.SendText(testCtx(t), "A", "1", text)
	if err != nil || len(ids) != 3 {
		t.Fatalf("%v %v", ids, err)
	}
	subs, _ := ts.WaitSubmits(3, guard)
	for _, s := range subs {
		sm := s.PDU.(*pdu.SubmitSM)
		if sm.DataCoding != 0 || sm.ESMClass&0x40 == 0 || sm.ShortMessage[1] != 0x08 {
			t.Fatalf("segment: dc %d esm %x udh %x", sm.DataCoding, sm.ESMClass, sm.ShortMessage[:7])
		}
	}
	_ = encoding.GSM7
}

// Two binds to the same address are told apart in state events by Slot.
func TestStateEventSlots(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	var mu sync.Mutex
	bound := map[int]string{}
	c := dial(t, ts.Addr, client.Config{
		Endpoints: []client.Endpoint{{Addr: ts.Addr}},
		Mode:      client.Pair,
		OnStateChange: func(e client.StateEvent) {
			if e.State == client.Bound {
				mu.Lock()
				bound[e.Slot] = e.Endpoint + " " + e.Bind.String()
				mu.Unlock()
			}
		},
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(bound)
		mu.Unlock()
		if n == 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	// Pair mode: a transmitter and a receiver to each of the two endpoints,
	// both the same address.
	if len(bound) != 4 {
		t.Fatalf("bound slots %v, want 4 distinct", bound)
	}
	for i := range 4 {
		if _, ok := bound[i]; !ok {
			t.Fatalf("slot %d missing: %v", i, bound)
		}
	}
	_ = c
}
