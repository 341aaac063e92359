package jsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/internal/jsretry"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// errEmptyID is returned for a message without an id.
var errEmptyID = errors.New("gateway jsstore: message without an id; give it an id first")

// Accept writes the message (Rev 1) and then enqueues its ticket: two
// writes, each acknowledged by the servers (by a majority of the replicas),
// before it returns. A crash between them leaves a record no ticket names
// and no ESME was told of: it is never sent and expires with its TTL (see
// the package documentation).
func (s *Store) Accept(m *store.Message) error {
	if m.ID == "" {
		return errEmptyID
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.ops.Done()
	c := *m
	c.Rev = 1
	if c.State.Final() && c.Done.IsZero() {
		c.Done = time.Now()
	}
	ctx, cancel := s.ctx()
	defer cancel()
	r := &record{m: &c}
	kvRev, err := s.write(ctx, r, 0)
	if err != nil {
		if isWrongLastSeq(err) {
			return fmt.Errorf("gateway jsstore: accept of %s: a message with this id is stored already; ids must be unique across nodes (node_id)", m.ID)
		}
		return fmt.Errorf("gateway jsstore: accept of %s: %w", m.ID, err)
	}
	if err := s.queue.Enqueue(ctx, queue.Ticket{ID: m.ID, Rev: 1, Due: m.NextTry}); err != nil {
		if errors.Is(err, queue.ErrClosed) {
			return store.ErrClosed
		}
		return fmt.Errorf("gateway jsstore: ticket of %s: %w", m.ID, err)
	}
	m.Rev, m.Done = c.Rev, c.Done
	s.accepted(m.ID)
	s.cache.put(r, kvRev)
	return nil
}

// write stores r as the key's value if the key's last revision (KV
// revision, the stream sequence) is kvRev, 0 for a key not there, with
// the TTL of the message's state; it returns the new KV revision.
//
// A try whose answer was lost is told apart by reading the key, not by a
// Nats-Msg-Id on the publish: a stream on one server checks the expected
// last sequence before the message id (nats-server 2.15.3), so a retry of
// a stored write would be refused as stale there, not acknowledged as a
// duplicate as it is in a cluster.
func (s *Store) write(ctx context.Context, r *record, kvRev uint64) (uint64, error) {
	msg := &nats.Msg{Subject: s.recsSubj + recordKey(r.m.ID), Data: appendRecord(nil, r)}
	timedOut := false
	ack, err := jsretry.IdempotentValue(ctx, func(tctx context.Context) (*jetstream.PubAck, error) {
		ack, err := s.js.PublishMsg(tctx, msg, jetstream.WithExpectLastSequencePerSubject(kvRev), jetstream.WithMsgTTL(s.ttl(r.m)))
		if err == nil && s.loseAnswer != nil && s.loseAnswer() {
			ack, err = nil, context.DeadlineExceeded
		}
		timedOut = timedOut || jsretry.TimedOut(ctx, err)
		return ack, err
	})
	if err != nil && timedOut && isWrongLastSeq(err) {
		// A try that timed out may have been stored, its answer lost, and
		// the next refused for it: then the key's last value is this very
		// record.
		if e, gerr := jsretry.IdempotentValue(ctx, func(tctx context.Context) (jetstream.KeyValueEntry, error) {
			return s.recs.Get(tctx, recordKey(r.m.ID))
		}); gerr == nil && e.Revision() > kvRev && bytes.Equal(e.Value(), msg.Data) {
			return e.Revision(), nil
		}
		// It may still have been stored, with another writer's record
		// over it since: the caller may be able to tell (casWrite).
		return 0, fmt.Errorf("%w: %w", errAnswerLost, err)
	}
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// errAnswerLost is write's refusal of a record whose first try timed out
// (it may have been stored, its answer lost) and whose key has moved on to
// a record that is not this one: either another writer came first, or this
// record was stored and another writer followed it.
var errAnswerLost = errors.New("gateway jsstore: a try timed out and the key has moved on")

// read returns the record of id and its KV revision, or store.ErrNotFound.
func (s *Store) read(ctx context.Context, id string) (*record, uint64, error) {
	e, err := jsretry.IdempotentValue(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) { return s.recs.Get(ctx, recordKey(id)) })
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, store.ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("gateway jsstore: read of %s: %w", id, err)
	}
	r, err := decodeRecord(e.Value())
	if err != nil {
		return nil, 0, fmt.Errorf("gateway jsstore: record %s: %w", id, err)
	}
	s.cache.put(r, e.Revision())
	return r, e.Revision(), nil
}

// Get returns the newest revision of the message, read from the records'
// stream leader.
func (s *Store) Get(id string) (*store.Message, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.ops.Done()
	ctx, cancel := s.ctx()
	defer cancel()
	r, _, err := s.read(ctx, id)
	if err != nil {
		return nil, err
	}
	m := *r.m // the cache keeps r: the caller gets its own copy
	return &m, nil
}

// Update stores m's state fields by compare-and-set.
func (s *Store) Update(m *store.Message) error { return s.cas(m, false, nil, nil) }

// Mark is Update, durable like it: see the package documentation for why
// the Inflight mark is not kept node-local here.
func (s *Store) Mark(m *store.Message) error { return s.cas(m, false, nil, nil) }

// Replace stores every field of m by compare-and-set.
func (s *Store) Replace(m *store.Message) error { return s.cas(m, true, nil, nil) }

// AcceptAsync is Accept on a goroutine of its own (every write here is a
// request to the servers), which then calls then.
func (s *Store) AcceptAsync(m *store.Message, then func(error)) {
	go func() { then(s.Accept(m)) }()
}

// MapUpstream stores m's state fields by compare-and-set, with the index
// entry (m.Route, upstreamKey) named in the record, then writes the entry.
func (s *Store) MapUpstream(m *store.Message, upstreamKey string) error {
	return s.cas(m, false, &ref{m.Route, upstreamKey}, nil)
}

// UpdateWithDelivery stores m's state fields by compare-and-set, then adds
// d to the deliveries (see the package documentation for a crash between).
func (s *Store) UpdateWithDelivery(m *store.Message, d *store.Delivery) error {
	return s.cas(m, false, nil, d)
}

// MapUpstreamAsync is MapUpstream on a goroutine of its own, which then
// calls then.
func (s *Store) MapUpstreamAsync(m *store.Message, upstreamKey string, then func(error)) {
	go func() { then(s.MapUpstream(m, upstreamKey)) }()
}

// UpdateWithDeliveryAsync is UpdateWithDelivery on a goroutine of its own,
// which then calls then.
func (s *Store) UpdateWithDeliveryAsync(m *store.Message, d *store.Delivery, then func(error)) {
	go func() { then(s.UpdateWithDelivery(m, d)) }()
}

// cas is every compare-and-set: it takes the record at m.Rev from the
// cache or reads it (ErrConflict unless its Rev is m.Rev), writes the new
// version on that KV revision (refused by the servers if the key moved on
// since: then it reads the record again and decides again), and then, once
// the record is written, the index entry up or the delivery d.
func (s *Store) cas(m *store.Message, all bool, up *ref, d *store.Delivery) error {
	if m.ID == "" {
		return errEmptyID
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.ops.Done()
	ctx, cancel := s.ctx()
	defer cancel()
	var mine *record // a write of ours that may be stored, its answer lost
	for {
		cur, kvRev, cachedRec := s.cache.get(m.ID, m.Rev)
		if !cachedRec {
			var err error
			if cur, kvRev, err = s.read(ctx, m.ID); err != nil {
				return err
			}
			if s.afterRead != nil {
				s.afterRead()
			}
			if mine != nil && sameMessage(cur, mine) {
				return s.after(ctx, m, mine, kvRev, up, d) // it was stored
			}
			if cur.m.Rev != m.Rev {
				return store.ErrConflict
			}
		}
		nr, newRev, err := s.casWrite(ctx, m, all, up, d, cur, kvRev)
		if errors.Is(err, errAnswerLost) {
			mine = nr
		}
		if errors.Is(err, errStale) {
			// The key moved on since cur was cached or read: another
			// writer changed the message, or the same message was written
			// again (the sweep took its outbox; this write, its answer
			// lost, is mine). The next read tells: a conflict only if
			// the message's revision moved.
			s.cache.drop(m.ID)
			if !cachedRec {
				if err := pause(ctx); err != nil {
					return err
				}
			}
			continue
		}
		if err != nil {
			return err
		}
		return s.after(ctx, m, nr, newRev, up, d)
	}
}

// sameMessage reports whether the messages of a and b encode alike: a
// record read at the revision a write made holds its message (whatever a
// rewrite that keeps the message, the sweep's, changed around it).
func sameMessage(a, b *record) bool {
	return bytes.Equal(store.AppendMessage(nil, a.m), store.AppendMessage(nil, b.m))
}

// errStale is casWrite's refusal: the key's last KV revision is not the
// one the record was read at.
var errStale = errors.New("gateway jsstore: stale revision")

// casWrite writes the next version of cur (m's fields over it, as cas
// says; with d in its outbox) on KV revision kvRev, and returns it and its
// KV revision.
func (s *Store) casWrite(ctx context.Context, m *store.Message, all bool, up *ref, d *store.Delivery, cur *record, kvRev uint64) (*record, uint64, error) {
	done := m.Done
	if m.State.Final() && done.IsZero() {
		done = time.Now()
	}
	next := *cur.m
	if all {
		next = *m
	} else {
		next.State, next.Route, next.UpstreamID, next.Attempts = m.State, m.Route, m.UpstreamID, m.Attempts
		next.Error, next.NextTry = m.Error, m.NextTry
	}
	next.Done, next.Rev = done, m.Rev+1
	nr := &record{m: &next, refs: cur.refs}
	if up != nil {
		nr.refs = addRef(nr.refs, *up)
		nr.idx = true // its entry follows; the sweep writes it after a crash
	}
	if d != nil {
		nr.out = &outbox{d: store.Delivery{Account: d.Account, Body: d.Body, Created: d.Created}, at: time.Now()}
	}
	newRev, err := s.write(ctx, nr, kvRev)
	if errors.Is(err, errAnswerLost) && up != nil && !hasRef(cur.refs, *up) && s.mappedSince(ctx, m.ID, nr.m.Rev, *up) {
		// Stored, its answer lost, and another writer followed (a receipt
		// recorded as soon as the index entry was swept in): the index
		// entry is in the records that followed, which only this write
		// adds. Its KV revision is not known (0: not cached).
		return nr, 0, nil
	}
	if err != nil {
		if errors.Is(err, errAnswerLost) {
			// Refused after a try that timed out: nr may be stored
			// (cas reads the record again to tell).
			return nr, 0, fmt.Errorf("%w: %w", errStale, err)
		}
		if isWrongLastSeq(err) {
			return nil, 0, errStale
		}
		return nil, 0, fmt.Errorf("gateway jsstore: write of %s: %w", m.ID, err)
	}
	s.cache.put(nr, newRev)
	return nr, newRev, nil
}

// mappedSince reports whether the record of id is now at revision rev or
// later with the index entry up: a MapUpstream that wrote revision rev with
// up, over a record without it, was stored (the refs of a record are kept
// by every writer after it).
func (s *Store) mappedSince(ctx context.Context, id string, rev uint64, up ref) bool {
	r, _, err := s.read(ctx, id)
	return err == nil && r.m.Rev >= rev && hasRef(r.refs, up)
}

// after completes a compare-and-set written as nr at KV revision kvRev: m
// gets its Rev and Done, and the index entry up or the delivery d is
// written (d then leaves the record's outbox).
func (s *Store) after(ctx context.Context, m *store.Message, nr *record, kvRev uint64, up *ref, d *store.Delivery) error {
	m.Done, m.Rev = nr.m.Done, nr.m.Rev
	if up != nil {
		if s.crashAfterRecord != nil {
			if err := s.crashAfterRecord(); err != nil {
				return err
			}
		}
		if err := s.putIndex(ctx, *up, m.ID, s.ttl(nr.m)); err != nil {
			return err
		}
	}
	if d == nil {
		return nil
	}
	if s.crashAfterRecord != nil {
		if err := s.crashAfterRecord(); err != nil {
			return err
		}
	}
	if err := s.dels.Add(ctx, d); err != nil {
		if errors.Is(err, deliveries.ErrClosed) {
			return store.ErrClosed
		}
		return fmt.Errorf("gateway jsstore: delivery of %s (its final state is recorded, the sweep adds it): %w", m.ID, err)
	}
	s.clearOutbox(ctx, nr, kvRev)
	return nil
}

// clearOutbox writes r, read or written at KV revision kvRev, without its
// outbox: its delivery is in the deliveries. A refusal means a later write
// replaced it (without the outbox: writes never carry one over); a write
// that fails leaves the outbox for the sweep, which adds the delivery again
// (a duplicate for the ESME: at least once).
func (s *Store) clearOutbox(ctx context.Context, r *record, kvRev uint64) {
	c := &record{m: r.m, refs: r.refs}
	if newRev, err := s.write(ctx, c, kvRev); err == nil {
		s.cache.put(c, newRev)
	}
}

// pause waits a moment before a key just read is read again: a server
// that answered the read from behind its own writes (a stream leader just
// elected) is given time to catch up. It returns ctx's error if ctx ends.
func pause(ctx context.Context) error {
	t := time.NewTimer(10 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("gateway jsstore: the record kept moving while it was written: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
