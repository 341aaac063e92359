package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

func testConcurrent(t testing.TB, s store.Store) {
	const workers, per = 16, 50
	parallel(t, workers, func(w int) error {
		acc := fmt.Sprintf("acct%d", w%4)
		for i := 0; i < per; i++ {
			id := fmt.Sprintf("w%02d-%04d", w, i)
			if err := ackedLifecycle(s, id, acc); err != nil {
				return err
			}
			// Leave one delivery per message queued for the check below.
			if err := s.DeliveryQueue().Add(context.Background(), &store.Delivery{Account: acc, Body: []byte(id)}); err != nil {
				return err
			}
			if got, err := s.LookupUpstream("r1", "up-"+id); err != nil || got != id {
				return fmt.Errorf("LookupUpstream(%s) = %q, %v", id, got, err)
			}
			if _, err := s.DeliveryQueue().Accounts(); err != nil {
				return err
			}
		}
		return nil
	})
	total := 0
	for a := 0; a < 4; a++ {
		// None handed out yet: in Seq order.
		var last uint64
		for _, d := range deliveriesOf(t, s, fmt.Sprintf("acct%d", a)) {
			if d.Seq <= last {
				t.Errorf("out of order: %d after %d", d.Seq, last)
			}
			last = d.Seq
			total++
		}
	}
	if total != workers*per {
		t.Fatalf("%d deliveries queued, want %d", total, workers*per)
	}
	// Every message went through its four writes (writeLifecycle), each of
	// which counted once, and left its ticket in the queue.
	for w := range workers {
		for i := 0; i < per; i++ {
			id := fmt.Sprintf("w%02d-%04d", w, i)
			if m := mustGet(t, s, id); m.State != store.Delivered || m.Rev != 4 {
				t.Fatalf("%s: state %d rev %d, want Delivered rev 4", id, m.State, m.Rev)
			}
		}
	}
	if n, err := s.Queue().Len(); err != nil || n != workers*per {
		t.Fatalf("queue Len = %d, %v; want %d", n, err, workers*per)
	}
	n, err := s.Purge(time.Now().Add(time.Second))
	if err != nil || n != workers*per {
		t.Fatalf("Purge = %d, %v; want %d", n, err, workers*per)
	}
}
