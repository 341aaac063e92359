package store_test

import (
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/deliveries/deliveriestest"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/examples/gateway/store/storetest"
)

// TestConformance runs the store's conformance suite on Memory and on
// Pebble, with and without a sync interval.
func TestConformance(t *testing.T) {
	pebbleStore := func(opts store.PebbleOptions) func(t testing.TB) store.Store {
		return func(t testing.TB) store.Store {
			opts.CacheSize, opts.MemTableSize = 8<<20, 4<<20
			s, err := store.OpenPebble(t.TempDir(), opts)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	impls := []struct {
		name string
		open func(t testing.TB) store.Store
	}{
		{"Memory", func(testing.TB) store.Store { return store.NewMemory() }},
		{"Pebble", pebbleStore(store.PebbleOptions{})},
		{"PebbleSyncInterval", pebbleStore(store.PebbleOptions{SyncInterval: time.Millisecond})},
	}
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			storetest.Run(t, impl.open, storetest.Waiters(store.Waiters), storetest.Untracked(store.Untracked))
		})
	}
}

// TestDeliveryQueueConformance runs the deliveries part's suite on the
// store's own: in the store's DB, its Seq counter where the store kept it,
// restarted by reopening the store.
func TestDeliveryQueueConformance(t *testing.T) {
	deliveriestest.Run(t, deliveriestest.Harness{
		Open: func(t *testing.T, cfg deliveriestest.Config) (deliveries.Queue, func() deliveries.Queue) {
			dir := t.TempDir()
			opts := store.PebbleOptions{Deliveries: deliveries.PebbleOptions{Options: deliveries.Options{Lease: cfg.Lease}}}
			s, err := store.OpenPebble(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			restart := func() deliveries.Queue {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if s, err = store.OpenPebble(dir, opts); err != nil {
					t.Fatal(err)
				}
				return s.DeliveryQueue()
			}
			return s.DeliveryQueue(), restart
		},
		StrictLeases: true,
	})
}
