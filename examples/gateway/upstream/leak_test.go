package upstream

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/esmsafrica/smpp/internal/leakcheck"
)

// Stop ends every goroutine the Dispatcher started: the dispatchers
// waiting for an SMSC to bind, and a receipt parked for a message whose
// answer is not recorded (its wait ends, and the SMSC is asked to deliver
// it again later).
func TestStopLeavesNoGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, st := newTest(t, Options{})
		d.Start()
		u := &SMSC{d: d, name: "sim"}
		answer := take(d, u, receiptFor(t, "UP404"))
		synctest.Wait()
		if n := d.ReceiptsWaiting(); n != 1 {
			t.Fatalf("%d receipts waiting, want 1", n)
		}
		d.Stop(context.Background())
		if n := d.ReceiptsWaiting(); n != 0 {
			t.Errorf("%d receipts waiting after Stop, want 0", n)
		}
		if err := <-answer; err == nil {
			t.Error("a receipt parked at Stop was acknowledged; want it asked for again")
		}
		st.Close()
		leakcheck.Bubble(t, time.Minute)
	})
}
