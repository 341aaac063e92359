// Package diskseq hands out sequence numbers that are never used twice,
// across restarts too, for the gateway's single-node queues on Pebble
// (package queue's tickets, package deliveries' Seqs): the numbers are
// reserved on disk a block at a time, so that handing one out is a write
// once per block.
package diskseq

import (
	"encoding/binary"
	"errors"

	"github.com/cockroachdb/pebble"
)

// Block is how many numbers are reserved on disk at a time.
const Block = 1 << 20

// Counter hands out numbers never handed out before. Its zero value hands
// out 1, 2, ... in memory only (a queue without a DB). Its owner's lock
// guards it.
type Counter struct {
	db    *pebble.DB
	key   []byte
	last  uint64 // the last number handed out
	limit uint64 // the numbers reserved on disk
}

// Open returns the counter kept at key in db: it hands out the numbers
// after the last block reserved there (the rest of that block may have
// been used before a crash). A value at key that is not a number gives
// corrupt.
func Open(db *pebble.DB, key []byte, corrupt error) (Counter, error) {
	c := Counter{db: db, key: key}
	v, closer, err := db.Get(key)
	switch {
	case err == nil:
		if len(v) != 8 {
			err = corrupt
		} else {
			c.last = binary.BigEndian.Uint64(v)
		}
		closer.Close()
	case errors.Is(err, pebble.ErrNotFound):
		err = nil
	}
	if err != nil {
		return Counter{}, err
	}
	c.limit = c.last
	return c, nil
}

// Next returns a number never handed out before, reserving the next block
// on disk first when the reserved ones are used up. The reservation is
// not synced: it precedes in the log every write that uses a number from
// the block, so any of them that survives a crash implies it did.
func (c *Counter) Next() (uint64, error) {
	if c.db != nil && c.last >= c.limit {
		limit := c.last + Block
		if err := c.db.Set(c.key, binary.BigEndian.AppendUint64(nil, limit), pebble.NoSync); err != nil {
			return 0, err
		}
		c.limit = limit
	}
	c.last++
	return c.last, nil
}

// Last returns the last number handed out (0 for none).
func (c *Counter) Last() uint64 { return c.last }
