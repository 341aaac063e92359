package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"
)

// reader is the reading and the removal of deliveries outside the claim
// protocol that both stores' deliveries parts have (for tools and tests;
// not in deliveries.Queue).
type reader interface {
	Scan(account string, from uint64, fn func(*Delivery) bool) error
	Remove(account string, seq uint64) error
}

// delsOf returns the deliveries part of a store of this package.
func delsOf(s Store) reader {
	switch s := s.(type) {
	case *Memory:
		return s.dels
	case *Pebble:
		return s.dels
	}
	panic(fmt.Sprintf("delsOf(%T)", s))
}

// dropDelivery deletes a delivery outside the claim protocol.
func dropDelivery(s Store, account string, seq uint64) error {
	return deliveryErr(delsOf(s).Remove(account, seq))
}

// TestDeliveriesScanRemove checks, on both stores, the reading and the
// removal of their deliveries outside the claim protocol: accounts that
// are prefixes of each other kept apart, a removal of a delivery of
// another account or of an unknown one a no-op, a reading from a Seq on,
// stopped early, and removing from inside its callback.
func TestDeliveriesScanRemove(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			s := impl.open(t)
			defer s.Close()
			r := delsOf(s)
			var seqs []uint64
			for i := 0; i < 10; i++ {
				acc := []string{"a", "ab"}[i%2]
				d := &Delivery{Account: acc, Body: []byte(fmt.Sprintf("%s-%d", acc, i))}
				if err := s.DeliveryQueue().Add(context.Background(), d); err != nil {
					t.Fatal(err)
				}
				seqs = append(seqs, d.Seq)
			}
			list := func(acc string, from uint64) (bodies []string) {
				t.Helper()
				var last uint64
				if err := r.Scan(acc, from, func(d *Delivery) bool {
					if d.Account != acc || d.Seq <= last || d.Seq < from {
						t.Errorf("bad delivery %+v (last seq %d)", d, last)
					}
					last = d.Seq
					bodies = append(bodies, string(d.Body))
					return true
				}); err != nil {
					t.Fatal(err)
				}
				return bodies
			}
			if got, want := list("a", 0), []string{"a-0", "a-2", "a-4", "a-6", "a-8"}; !slices.Equal(got, want) {
				t.Fatalf("Scan(a) = %v, want %v", got, want)
			}
			if got := list("b", 0); len(got) != 0 {
				t.Fatalf("Scan(b) = %v", got)
			}
			for _, c := range []struct {
				acc string
				seq uint64
			}{{"a", seqs[2]}, {"ab", seqs[2]} /* wrong account: no-op */, {"a", 1 << 60} /* unknown: no-op */} {
				if err := dropDelivery(s, c.acc, c.seq); err != nil {
					t.Fatalf("Remove(%s, %d): %v", c.acc, c.seq, err)
				}
			}
			if got, want := list("a", 0), []string{"a-0", "a-4", "a-6", "a-8"}; !slices.Equal(got, want) {
				t.Fatalf("after Remove: Scan(a) = %v, want %v", got, want)
			}
			if got, want := list("ab", 0), []string{"ab-1", "ab-3", "ab-5", "ab-7", "ab-9"}; !slices.Equal(got, want) {
				t.Fatalf("after Remove: Scan(ab) = %v, want %v", got, want)
			}
			// Early stop; removing from inside fn.
			n := 0
			err := r.Scan("ab", 0, func(d *Delivery) bool {
				n++
				if err := dropDelivery(s, d.Account, d.Seq); err != nil {
					t.Error(err)
				}
				return n < 2
			})
			if err != nil || n != 2 {
				t.Fatalf("early stop: n = %d, err = %v", n, err)
			}
			if got, want := list("ab", 0), []string{"ab-5", "ab-7", "ab-9"}; !slices.Equal(got, want) {
				t.Fatalf("Scan(ab) = %v, want %v", got, want)
			}
			// From a Seq on: ab-7 has seqs[7].
			if got, want := list("ab", seqs[7]), []string{"ab-7", "ab-9"}; !slices.Equal(got, want) {
				t.Fatalf("Scan(ab, from the Seq of ab-7) = %v, want %v", got, want)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := dropDelivery(s, "a", seqs[0]); err != ErrClosed {
				t.Fatalf("Remove after Close: %v, want ErrClosed", err)
			}
		})
	}
}

// TestPebbleDeliveriesEarlierLayout writes deliveries as the store wrote
// them before the deliveries part (under 'd': uvarint(len account),
// account, Seq BE8; the value: version 1, a byte saying whether Created
// follows, varint(Unix seconds), uvarint(nanoseconds), uvarint(len body),
// body; the highest Seq reserved at 's') and checks that the part hands
// them out as written, and numbers new ones above them.
func TestPebbleDeliveriesEarlierLayout(t *testing.T) {
	dir := t.TempDir()
	s := openPebble(t, dir)
	created := time.Unix(1700000000, 123456789)
	key := func(account string, seq uint64) []byte {
		k := binary.AppendUvarint([]byte{kindDelivery}, uint64(len(account)))
		return binary.BigEndian.AppendUint64(append(k, account...), seq)
	}
	value := func(body string, withCreated bool) []byte {
		v := []byte{1, 0}
		if withCreated {
			v[1] = 1
			v = binary.AppendVarint(v, created.Unix())
			v = binary.AppendUvarint(v, uint64(created.Nanosecond()))
		}
		v = binary.AppendUvarint(v, uint64(len(body)))
		return append(v, body...)
	}
	b := s.db.NewBatch()
	b.Set(key("ab", 7), value("seven", true), nil)
	b.Set(key("a", 9), value("nine", false), nil)
	b.Set(key("ab", 12), value("", true), nil)
	b.Set([]byte{kindSeq}, binary.BigEndian.AppendUint64(nil, 40), nil)
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openPebble(t, dir)
	defer s.Close()
	q := s.DeliveryQueue()
	if accs, err := q.Accounts(); err != nil || !slices.Equal(accs, []string{"a", "ab"}) {
		t.Fatalf("Accounts = %v, %v; want a, ab", accs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := q.Claim(ctx, "ab", nil, 10)
	if err != nil || len(cs) != 2 {
		t.Fatalf("Claim(ab) = %d, %v; want 2", len(cs), err)
	}
	for i, want := range []Delivery{{Account: "ab", Seq: 7, Body: []byte("seven"), Created: created}, {Account: "ab", Seq: 12, Created: created}} {
		d := cs[i].Delivery()
		if d.Account != want.Account || d.Seq != want.Seq || string(d.Body) != string(want.Body) || !d.Created.Equal(want.Created) {
			t.Fatalf("claim %d: %+v, want %+v", i, d, want)
		}
	}
	if cs, err := q.Claim(ctx, "a", nil, 10); err != nil || len(cs) != 1 || string(cs[0].Delivery().Body) != "nine" || !cs[0].Delivery().Created.IsZero() {
		t.Fatalf("Claim(a) = %d, %v", len(cs), err)
	}
	d := &Delivery{Account: "a", Body: []byte("new")}
	if err := q.Add(ctx, d); err != nil || d.Seq <= 40 {
		t.Fatalf("Add: Seq %d, %v; want above 40", d.Seq, err)
	}
}
