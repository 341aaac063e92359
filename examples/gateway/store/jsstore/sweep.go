package jsstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// sweepFetch is how many records a sweep reads per request.
const sweepFetch = 256

// sweeper runs a sweep at start over every record, then every
// Options.Sweep over the records written since a little before the
// previous sweep began, until Close. A sweep that fails is run again, from
// the same time, at the next tick.
func (s *Store) sweeper() {
	defer s.flusher.Done()
	var from time.Time // zero: every record
	t := time.NewTicker(s.opts.Sweep)
	defer t.Stop()
	for {
		began := time.Now()
		if _, err := s.sweep(from); err == nil {
			// A record written after this sweep's start is read by the
			// next one; one written before but not yet old enough was
			// read less than OutboxAge ago: both are after this bound.
			from = began.Add(-s.opts.OutboxAge - s.opts.Sweep)
		}
		select {
		case <-s.done:
			return
		case <-t.C:
		}
	}
}

// sweep reads the records written since from (all with the zero time),
// adds the deliveries left in their outboxes for longer than OutboxAge, and
// writes the index entries of MapUpstream missing after as long; it
// returns how many deliveries it added.
func (s *Store) sweep(from time.Time) (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	info, err := s.recsStr.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("gateway jsstore: sweep: %w", err)
	}
	if info.State.Msgs == 0 {
		return 0, nil
	}
	cfg := jetstream.ConsumerConfig{
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		Replicas:          1,
		InactiveThreshold: time.Minute,
	}
	if !from.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &from
	}
	cons, err := s.recsStr.CreateConsumer(ctx, cfg)
	if err != nil {
		return 0, fmt.Errorf("gateway jsstore: sweep: %w", err)
	}
	defer func() {
		dctx, dcancel := s.ctx()
		defer dcancel()
		// Deleted now rather than after InactiveThreshold; if the
		// servers do not answer, it goes by itself.
		if err := s.recsStr.DeleteConsumer(dctx, cons.CachedInfo().Name); err != nil {
			return
		}
	}()
	n := 0
	for {
		batch, err := cons.Fetch(sweepFetch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return n, fmt.Errorf("gateway jsstore: sweep: %w", err)
		}
		got, last := 0, false
		for msg := range batch.Messages() {
			got++
			meta, err := msg.Metadata()
			if err != nil {
				return n, fmt.Errorf("gateway jsstore: sweep: %w", err)
			}
			last = meta.NumPending == 0
			r, err := decodeRecord(msg.Data())
			if err != nil {
				continue
			}
			if r.idx && len(r.refs) > 0 && time.Since(meta.Timestamp) >= s.opts.OutboxAge {
				if err := s.reindex(ctx, r); err != nil {
					return n, err
				}
			}
			if r.out == nil || time.Since(r.out.at) < s.opts.OutboxAge {
				continue
			}
			added, err := s.redeliver(ctx, r, meta.Sequence.Stream)
			if err != nil {
				return n, err
			}
			if added {
				n++
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return n, fmt.Errorf("gateway jsstore: sweep: %w", err)
		}
		if got == 0 || last {
			return n, nil
		}
	}
}

// redeliver takes the outbox of r, read at KV revision kvRev, by
// compare-and-set (so that of several nodes sweeping one adds it), adds
// its delivery, and clears it; it reports whether it added one.
func (s *Store) redeliver(ctx context.Context, r *record, kvRev uint64) (bool, error) {
	taken := &record{m: r.m, refs: r.refs, out: &outbox{d: r.out.d, at: time.Now()}}
	rev, err := s.write(ctx, taken, kvRev)
	if isWrongLastSeq(err) {
		return false, nil // written since: by its writer, or taken by another sweep
	}
	if err != nil {
		return false, fmt.Errorf("gateway jsstore: sweep of %s: %w", r.m.ID, err)
	}
	d := taken.out.d
	if err := s.dels.Add(ctx, &d); err != nil {
		if errors.Is(err, deliveries.ErrClosed) {
			return false, err
		}
		return false, fmt.Errorf("gateway jsstore: sweep of %s: %w (taken again after OutboxAge)", r.m.ID, err)
	}
	s.cache.drop(r.m.ID)
	s.clearOutbox(ctx, taken, rev)
	return true, nil
}

// reindex writes the index entry MapUpstream named in r (its last) if it is
// missing: a crash came between the record and the entry. An entry naming
// another message (the upstream id reused since) stays.
func (s *Store) reindex(ctx context.Context, r *record) error {
	f := r.refs[len(r.refs)-1]
	_, err := s.lookup(ctx, f.route, f.key)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.putIndex(ctx, f, r.m.ID, s.ttl(r.m))
}
