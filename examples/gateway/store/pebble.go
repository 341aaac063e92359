package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble"
)

// ErrClosed is returned by the methods of a store that has been closed.
var ErrClosed = errors.New("gateway store: closed")

// errEmptyID is returned for a message without an id.
var errEmptyID = errors.New("gateway store: empty message id")

// PebbleOptions tunes OpenPebble. The zero value is a sensible default.
type PebbleOptions struct {
	// CacheSize is the block cache size in bytes (default 64 MiB).
	CacheSize int64
	// MemTableSize is the size of one memtable in bytes (default 32 MiB); up
	// to two may be held while one is flushed.
	MemTableSize uint64
	// SyncInterval is the shortest time between two syncs of the write-ahead
	// log: synced writes that arrive within it wait for the same sync (group
	// commit with a short wait). Under load this trades up to that much
	// latency per synced write for fewer syncs, less CPU and a shorter tail;
	// a lone write is not delayed. Zero syncs as soon as one is asked for.
	SyncInterval time.Duration
	// Logger receives Pebble's log messages. If nil, informational messages
	// are dropped and background errors go to the standard logger.
	Logger pebble.Logger
}

// Pebble is a Store kept in a Pebble database on local disk. Concurrent
// writes are committed in groups, in one batch each (see lane), and a
// group's synced writes share one WAL fsync.
type Pebble struct {
	db *pebble.DB

	// Every operation counts itself in ops and then checks closed; Close
	// sets closed and waits for ops to drain. Unlike a RWMutex this cannot
	// deadlock when a Pending or Deliveries callback calls back into the
	// store while Close waits.
	ops    atomic.Int64
	closed atomic.Bool

	seqMu    sync.Mutex
	seq      uint64 // last Seq handed out
	seqLimit uint64 // highest Seq reserved in the database

	synced, unsynced lane // group commit of the writes with and without sync
}

var _ Store = (*Pebble)(nil)

// OpenPebble opens (creating if needed) the store in directory dir.
func OpenPebble(dir string, opts PebbleOptions) (*Pebble, error) {
	if opts.CacheSize <= 0 {
		opts.CacheSize = 64 << 20
	}
	if opts.MemTableSize == 0 {
		opts.MemTableSize = 32 << 20
	}
	cache := pebble.NewCache(opts.CacheSize)
	popts := &pebble.Options{
		Cache:        cache,
		MemTableSize: opts.MemTableSize,
		Logger:       opts.Logger,
	}
	if d := opts.SyncInterval; d > 0 {
		popts.WALMinSyncInterval = func() time.Duration { return d }
	}
	if popts.Logger == nil {
		// Pebble's informational messages (WAL replay at every open, ...)
		// are dropped; background errors still reach the standard logger.
		popts.Logger = quietLogger{}
		popts.EventListener = &pebble.EventListener{
			BackgroundError: func(err error) { log.Printf("gateway store: pebble background error: %v", err) },
		}
	}
	db, err := pebble.Open(dir, popts)
	cache.Unref() // the DB holds its own reference
	if err != nil {
		return nil, fmt.Errorf("gateway store: open %s: %w", dir, err)
	}
	p := &Pebble{db: db}
	p.synced = lane{db: db, sync: true}
	p.unsynced = lane{db: db}
	v, closer, err := db.Get([]byte{kindSeq})
	switch {
	case err == nil:
		if len(v) == 8 {
			p.seq = binary.BigEndian.Uint64(v)
		} else {
			err = errCorrupt
		}
		closer.Close()
	case errors.Is(err, pebble.ErrNotFound):
		err = nil
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("gateway store: open %s: %w", dir, err)
	}
	p.seqLimit = p.seq
	return p, nil
}

// quietLogger drops Pebble's informational messages.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	log.Fatalf("gateway store: pebble: "+format, args...)
}

// commit commits w, synced or not, and recycles it.
func (p *Pebble) commit(w *write, sync bool) error {
	l := &p.unsynced
	if sync {
		l = &p.synced
	}
	err := l.commit(w)
	putWrite(w)
	return err
}

// begin registers an operation; it fails once the store is closed.
func (p *Pebble) begin() error {
	p.ops.Add(1)
	if p.closed.Load() {
		p.ops.Add(-1)
		return ErrClosed
	}
	return nil
}

func (p *Pebble) end() { p.ops.Add(-1) }

// Close flushes and closes the store. Later calls return ErrClosed.
func (p *Pebble) Close() error {
	if p.closed.Swap(true) {
		return ErrClosed
	}
	for p.ops.Load() != 0 {
		time.Sleep(time.Millisecond)
	}
	err := p.db.Flush()
	if cerr := p.db.Close(); err == nil {
		err = cerr
	}
	return err
}
