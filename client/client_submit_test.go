package client_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

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
