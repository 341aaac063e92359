package store

import (
	"errors"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// l0CompactionThreshold is the number of L0 sublevels that starts a
// compaction out of L0 (Pebble's default is 4).
const l0CompactionThreshold = 16

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
	// SyncInterval is the shortest time from one sync of the write-ahead log
	// to the next group of synced writes: the synced writes that arrive
	// within it wait, then go to the log and its sync together (group commit
	// with a short wait). Under load this trades up to that much latency per
	// synced write for fewer log writes and syncs, less CPU and a shorter
	// tail; a write that finds the log idle for longer is not delayed. Under
	// heavy load (groups of 64 writes and more) the wait grows to twice the
	// interval. Zero: the next group goes as soon as the sync before it ends
	// (one sync at a time).
	SyncInterval time.Duration
	// Queue tunes the queue kept in the same DB (see Pebble.Queue): its
	// lease, its bound, the tickets held in memory.
	Queue queue.PebbleOptions
	// Deliveries tunes the deliveries kept in the same DB (see
	// Pebble.DeliveryQueue): their lease, the deliveries an account holds
	// in memory.
	Deliveries deliveries.PebbleOptions
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

	synced, unsynced *lane // group commit of the writes with and without sync

	track *tracker           // writers' order and the messages on their way
	queue *queue.Pebble      // the tickets, in the same DB (keys from kindQueue)
	dels  *deliveries.Pebble // the deliveries, in the same DB (keys from kindDelivery)
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
		// A bloom filter in every table: most point reads on the hot path
		// miss (a receipt's upstream id before its submit_sm_resp is
		// recorded, a message not held in memory), and a miss then costs
		// a filter probe per table instead of a block read.
		Levels: []pebble.LevelOptions{{FilterPolicy: bloom.FilterPolicy(10)}},
		// Fewer, larger compactions out of L0. Every flush spans the
		// whole keyspace (records, state, index, tickets, deliveries),
		// so each L0 compaction rewrites most of the level below it;
		// waiting for 16 sublevels instead of Pebble's 4 rewrites it a
		// quarter as often. Reads on the hot path come from memory (the
		// tracker) or miss on the bloom filters, so the deeper L0 costs
		// little. Writes stall only at 64 sublevels.
		L0CompactionThreshold: l0CompactionThreshold,
		L0StopWritesThreshold: 4 * l0CompactionThreshold,
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
	p.synced = newLane(db, true, opts.SyncInterval)
	p.unsynced = newLane(db, false, 0)
	p.track = newTracker()
	if err = p.openDeliveries(opts.Deliveries); err != nil {
		db.Close()
		return nil, fmt.Errorf("gateway store: open %s: %w", dir, err)
	}
	qopts := opts.Queue
	qopts.Prefix = []byte{kindQueue}
	if p.queue, err = queue.OpenPebble(db, qopts); err == nil {
		err = p.migratePending()
	}
	if err != nil {
		if p.queue != nil {
			p.queue.Close()
		}
		p.dels.Close()
		db.Close()
		return nil, fmt.Errorf("gateway store: open %s: %w", dir, err)
	}
	return p, nil
}

// Queue returns the queue of messages waiting for an upstream, kept in the
// store's DB: Accept stages a message's ticket in the message's own write.
func (p *Pebble) Queue() queue.Queue { return p.queue }

// migratePending gives a ticket to every message that a version before the
// queue left Queued or Inflight (those kept an index of them, not tickets),
// and removes that index: nothing accepted by an older version is
// forgotten by this one.
func (p *Pebble) migratePending() error {
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: []byte{kindPending}, UpperBound: []byte{kindPending + 1}})
	if err != nil {
		return err
	}
	b := p.db.NewBatch()
	defer b.Close()
	var staged []queue.Staged
	for it.First(); it.Valid(); it.Next() {
		id := string(it.Key()[1:])
		v, err := p.read(id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			it.Close()
			return err
		}
		if v != nil && (v.m.State == Queued || v.m.State == Inflight) {
			s, err := p.queue.Stage(queue.Ticket{ID: id, Rev: v.m.Rev})
			if err != nil {
				it.Close()
				return err
			}
			staged = append(staged, s)
			if err := b.Set(s.AppendKey(nil), s.AppendValue(nil), nil); err != nil {
				it.Close()
				return err
			}
		}
		if err := b.Delete(it.Key(), nil); err != nil {
			it.Close()
			return err
		}
	}
	err = it.Close()
	if err == nil && !b.Empty() {
		err = b.Commit(pebble.Sync)
	}
	for i := range staged {
		staged[i].Done(err)
	}
	return err
}

// quietLogger drops Pebble's informational messages.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	log.Fatalf("gateway store: pebble: "+format, args...)
}

// commit commits w, synced or not, and recycles it.
func (p *Pebble) commit(w *write, sync bool) error {
	l := p.unsynced
	if sync {
		l = p.synced
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

// Close closes the queue and the deliveries, then flushes and closes the store. Later calls
// return ErrClosed.
func (p *Pebble) Close() error {
	if p.closed.Swap(true) {
		return ErrClosed
	}
	qerr := p.queue.Close()
	if derr := p.dels.Close(); qerr == nil || errors.Is(qerr, queue.ErrClosed) {
		qerr = derr
	}
	for p.ops.Load() != 0 {
		time.Sleep(time.Millisecond)
	}
	p.synced.close()
	p.unsynced.close()
	err := p.db.Flush()
	if cerr := p.db.Close(); err == nil {
		err = cerr
	}
	if err == nil && !errors.Is(qerr, queue.ErrClosed) && !errors.Is(qerr, deliveries.ErrClosed) {
		err = qerr
	}
	return err
}
