package main

// Deliveries to one ESME bind never wait on another: a bind that answers
// enquire_link but never deliver_sm, or one that stopped reading its socket,
// holds only the few deliveries it was sent, which go to the healthy binds
// once they time out, and is unbound after that.

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esmsafrica/smpp/pdu"
)

// silent answers enquire_link and unbind, and nothing else.
func (e *rawESME) silent() {
	go func() {
		for {
			e.nc.SetReadDeadline(time.Time{})
			f, err := e.r.Read()
			if err != nil {
				return
			}
			var resp pdu.PDU
			switch f.ID {
			case pdu.EnquireLinkID:
				resp = &pdu.EnquireLinkResp{}
			case pdu.UnbindID:
				resp = &pdu.UnbindResp{}
			default:
				continue
			}
			b, err := pdu.AppendPDU(nil, f.Sequence, pdu.ESME_ROK, resp)
			if err != nil {
				panic(err)
			}
			if _, err := e.nc.Write(b); err != nil {
				return
			}
		}
	}()
}

func TestBadReceiverDoesNotStallAccount(t *testing.T) {
	const deliverTimeout = 6 * time.Second
	a := inproc(t, func(c *Config) { c.DeliverTimeout = Duration(deliverTimeout) })
	// The bad binds first, so that they are there when the receipts come.
	silent := dialRawAs(t, a.PlainAddr, pdu.BindReceiverID, "demo", "demo1234")
	silent.silent()
	dialRawAs(t, a.PlainAddr, pdu.BindReceiverID, "demo", "demo1234") // never reads again
	var d deliveries
	dialDemo(t, a, d.handler())
	waitFor(t, 5*time.Second, "three receivers bound", func() bool { return len(a.gw.srv.Receivers("demo")) == 3 })

	const n = 2000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 32 {
				r := &pdu.DeliverSM{SourceAddr: "254700000001", DestinationAddr: "1000", ESMClass: 0x04,
					ShortMessage: fmt.Appendf(nil, "id:%d sub:001 dlvrd:001 submit date:2601010000 done date:2601010000 stat:DELIVRD err:000 text:", i)}
				if err := a.gw.queueDelivery("demo", r); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	queued := time.Now()

	// The healthy bind gets all but what the two bad ones hold, long before
	// the bad ones' deliveries time out.
	const held = 2 * initialDeliverLimit
	d.wait(t, n-held, deliverTimeout-time.Second)
	if got := len(a.gw.srv.Receivers("demo")); got != 3 {
		t.Fatalf("%d receivers bound when the healthy one had its receipts, want the 3 (no wait for a bad bind to go)", got)
	}
	t.Logf("%d of %d receipts on the healthy bind %v after they were queued", n-held, n, time.Since(queued).Round(time.Millisecond))
	// Then the rest, once the bad binds' deliveries time out, and the bad
	// binds are unbound.
	got := d.wait(t, n, 3*deliverTimeout)
	seen := map[string]int{}
	for _, dl := range got {
		seen[dl.Receipt.ID]++
	}
	if len(seen) != n {
		t.Errorf("%d distinct receipts on the healthy bind, want %d", len(seen), n)
	}
	waitFor(t, 3*deliverTimeout, "the bad binds unbound", func() bool { return len(a.gw.srv.Receivers("demo")) == 1 })
	if n := testutil.ToFloat64(a.gw.metrics.deliveryFailed.WithLabelValues("demo", "timeout")); n < 1 {
		t.Errorf("smpp_gateway_deliveries_failed_total{reason=timeout} = %v after deliveries timed out, want at least 1", n)
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
