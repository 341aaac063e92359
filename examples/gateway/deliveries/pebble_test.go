package deliveries_test

import (
	"testing"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/deliveries/deliveriestest"
)

// quiet drops Pebble's informational messages.
type quiet struct{}

func (quiet) Infof(string, ...any) {}
func (quiet) Fatalf(format string, args ...any) {
	panic("pebble: fatal: " + format)
}

// openDB opens a Pebble DB in dir, on fs when not nil.
func openDB(t testing.TB, dir string, fs vfs.FS) *pebble.DB {
	t.Helper()
	cache := pebble.NewCache(8 << 20)
	defer cache.Unref()
	db, err := pebble.Open(dir, &pebble.Options{FS: fs, Cache: cache, MemTableSize: 4 << 20, Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// pebbleHarness opens queues on a DB of their own, on disk (fs nil) or in
// memory, with opts.
func pebbleHarness(onDisk bool, opts deliveries.PebbleOptions) deliveriestest.Harness {
	return deliveriestest.Harness{
		Open: func(t *testing.T, cfg deliveriestest.Config) (deliveries.Queue, func() deliveries.Queue) {
			dir, fs := t.TempDir(), vfs.FS(vfs.NewMem())
			if onDisk {
				fs = nil
			}
			o := opts
			o.Lease = cfg.Lease
			db := openDB(t, dir, fs)
			q, err := deliveries.OpenPebble(db, o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				q.Close()
				db.Close()
			})
			restart := func() deliveries.Queue {
				if err := q.Close(); err != nil {
					t.Fatal(err)
				}
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
				db = openDB(t, dir, fs)
				if q, err = deliveries.OpenPebble(db, o); err != nil {
					t.Fatal(err)
				}
				return q
			}
			return q, restart
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
