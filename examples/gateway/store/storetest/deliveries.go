package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// claimPending claims every delivery pending for account (none may be
// held by another claimer), in the order handed out.
func claimPending(t testing.TB, s store.Store, account string) []deliveries.Claim {
	t.Helper()
	n := pendingOf(t, s, account)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cs []deliveries.Claim
	for len(cs) < n {
		var err error
		if cs, err = s.DeliveryQueue().Claim(ctx, account, cs, n-len(cs)); err != nil {
			t.Fatalf("Claim of %s after %d of %d deliveries: %v", account, len(cs), n, err)
		}
	}
	return cs
}

// pendingOf returns how many deliveries account has pending.
func pendingOf(t testing.TB, s store.Store, account string) int {
	t.Helper()
	n, err := s.DeliveryQueue().Pending(account)
	if err != nil {
		t.Fatalf("Pending(%s): %v", account, err)
	}
	return n
}

// deliveriesOf returns the deliveries pending for account, in the order
// handed out, and leaves them pending: it claims them and gives them back.
func deliveriesOf(t testing.TB, s store.Store, account string) []*store.Delivery {
	t.Helper()
	var ds []*store.Delivery
	for _, c := range claimPending(t, s, account) {
		ds = append(ds, c.Delivery())
		if err := c.Nak(0); err != nil {
			t.Fatalf("Nak: %v", err)
		}
	}
	return ds
}

// bodiesOf returns the bodies of the deliveries pending for account, in
// Seq order.
func bodiesOf(t testing.TB, s store.Store, account string) []string {
	t.Helper()
	ds := deliveriesOf(t, s, account)
	slices.SortFunc(ds, func(a, b *store.Delivery) int { return cmp.Compare(a.Seq, b.Seq) })
	var bodies []string
	for _, d := range ds {
		bodies = append(bodies, string(d.Body))
	}
	return bodies
}

// removeDelivery acks the account's delivery seq, which must be pending,
// and gives the others back.
func removeDelivery(t testing.TB, s store.Store, account string, seq uint64) {
	t.Helper()
	found := false
	for _, c := range claimPending(t, s, account) {
		var err error
		if c.Delivery().Seq == seq {
			found, err = true, c.Ack()
		} else {
			err = c.Nak(0)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !found {
		t.Fatalf("delivery %d of %s not pending", seq, account)
	}
}

func addDelivery(t testing.TB, s store.Store, d *store.Delivery) {
	t.Helper()
	if err := s.DeliveryQueue().Add(context.Background(), d); err != nil {
		t.Fatalf("Add(%+v): %v", d, err)
	}
}

func testDeliveries(t testing.TB, s store.Store) {
	var seqs []uint64
	created := time.Now()
	// "a" is a prefix of "ab": they must not mix.
	for i := 0; i < 10; i++ {
		acc := []string{"a", "ab"}[i%2]
		d := &store.Delivery{Account: acc, Body: []byte(fmt.Sprintf("%s-%d", acc, i)), Created: created}
		addDelivery(t, s, d)
		if len(seqs) > 0 && d.Seq <= seqs[len(seqs)-1] {
			t.Fatalf("Seq %d not above previous %d", d.Seq, seqs[len(seqs)-1])
		}
		seqs = append(seqs, d.Seq)
	}
	list := func(acc string) (bodies []string) {
		t.Helper()
		var last uint64
		for _, d := range deliveriesOf(t, s, acc) {
			if d.Account != acc || d.Seq <= last || !d.Created.Equal(created) {
				t.Errorf("bad delivery %+v (last seq %d)", d, last)
			}
			last = d.Seq
			bodies = append(bodies, string(d.Body))
		}
		return bodies
	}
	// Handed out for the first time: in Seq order.
	if got, want := list("a"), []string{"a-0", "a-2", "a-4", "a-6", "a-8"}; !slices.Equal(got, want) {
		t.Fatalf("deliveries of a = %v, want %v", got, want)
	}
	if got, want := list("ab"), []string{"ab-1", "ab-3", "ab-5", "ab-7", "ab-9"}; !slices.Equal(got, want) {
		t.Fatalf("deliveries of ab = %v, want %v", got, want)
	}
	if got := list("b"); len(got) != 0 {
		t.Fatalf("deliveries of b = %v", got)
	}
	removeDelivery(t, s, "a", seqs[2])
	if got, want := bodiesOf(t, s, "a"), []string{"a-0", "a-4", "a-6", "a-8"}; !slices.Equal(got, want) {
		t.Fatalf("after an ack: deliveries of a = %v, want %v", got, want)
	}
	// Acked from a claim of a few: the others stay, and another account's.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := s.DeliveryQueue().Claim(ctx, "ab", nil, 2)
	if err != nil || len(cs) != 2 {
		t.Fatalf("Claim of 2: %d, %v", len(cs), err)
	}
	for _, c := range cs {
		if err := c.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := bodiesOf(t, s, "ab"), []string{"ab-5", "ab-7", "ab-9"}; !slices.Equal(got, want) {
		t.Fatalf("deliveries of ab = %v, want %v", got, want)
	}
	if got, want := bodiesOf(t, s, "a"), []string{"a-0", "a-4", "a-6", "a-8"}; !slices.Equal(got, want) {
		t.Fatalf("deliveries of a = %v, want %v", got, want)
	}
	testReceiptClaimable(t, s)
}

func testAccounts(t testing.TB, s store.Store) {
	accs := func() []string {
		t.Helper()
		a, err := s.DeliveryQueue().Accounts()
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
		d := &store.Delivery{Account: acc, Body: []byte("x")}
		addDelivery(t, s, d)
		seqs[acc] = append(seqs[acc], d.Seq)
	}
	if got, want := accs(), []string{"a", "ab", "alpha", "b", "zeta"}; !slices.Equal(got, want) {
		t.Fatalf("Accounts = %v, want %v", got, want)
	}
	for _, acc := range []string{"a", "b"} {
		for _, seq := range seqs[acc] {
			removeDelivery(t, s, acc, seq)
		}
	}
	removeDelivery(t, s, "zeta", seqs["zeta"][0])
	if got, want := accs(), []string{"ab", "alpha", "zeta"}; !slices.Equal(got, want) {
		t.Fatalf("Accounts = %v, want %v", got, want)
	}
}

// testReceiptClaimable: the delivery UpdateWithDelivery writes with the
// final state is the deliveries part's, claimed and acked there, and
// no longer pending once acked.
func testReceiptClaimable(t testing.TB, s store.Store) {
	m := &store.Message{ID: "claimable", Account: "acct", State: store.Queued}
	if err := s.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State = store.Delivered
	d := &store.Delivery{Account: "acct", Body: []byte("receipt")}
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
	if n := pendingOf(t, s, "acct"); n != 0 {
		t.Fatalf("%d deliveries pending after the ack, want none", n)
	}
}
