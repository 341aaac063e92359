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
// it deleted. It reads every record once (a watch of the bucket, which
// streams the values): with the TTLs (Options.Retention) the records past
// retention are gone already, and Purge is for an earlier cut-off. A
// record changed while Purge looked at it is left for the next one.
func (s *Store) Purge(before time.Time) (int, error) {
	if err := s.begin(); err != nil {
		return 0, err
	}
	defer s.ops.Done()
	ctx, cancel := context.WithTimeout(context.Background(), purgeTimeout)
	defer cancel()
	w, err := s.recs.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return 0, fmt.Errorf("gateway jsstore: purge: reading the records: %w", err)
	}
	defer w.Stop() // ends the watch's consumer; nothing to undo if it fails
	type victim struct {
		r     *record
		kvRev uint64
	}
	var old []victim
	for e := range w.Updates() {
		if e == nil {
			break // every record present when the watch began was read
		}
		r, err := decodeRecord(e.Value())
		if err != nil {
			return 0, fmt.Errorf("gateway jsstore: purge: record %s: %w", e.Key(), err)
		}
		if r.m.State.Final() && r.m.Done.Before(before) {
			old = append(old, victim{r, e.Revision()})
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("gateway jsstore: purge: reading the records: %w", err)
	}
	n := 0
	for _, v := range old {
		ok, err := s.remove(ctx, v.r, v.kvRev)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// remove deletes the record r read at kvRev, and its index entries; it
// reports whether it did. The message is removed, not marked deleted:
// nothing of it stays. Removing the sequence read is a compare-and-set:
// with one message per key, a record written since has another sequence,
// and stays.
func (s *Store) remove(ctx context.Context, r *record, kvRev uint64) (bool, error) {
	k := recordKey(r.m.ID)
	err := s.recsStr.DeleteMsg(ctx, kvRev)
	if err == nil && s.loseAnswer != nil && s.loseAnswer() {
		err = context.DeadlineExceeded
	}
	if err != nil {
		cur, err2 := s.recs.Get(ctx, k)
		switch {
		case err2 == nil && cur.Revision() != kvRev:
			return false, nil // written since: the next Purge looks again
		case errors.Is(err2, jetstream.ErrKeyNotFound):
			// Gone: this delete was stored and its answer lost (a
			// timeout), or another Purge took it. Its index entries go
			// now: nothing else would remove them.
		default:
			return false, fmt.Errorf("gateway jsstore: purge of %s: %w", r.m.ID, err)
		}
	}
	s.cache.drop(r.m.ID)
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
