package store

import (
	"fmt"
	"testing"
	"time"
)

func testConcurrent(t *testing.T, s Store) {
	const workers, per = 16, 50
	parallel(t, workers, func(w int) error {
		acc := fmt.Sprintf("acct%d", w%4)
		for i := 0; i < per; i++ {
			id := fmt.Sprintf("w%02d-%04d", w, i)
			if err := lifecycle(s, id, acc); err != nil {
				return err
			}
			// Leave one delivery per message queued for the check below.
			if err := s.AddDelivery(&Delivery{Account: acc, Body: []byte(id)}, false); err != nil {
				return err
			}
			if got, err := s.LookupUpstream("r1", "up-"+id); err != nil || got != id {
				return fmt.Errorf("LookupUpstream(%s) = %q, %v", id, got, err)
			}
			if _, err := s.Accounts(); err != nil {
				return err
			}
		}
		return nil
	})
	total := 0
	for a := 0; a < 4; a++ {
		var last uint64
		err := s.Deliveries(fmt.Sprintf("acct%d", a), 0, func(d *Delivery) bool {
			if d.Seq <= last {
				t.Errorf("out of order: %d after %d", d.Seq, last)
			}
			last = d.Seq
			total++
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if total != workers*per {
		t.Fatalf("%d deliveries queued, want %d", total, workers*per)
	}
	if err := s.Pending(func(m *Message) bool { t.Errorf("pending: %s", m.ID); return true }); err != nil {
		t.Fatal(err)
	}
	n, err := s.Purge(time.Now().Add(time.Second))
	if err != nil || n != workers*per {
		t.Fatalf("Purge = %d, %v; want %d", n, err, workers*per)
	}
}
