package httpapi

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cockroachdb/pebble"
)

// Pebble is the single-node Keeper and References: a Pebble database of
// its own (in the gateway's data_dir), every write synced. Expired entries
// are ignored by the reads and removed by Purge, which the gateway runs
// periodically.
//
// Layout:
//
//	'i' <uvarint len account> <account> <key> -> expires (BE8 Unix ns) | status (BE2) | body hash (32) | body
//	'r' <id>                                  -> expires (BE8 Unix ns) | reference
type Pebble struct {
	db   *pebble.DB
	mu   sync.RWMutex // Close against the others
	done bool
}

// ErrClosed is returned by a closed Pebble's methods.
var ErrClosed = errors.New("gateway http api: idempotency store closed")

// OpenPebble opens (or creates) the database in dir.
func OpenPebble(dir string) (*Pebble, error) {
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("opening the HTTP API's idempotency store in %s: %w", dir, err)
	}
	return &Pebble{db: db}, nil
}

// quietLogger drops Pebble's informational log.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

func answerKey(account, key string) []byte {
	b := binary.AppendUvarint([]byte{'i'}, uint64(len(account)))
	return append(append(b, account...), key...)
}

func refKey(id string) []byte { return append([]byte{'r'}, id...) }

// Get implements Keeper.
func (p *Pebble) Get(_ context.Context, account, key string) (*Answer, error) {
	v, err := p.get(answerKey(account, key))
	if v == nil || err != nil {
		return nil, err
	}
	if len(v) < 8+2+32 {
		return nil, fmt.Errorf("gateway http api: a kept answer of %d bytes is corrupt", len(v))
	}
	a := &Answer{Expires: time.Unix(0, int64(binary.BigEndian.Uint64(v))), Status: int(binary.BigEndian.Uint16(v[8:]))}
	if !time.Now().Before(a.Expires) {
		return nil, nil
	}
	copy(a.BodyHash[:], v[10:42])
	a.Body = v[42:]
	return a, nil
}

// Put implements Keeper.
func (p *Pebble) Put(_ context.Context, account, key string, a *Answer) error {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 42+len(a.Body)), uint64(a.Expires.UnixNano()))
	v = binary.BigEndian.AppendUint16(v, uint16(a.Status))
	v = append(append(v, a.BodyHash[:]...), a.Body...)
	return p.set(func(b *pebble.Batch) error { return b.Set(answerKey(account, key), v, nil) })
}

// PutReference implements References.
func (p *Pebble) PutReference(_ context.Context, ids []string, ref string, expires time.Time) error {
	v := append(binary.BigEndian.AppendUint64(nil, uint64(expires.UnixNano())), ref...)
	return p.set(func(b *pebble.Batch) error {
		for _, id := range ids {
			if err := b.Set(refKey(id), v, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// Reference implements References.
func (p *Pebble) Reference(_ context.Context, id string) (string, error) {
	v, err := p.get(refKey(id))
	if v == nil || err != nil || len(v) < 8 {
		return "", err
	}
	return string(v[8:]), nil
}

// Purge removes the entries expired at now and returns how many.
func (p *Pebble) Purge(now time.Time) (int, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.done {
		return 0, ErrClosed
	}
	it, err := p.db.NewIter(nil)
	if err != nil {
		return 0, err
	}
	b := p.db.NewBatch()
	defer b.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		v := it.Value()
		if len(v) >= 8 && int64(binary.BigEndian.Uint64(v)) <= now.UnixNano() {
			if err := b.Delete(append([]byte(nil), it.Key()...), nil); err != nil {
				it.Close()
				return 0, err
			}
			n++
		}
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	return n, b.Commit(pebble.NoSync)
}

// Close closes the database.
func (p *Pebble) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return nil
	}
	p.done = true
	return p.db.Close()
}

func (p *Pebble) get(k []byte) ([]byte, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.done {
		return nil, ErrClosed
	}
	v, c, err := p.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return append([]byte(nil), v...), nil
}

func (p *Pebble) set(fill func(b *pebble.Batch) error) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.done {
		return ErrClosed
	}
	b := p.db.NewBatch()
	defer b.Close()
	if err := fill(b); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}
