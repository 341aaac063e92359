package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// testReceiptAfterState checks that a receipt queued by UpdateWithDelivery
// is handed out only once its message's new state is what Get returns: an
// ESME that queries the message on its receipt reads the final state. A
// claimer waits for each receipt while it is written, and reads the
// message as soon as it has it.
func testReceiptAfterState(t testing.TB, s store.Store) {
	const n = 200
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	read := make(chan error, 1)
	go func() {
		for range n {
			cs, err := s.DeliveryQueue().Claim(ctx, "rv", nil, 1)
			if err != nil {
				read <- err
				return
			}
			id := string(cs[0].Delivery().Body)
			m, err := s.Get(id)
			if err != nil {
				read <- err
				return
			}
			if m.State != store.Delivered {
				read <- fmt.Errorf("message %s read as %v once its receipt was handed out", id, m.State)
				return
			}
			if err := cs[0].Ack(); err != nil {
				read <- err
				return
			}
		}
		read <- nil
	}()
	for i := range n {
		id := fmt.Sprintf("rv-%04d", i)
		m := fullMessage(id)
		if err := s.Accept(m); err != nil {
			t.Fatal(err)
		}
		m.State, m.Route, m.UpstreamID = store.Enroute, "r", "UP"+id
		if err := s.MapUpstream(m, "up"+id); err != nil {
			t.Fatal(err)
		}
		m.State, m.Done = store.Delivered, time.Now()
		if err := s.UpdateWithDelivery(m, &store.Delivery{Account: "rv", Body: []byte(id), Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-read; err != nil {
		t.Fatal(err)
	}
}
