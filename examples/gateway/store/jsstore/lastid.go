package jsstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// flushEvery is how often this node's greatest accepted id is written to
// its key when it changed.
const flushEvery = 100 * time.Millisecond

// LastID returns the greatest id accepted by this node (Options.Node):
// the one in its key when the store was opened, or a greater one accepted
// since. Ids of other nodes are not looked at: each node resumes its own
// (see the package documentation).
func (s *Store) LastID() (string, error) {
	if err := s.begin(); err != nil {
		return "", err
	}
	defer s.ops.Done()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastID, nil
}

// accepted notes an id accepted here.
func (s *Store) accepted(id string) {
	s.mu.Lock()
	if id > s.lastID {
		s.lastID = id
	}
	s.mu.Unlock()
}

// readLastID reads this node's key.
func (s *Store) readLastID(ctx context.Context) (string, error) {
	e, err := s.index.Get(ctx, lastIDKey(s.opts.Node))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("gateway jsstore: last id of node %d: %w", s.opts.Node, err)
	}
	return string(e.Value()), nil
}

// writeLastID writes the greatest id accepted here to this node's key if
// it changed since the last write.
func (s *Store) writeLastID() error {
	s.mu.Lock()
	last, flushed := s.lastID, s.flushed
	s.mu.Unlock()
	if last == flushed {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := s.index.Put(ctx, lastIDKey(s.opts.Node), []byte(last)); err != nil {
		return fmt.Errorf("gateway jsstore: last id of node %d: %w", s.opts.Node, err)
	}
	s.mu.Lock()
	s.flushed = last
	s.mu.Unlock()
	return nil
}

// flushLastID writes the last id every flushEvery until Close; a failed
// write is tried again at the next tick.
func (s *Store) flushLastID() {
	defer s.flusher.Done()
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			if err := s.writeLastID(); err != nil {
				continue // the next tick tries again; Close writes it last
			}
		}
	}
}
