package jsstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// purgeTimeout bounds one Purge, which reads every record's key.
const purgeTimeout = 10 * time.Minute

// Purge deletes the final messages whose Done is before the given time,
// and then their index entries that still name them, and returns how many
// it deleted. It lists every key of the records' bucket: with the TTLs
// (Options.Retention) the records past retention are gone already, and
// Purge is for an earlier cut-off. A record changed while Purge looked at
// it is left for the next one.
func (s *Store) Purge(before time.Time) (int, error) {
	if err := s.begin(); err != nil {
		return 0, err
	}
	defer s.ops.Done()
	ctx, cancel := context.WithTimeout(context.Background(), purgeTimeout)
	defer cancel()
	lister, err := s.recs.ListKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("gateway jsstore: purge: listing the records: %w", err)
	}
	defer lister.Stop()
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	n := 0
	for _, k := range keys {
		ok, err := s.purgeKey(ctx, k, before)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// purgeKey deletes the record at key k if it is final before the time
// given, and its index entries; it reports whether it did.
func (s *Store) purgeKey(ctx context.Context, k string, before time.Time) (bool, error) {
	e, err := s.recs.Get(ctx, k)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("gateway jsstore: purge: %w", err)
	}
	r, err := decodeRecord(e.Value())
	if err != nil {
		return false, fmt.Errorf("gateway jsstore: purge: record %s: %w", k, err)
	}
	if !r.m.State.Final() || !r.m.Done.Before(before) {
		return false, nil
	}
	// The message is removed, not marked deleted: nothing of it stays.
	// Removing the sequence read is a compare-and-set: with one message
	// per key, a record written since has another sequence.
	if err := s.recsStr.DeleteMsg(ctx, e.Revision()); err != nil {
		if cur, err2 := s.recs.Get(ctx, k); err2 == nil && cur.Revision() != e.Revision() ||
			errors.Is(err2, jetstream.ErrKeyNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("gateway jsstore: purge of %s: %w", r.m.ID, err)
	}
	for _, f := range r.refs {
		if err := s.unindex(ctx, f, r.m.ID); err != nil {
			return true, err
		}
	}
	return true, nil
}

// unindex removes the index entry f if it still names id (another message
// may have the same upstream id on the route since).
func (s *Store) unindex(ctx context.Context, f ref, id string) error {
	e, err := s.index.Get(ctx, indexKey(f.route, f.key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("gateway jsstore: purge: index entry of %s: %w", id, err)
	}
	if string(e.Value()) != id {
		return nil
	}
	if err := s.indexStr.DeleteMsg(ctx, e.Revision()); err != nil {
		if cur, err2 := s.index.Get(ctx, indexKey(f.route, f.key)); err2 == nil && cur.Revision() != e.Revision() ||
			errors.Is(err2, jetstream.ErrKeyNotFound) {
			return nil // remapped or gone meanwhile
		}
		return fmt.Errorf("gateway jsstore: purge: index entry of %s: %w", id, err)
	}
	return nil
}
