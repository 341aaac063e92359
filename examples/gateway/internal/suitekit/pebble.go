package suitekit

import (
	"testing"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

// Quiet is a Pebble logger that drops the informational messages.
type Quiet struct{}

// Infof drops the message.
func (Quiet) Infof(string, ...any) {}

// Fatalf panics with the message.
func (Quiet) Fatalf(format string, args ...any) {
	panic("pebble: fatal: " + format)
}

// OpenDB opens a small Pebble DB in dir, on fs when not nil (on disk
// otherwise), or fails the test.
func OpenDB(t testing.TB, dir string, fs vfs.FS) *pebble.DB {
	t.Helper()
	cache := pebble.NewCache(8 << 20)
	defer cache.Unref()
	db, err := pebble.Open(dir, &pebble.Options{FS: fs, Cache: cache, MemTableSize: 4 << 20, Logger: Quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// OnPebble opens a queue with open on a DB of its own, on disk or in
// memory, and returns it with a function that stops it as a process
// stopping would (the queue and the DB closed) and opens the same queue
// again. The last queue and its DB are closed when the test ends.
func OnPebble[Q Closer](t *testing.T, onDisk bool, open func(db *pebble.DB) (Q, error)) (Q, func() Q) {
	dir, fs := t.TempDir(), vfs.FS(vfs.NewMem())
	if onDisk {
		fs = nil
	}
	db := OpenDB(t, dir, fs)
	q, err := open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		q.Close()
		db.Close()
	})
	restart := func() Q {
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db = OpenDB(t, dir, fs)
		if q, err = open(db); err != nil {
			t.Fatal(err)
		}
		return q
	}
	return q, restart
}
