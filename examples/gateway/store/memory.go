package store

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"time"
)

// Memory is a Store held in memory, for tests and as the reference
// behaviour of the interface. Nothing survives the process; sync is ignored.
// It stores and returns copies, so callers may keep modifying their values.
type Memory struct {
	mu     sync.Mutex
	closed bool
	msgs   map[string]*Message
	up     map[upstreamRef]string
	upOfID map[string][]upstreamRef
	dels   map[string]map[uint64]*Delivery
	seq    uint64
}

type upstreamRef struct{ route, key string }

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{
		msgs:   make(map[string]*Message),
		up:     make(map[upstreamRef]string),
		upOfID: make(map[string][]upstreamRef),
		dels:   make(map[string]map[uint64]*Delivery),
	}
}

func cloneMessage(m *Message) *Message {
	c := *m
	c.Body = bytes.Clone(m.Body)
	return &c
}

func cloneDelivery(d *Delivery) *Delivery {
	c := *d
	c.Body = bytes.Clone(d.Body)
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

func (s *Memory) put(m *Message, all bool) error {
	if m.ID == "" {
		return errEmptyID
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.putLocked(m, all)
	return nil
}

// putLocked stores a copy of m, or with all false copies m's state fields to
// the stored message (if there is one); s.mu is held. A final message with a
// zero Done gets Done = now.
func (s *Memory) putLocked(m *Message, all bool) {
	if m.State.Final() && m.Done.IsZero() {
		m.Done = time.Now()
	}
	if all {
		s.msgs[m.ID] = cloneMessage(m)
		return
	}
	if c := s.msgs[m.ID]; c != nil {
		c.copyState(m)
	}
}

// Accept stores a new message.
func (s *Memory) Accept(m *Message) error { return s.put(m, true) }

// Update stores m's state fields. A final message with a zero Done gets
// Done set to now.
func (s *Memory) Update(m *Message, sync bool) error { return s.put(m, false) }

// Replace stores every field of m.
func (s *Memory) Replace(m *Message, sync bool) error { return s.put(m, true) }

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

// MapUpstream stores m's state fields and the index entry (m.Route, upstreamKey) -> m.ID.
func (s *Memory) MapUpstream(m *Message, upstreamKey string, sync bool) error {
	if m.ID == "" {
		return errEmptyID
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.putLocked(m, false)
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

// Pending calls fn, in id order, with a copy of every message in state
// Queued or Inflight until fn returns false. fn may call the store.
func (s *Memory) Pending(fn func(*Message) bool) error {
	if err := s.lock(); err != nil {
		return err
	}
	var pending []*Message
	for _, m := range s.msgs {
		if m.State == Queued || m.State == Inflight {
			pending = append(pending, cloneMessage(m))
		}
	}
	s.mu.Unlock()
	slices.SortFunc(pending, func(a, b *Message) int { return strings.Compare(a.ID, b.ID) })
	for _, m := range pending {
		if !fn(m) {
			break
		}
	}
	return nil
}

// AddDelivery stores a copy of d under a new Seq (set in d.Seq). Seqs
// increase across all accounts.
func (s *Memory) AddDelivery(d *Delivery, sync bool) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.addDeliveryLocked(d)
	return nil
}

// addDeliveryLocked queues a copy of d and sets d.Seq; s.mu is held.
func (s *Memory) addDeliveryLocked(d *Delivery) {
	s.seq++
	d.Seq = s.seq
	q := s.dels[d.Account]
	if q == nil {
		q = make(map[uint64]*Delivery)
		s.dels[d.Account] = q
	}
	q[d.Seq] = cloneDelivery(d)
}

// UpdateWithDelivery stores m's state fields and queues d under one lock.
func (s *Memory) UpdateWithDelivery(m *Message, d *Delivery, sync bool) error {
	if m.ID == "" {
		return errEmptyID
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.putLocked(m, false)
	s.addDeliveryLocked(d)
	return nil
}

// RemoveDelivery deletes a delivery; removing an unknown one is not an error.
func (s *Memory) RemoveDelivery(account string, seq uint64) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if q := s.dels[account]; q != nil {
		delete(q, seq)
		if len(q) == 0 {
			delete(s.dels, account)
		}
	}
	return nil
}

// Deliveries calls fn with copies of the account's deliveries from Seq from
// on, in Seq order, until fn returns false. fn may call the store.
func (s *Memory) Deliveries(account string, from uint64, fn func(*Delivery) bool) error {
	if err := s.lock(); err != nil {
		return err
	}
	var ds []*Delivery
	for _, d := range s.dels[account] {
		if d.Seq >= from {
			ds = append(ds, cloneDelivery(d))
		}
	}
	s.mu.Unlock()
	slices.SortFunc(ds, func(a, b *Delivery) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	for _, d := range ds {
		if !fn(d) {
			break
		}
	}
	return nil
}

// Accounts returns, sorted, the accounts that have queued deliveries.
func (s *Memory) Accounts() ([]string, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var accounts []string
	for a := range s.dels {
		accounts = append(accounts, a)
	}
	slices.Sort(accounts)
	return accounts, nil
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

// Close marks the store closed; later calls return ErrClosed.
func (s *Memory) Close() error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
