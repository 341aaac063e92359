package deliveries_test

import (
	"testing"

	"github.com/cockroachdb/pebble"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/deliveries/deliveriestest"
	"github.com/esmsafrica/smpp/examples/gateway/internal/suitekit"
)

// pebbleHarness opens queues on a DB of their own, on disk (fs nil) or in
// memory, with opts.
func pebbleHarness(onDisk bool, opts deliveries.PebbleOptions) deliveriestest.Harness {
	return deliveriestest.Harness{
		Open: func(t *testing.T, cfg deliveriestest.Config) (deliveries.Queue, func() deliveries.Queue) {
			o := opts
			o.Lease = cfg.Lease
			return suitekit.OnPebble(t, onDisk, func(db *pebble.DB) (deliveries.Queue, error) { return deliveries.OpenPebble(db, o) })
		},
		StrictLeases: true,
		Bubble:       !onDisk,
	}
}

func TestPebbleConformance(t *testing.T) {
	for _, v := range []struct {
		name   string
		onDisk bool
		opts   deliveries.PebbleOptions
	}{
		{"Disk", true, deliveries.PebbleOptions{}},
		// Memory holds four deliveries an account: the rest is read back
		// from disk.
		{"Spill", false, deliveries.PebbleOptions{MaxHeld: 4}},
		{"NoSyncPrefix", false, deliveries.PebbleOptions{NoSync: true, Prefix: []byte("dl/")}},
	} {
		t.Run(v.name, func(t *testing.T) {
			deliveriestest.Run(t, pebbleHarness(v.onDisk, v.opts))
		})
	}
}
