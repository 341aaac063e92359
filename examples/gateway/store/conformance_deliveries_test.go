package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/deliveries/deliveriestest"
)

func testDeliveries(t *testing.T, s Store) {
	var seqs []uint64
	created := time.Now()
	// "a" is a prefix of "ab": they must not mix.
	for i := 0; i < 10; i++ {
		acc := []string{"a", "ab"}[i%2]
		d := &Delivery{Account: acc, Body: []byte(fmt.Sprintf("%s-%d", acc, i)), Created: created}
		if err := s.AddDelivery(d); err != nil {
			t.Fatal(err)
		}
		if len(seqs) > 0 && d.Seq <= seqs[len(seqs)-1] {
			t.Fatalf("Seq %d not above previous %d", d.Seq, seqs[len(seqs)-1])
		}
		seqs = append(seqs, d.Seq)
	}
	list := func(acc string) (bodies []string) {
		t.Helper()
		var last uint64
		err := s.Deliveries(acc, 0, func(d *Delivery) bool {
			if d.Account != acc || d.Seq <= last || !d.Created.Equal(created) {
				t.Errorf("bad delivery %+v (last seq %d)", d, last)
			}
			last = d.Seq
			bodies = append(bodies, string(d.Body))
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		return bodies
	}
	if got, want := list("a"), []string{"a-0", "a-2", "a-4", "a-6", "a-8"}; !slices.Equal(got, want) {
		t.Fatalf("Deliveries(a) = %v, want %v", got, want)
	}
	if got, want := list("ab"), []string{"ab-1", "ab-3", "ab-5", "ab-7", "ab-9"}; !slices.Equal(got, want) {
		t.Fatalf("Deliveries(ab) = %v, want %v", got, want)
	}
	if got := list("b"); len(got) != 0 {
		t.Fatalf("Deliveries(b) = %v", got)
	}
	if err := s.RemoveDelivery("a", seqs[2]); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveDelivery("ab", seqs[2]); err != nil { // wrong account: no-op
		t.Fatal(err)
	}
	if err := s.RemoveDelivery("a", 1<<60); err != nil { // unknown: no-op
		t.Fatal(err)
	}
	if got, want := list("a"), []string{"a-0", "a-4", "a-6", "a-8"}; !slices.Equal(got, want) {
		t.Fatalf("after remove: Deliveries(a) = %v, want %v", got, want)
	}
	// Early stop; removing from inside fn.
	n := 0
	err := s.Deliveries("ab", 0, func(d *Delivery) bool {
		n++
		if err := s.RemoveDelivery(d.Account, d.Seq); err != nil {
			t.Error(err)
		}
		return n < 2
	})
	if err != nil || n != 2 {
		t.Fatalf("early stop: n = %d, err = %v", n, err)
	}
	if got, want := list("ab"), []string{"ab-5", "ab-7", "ab-9"}; !slices.Equal(got, want) {
		t.Fatalf("Deliveries(ab) = %v, want %v", got, want)
	}
	// From a Seq on: ab-7 has seqs[7].
	var from []string
	if err := s.Deliveries("ab", seqs[7], func(d *Delivery) bool {
		from = append(from, string(d.Body))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ab-7", "ab-9"}; !slices.Equal(from, want) {
		t.Fatalf("Deliveries(ab, from the Seq of ab-7) = %v, want %v", from, want)
	}
	testReceiptClaimable(t, s)
}

func testAccounts(t *testing.T, s Store) {
	accs := func() []string {
		t.Helper()
		a, err := s.Accounts()
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if got := accs(); len(got) != 0 {
		t.Fatalf("Accounts of empty store = %v", got)
	}
	seqs := map[string][]uint64{}
	for _, acc := range []string{"zeta", "a", "alpha", "ab", "zeta", "a", "b"} {
		d := &Delivery{Account: acc, Body: []byte("x")}
		if err := s.AddDelivery(d); err != nil {
			t.Fatal(err)
		}
		seqs[acc] = append(seqs[acc], d.Seq)
	}
	if got, want := accs(), []string{"a", "ab", "alpha", "b", "zeta"}; !slices.Equal(got, want) {
		t.Fatalf("Accounts = %v, want %v", got, want)
	}
	for _, acc := range []string{"a", "b"} {
		for _, seq := range seqs[acc] {
			if err := s.RemoveDelivery(acc, seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.RemoveDelivery("zeta", seqs["zeta"][0]); err != nil {
		t.Fatal(err)
	}
	if got, want := accs(), []string{"ab", "alpha", "zeta"}; !slices.Equal(got, want) {
		t.Fatalf("Accounts = %v, want %v", got, want)
	}
}

// TestDeliveryQueueConformance runs the deliveries part's suite on the
// store's own: in the store's DB, its Seq counter where the store kept it,
// restarted by reopening the store.
func TestDeliveryQueueConformance(t *testing.T) {
	deliveriestest.Run(t, deliveriestest.Harness{
		Open: func(t *testing.T, cfg deliveriestest.Config) (deliveries.Queue, func() deliveries.Queue) {
			dir := t.TempDir()
			opts := PebbleOptions{Deliveries: deliveries.PebbleOptions{Options: deliveries.Options{Lease: cfg.Lease}}}
			s, err := OpenPebble(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			restart := func() deliveries.Queue {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if s, err = OpenPebble(dir, opts); err != nil {
					t.Fatal(err)
				}
				return s.DeliveryQueue()
			}
			return s.DeliveryQueue(), restart
		},
		StrictLeases: true,
	})
}

// testReceiptClaimable: the delivery UpdateWithDelivery writes with the
// final state is the deliveries part's, claimed and acked there, and gone
// from the store's reading once acked.
func testReceiptClaimable(t *testing.T, s Store) {
	m := &Message{ID: "claimable", Account: "acct", State: Queued}
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State = Delivered
	d := &Delivery{Account: "acct", Body: []byte("receipt")}
	if err := s.UpdateWithDelivery(m, d); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := s.DeliveryQueue().Claim(ctx, "acct", nil, 10)
	if err != nil || len(cs) != 1 || cs[0].Delivery().Seq != d.Seq || string(cs[0].Delivery().Body) != "receipt" {
		t.Fatalf("Claim after UpdateWithDelivery: %d claims, %v", len(cs), err)
	}
	if err := cs[0].Ack(); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := s.Deliveries("acct", 0, func(*Delivery) bool { n++; return true }); err != nil || n != 0 {
		t.Fatalf("%d deliveries read after the ack (%v), want none", n, err)
	}
}
