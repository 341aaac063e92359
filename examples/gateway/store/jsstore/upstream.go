package jsstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/internal/jsretry"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

// putIndex writes the index entry f -> id with the given TTL, over any
// entry of f (the newest mapping wins, as on one node).
func (s *Store) putIndex(ctx context.Context, f ref, id string, ttl time.Duration) error {
	key := indexKey(f.route, f.key)
	msg := &nats.Msg{Subject: "$KV." + s.opts.Bucket + "_upstream." + key, Data: []byte(id)}
	// The message id makes the put safe to send again after a timeout: a
	// repeat within the bucket's duplicate window is stored once.
	msgID := "idx." + key + "." + id
	if _, err := jsretry.IdempotentValue(ctx, func(ctx context.Context) (*jetstream.PubAck, error) {
		return s.js.PublishMsg(ctx, msg, jetstream.WithMsgTTL(ttl), jetstream.WithMsgID(msgID))
	}); err != nil {
		return fmt.Errorf("gateway jsstore: index entry of %s (its record is written): %w", id, err)
	}
	return nil
}

// LookupUpstream returns the gateway id recorded for (route, upstreamKey),
// or store.ErrNotFound.
func (s *Store) LookupUpstream(route, upstreamKey string) (string, error) {
	if err := s.begin(); err != nil {
		return "", err
	}
	defer s.ops.Done()
	ctx, cancel := s.ctx()
	defer cancel()
	return s.lookup(ctx, route, upstreamKey)
}

func (s *Store) lookup(ctx context.Context, route, upstreamKey string) (string, error) {
	e, err := jsretry.IdempotentValue(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) {
		return s.index.Get(ctx, indexKey(route, upstreamKey))
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("gateway jsstore: index lookup: %w", err)
	}
	return string(e.Value()), nil
}

// waitPolls are the pauses between two lookups of a WaitUpstream call:
// short first (the entry usually follows a receipt that overtook its
// submit_sm_resp by milliseconds), then every waitPollMax.
var waitPolls = []time.Duration{2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond,
	20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}

const waitPollMax = 200 * time.Millisecond

// WaitUpstream is LookupUpstream waiting until ctx ends for the entry,
// written on any node. It looks the entry up again after short pauses,
// then every 200 ms: a watch of the key would be a consumer per waiting
// receipt, created through the cluster's meta group, which under load
// cost more than the lookups (and took seconds). Close wakes it with
// store.ErrClosed.
func (s *Store) WaitUpstream(ctx context.Context, route, upstreamKey string) (string, error) {
	if err := s.begin(); err != nil {
		return "", err
	}
	defer s.ops.Done()
	key := indexKey(route, upstreamKey)
	counted := false
	defer func() {
		if counted {
			s.waiter(key, -1)
		}
	}()
	for try := 0; ; try++ {
		lctx, cancel := s.ctx()
		id, err := s.lookup(lctx, route, upstreamKey)
		cancel()
		if !errors.Is(err, store.ErrNotFound) {
			return id, err
		}
		if !counted {
			s.waiter(key, 1)
			counted = true
		}
		pause := waitPollMax
		if try < len(waitPolls) {
			pause = waitPolls[try]
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "", store.ErrNotFound
		case <-s.done:
			t.Stop()
			return "", store.ErrClosed
		}
	}
}

// waiter counts a WaitUpstream call of key in (d = 1) or out (d = -1).
func (s *Store) waiter(key string, d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiters == nil {
		s.waiters = make(map[string]int)
	}
	s.waiters[key] += d
	if s.waiters[key] == 0 {
		delete(s.waiters, key)
	}
}

// Waiters returns how many WaitUpstream calls of s wait, and under how
// many keys (for the conformance suite's storetest.Waiters).
func Waiters(st store.Store) (calls, keys int) {
	s := st.(*Store)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.waiters {
		calls += n
	}
	return calls, len(s.waiters)
}
