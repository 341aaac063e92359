package store

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// Memory is a Store held in memory, for tests and as the reference
// behaviour of the interface. Nothing survives the process. It stores and
// returns copies, so callers may keep modifying their values.
type Memory struct {
	queue *queue.Memory
	dels  *deliveries.Memory
	waits *tracker // receipts waiting for an index entry (WaitUpstream)

	mu     sync.Mutex
	closed bool
	msgs   map[string]*Message
	up     map[upstreamRef]string
	upOfID map[string][]upstreamRef
}

type upstreamRef struct{ route, key string }

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{
		queue:  queue.NewMemory(queue.Options{}),
		dels:   deliveries.NewMemory(deliveries.Options{}),
		waits:  newTracker(),
		msgs:   make(map[string]*Message),
		up:     make(map[upstreamRef]string),
		upOfID: make(map[string][]upstreamRef),
	}
}

func cloneMessage(m *Message) *Message {
	c := *m
	c.Body = bytes.Clone(m.Body)
	return &c
}

func (s *Memory) lock() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// put stores m by compare-and-set (all: every field, else the state
// fields) and sets m.Rev to the new revision; with accept, m is new.
func (s *Memory) put(m *Message, all, accept bool) error {
	if m.ID == "" {
		return errEmptyID
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return s.putLocked(m, all, accept)
}

// putLocked is put with s.mu held. A final message with a zero Done gets
// Done = now.
func (s *Memory) putLocked(m *Message, all, accept bool) error {
	c := s.msgs[m.ID]
	rev := uint64(1)
	if !accept {
		if c == nil {
			return ErrNotFound
		}
		if c.Rev != m.Rev {
			return ErrConflict
		}
		rev = m.Rev + 1
	}
	if m.State.Final() && m.Done.IsZero() {
		m.Done = time.Now()
	}
	m.Rev = rev
	if all {
		s.msgs[m.ID] = cloneMessage(m)
		return nil
	}
	c.State, c.Route, c.UpstreamID, c.Attempts = m.State, m.Route, m.UpstreamID, m.Attempts
	c.Error, c.NextTry, c.Done, c.Rev = m.Error, m.NextTry, m.Done, m.Rev
	return nil
}

// Accept stores a new message with Rev 1 and enqueues its ticket, under
// one lock: neither is stored without the other, and a claimer of the
// ticket finds the message.
func (s *Memory) Accept(m *Message) error {
	if m.ID == "" {
		return errEmptyID
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if err := s.queue.Enqueue(context.Background(), queue.Ticket{ID: m.ID, Rev: 1, Due: m.NextTry}); err != nil {
		return err
	}
	return s.putLocked(m, true, true)
}

// Update stores m's state fields by compare-and-set. A final message with a
// zero Done gets Done set to now.
func (s *Memory) Update(m *Message) error { return s.put(m, false, false) }

// Mark is Update: nothing here is on disk.
func (s *Memory) Mark(m *Message) error { return s.put(m, false, false) }

// Replace stores every field of m by compare-and-set.
func (s *Memory) Replace(m *Message) error { return s.put(m, true, false) }

// Queue returns the store's queue.
func (s *Memory) Queue() queue.Queue { return s.queue }

// Get returns a copy of the message with this id, or ErrNotFound.
func (s *Memory) Get(id string) (*Message, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return nil, ErrNotFound
	}
	return cloneMessage(m), nil
}

// LastID returns the greatest message id stored, or "".
func (s *Memory) LastID() (string, error) {
	if err := s.lock(); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	last := ""
	for id := range s.msgs {
		last = max(last, id)
	}
	return last, nil
}

// AcceptAsync is Accept, which never waits here: then is called before it
// returns.
func (s *Memory) AcceptAsync(m *Message, then func(error)) { then(s.Accept(m)) }

// MapUpstream stores m's state fields by compare-and-set and the index
// entry (m.Route, upstreamKey) -> m.ID.
func (s *Memory) MapUpstream(m *Message, upstreamKey string) error {
	if m.ID == "" {
		return errEmptyID
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.waits.mapped(m.Route, upstreamKey, m.ID, false)
	defer s.mu.Unlock()
	if err := s.putLocked(m, false, false); err != nil {
		return err
	}
	ref := upstreamRef{m.Route, upstreamKey}
	s.up[ref] = m.ID
	if !slices.Contains(s.upOfID[m.ID], ref) {
		s.upOfID[m.ID] = append(s.upOfID[m.ID], ref)
	}
	return nil
}

// LookupUpstream returns the gateway id recorded for (route, upstreamKey),
// or ErrNotFound.
func (s *Memory) LookupUpstream(route, upstreamKey string) (string, error) {
	if err := s.lock(); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	id, ok := s.up[upstreamRef{route, upstreamKey}]
	if !ok {
		return "", ErrNotFound
	}
	return id, nil
}

// WaitUpstream is LookupUpstream waiting until ctx ends for the entry.
func (s *Memory) WaitUpstream(ctx context.Context, route, upstreamKey string) (string, error) {
	return s.waits.wait(ctx, route, upstreamKey, func() (string, error) { return s.LookupUpstream(route, upstreamKey) })
}

// DeliveryQueue returns the store's deliveries.
func (s *Memory) DeliveryQueue() deliveries.Queue { return s.dels }

// MapUpstreamAsync is MapUpstream, which never waits here: then is called
// before it returns.
func (s *Memory) MapUpstreamAsync(m *Message, upstreamKey string, then func(error)) {
	then(s.MapUpstream(m, upstreamKey))
}

// UpdateWithDeliveryAsync is UpdateWithDelivery, which never waits here:
// then is called before it returns.
func (s *Memory) UpdateWithDeliveryAsync(m *Message, d *Delivery, then func(error)) {
	then(s.UpdateWithDelivery(m, d))
}

// UpdateWithDelivery stores m's state fields by compare-and-set and adds d
// to the deliveries, under one lock.
func (s *Memory) UpdateWithDelivery(m *Message, d *Delivery) error {
	if m.ID == "" {
		return errEmptyID
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	switch c := s.msgs[m.ID]; {
	case c == nil:
		return ErrNotFound
	case c.Rev != m.Rev:
		return ErrConflict
	}
	// The compare-and-set cannot fail now: the delivery first, which
	// fails only when closed.
	if d != nil {
		if err := s.dels.Add(context.Background(), d); err != nil {
			return deliveryErr(err)
		}
	}
	return s.putLocked(m, false, false)
}

// Purge deletes the final messages whose Done is before the given time,
// with their upstream index entries, and returns how many it deleted.
func (s *Memory) Purge(before time.Time) (int, error) {
	if err := s.lock(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for id, m := range s.msgs {
		if !m.State.Final() || !m.Done.Before(before) {
			continue
		}
		delete(s.msgs, id)
		for _, ref := range s.upOfID[id] {
			if s.up[ref] == id {
				delete(s.up, ref)
			}
		}
		delete(s.upOfID, id)
		n++
	}
	return n, nil
}

// Close closes the queue and marks the store closed; later calls return
// ErrClosed.
func (s *Memory) Close() error {
	if err := s.lock(); err != nil {
		return err
	}
	s.closed = true
	s.mu.Unlock()
	derr := s.dels.Close()
	if err := s.queue.Close(); err != nil {
		return err
	}
	return derr
}
