package store

import (
	"errors"
	"time"

	"github.com/cockroachdb/pebble"
)

func isPending(st State) bool { return st == Queued || st == Inflight }

// What a write of a message stores: everything (Accept), the state fields
// (Update), or both over an existing message (Replace).
const (
	writeAll = iota
	writeState
	writeReplace
)

// putMessage adds m's records and index entries to w, by what (see above).
// A final message without Done gets Done = now.
func putMessage(w *write, m *Message, what int) {
	if m.State.Final() && m.Done.IsZero() {
		m.Done = time.Now()
	}
	if what != writeState {
		putRecord(w, kindMessage, m, appendMessage)
	}
	if what != writeAll {
		putRecord(w, kindState, m, appendState)
	}
	// The pending entry changes only when the message enters or leaves the
	// pending states; when the state last stored is not known, it is set or
	// deleted blindly (no read on the write path; a tombstone is dropped by
	// compaction).
	pending := isPending(m.State)
	if m.stored == 0 || pending != isPending(m.stored) {
		k0 := len(w.buf)
		w.buf = appendMsgKey(w.buf, kindPending, m.ID)
		kind := uint8(entryDelete)
		if pending {
			kind = entrySet
		}
		w.end(kind, k0, len(w.buf))
	}
	if m.State.Final() {
		// A stale entry (if Done later changes) is cleaned up by Purge,
		// which checks the record.
		k0 := len(w.buf)
		w.buf = appendFinalKey(w.buf, m.Done, m.ID)
		w.end(entrySet, k0, len(w.buf))
	}
}

// putRecord adds the setting of m's record of this kind, encoded by enc.
func putRecord(w *write, kind byte, m *Message, enc func([]byte, *Message) []byte) {
	k0 := len(w.buf)
	w.buf = appendMsgKey(w.buf, kind, m.ID)
	k1 := len(w.buf)
	w.buf = enc(w.buf, m)
	w.end(entrySet, k0, k1)
}

func (p *Pebble) writeMessage(m *Message, upstreamKey string, what int, mapUp, sync bool) error {
	if m.ID == "" {
		return errEmptyID
	}
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	w := getWrite()
	upKey, upMore := m.upKey, m.upMore
	if mapUp {
		k0 := len(w.buf)
		w.buf = appendUpKey(w.buf, m.Route, upstreamKey)
		k1 := len(w.buf)
		w.buf = append(w.buf, m.ID...)
		w.end(entrySet, k0, k1)
		if k := string(w.buf[k0+1 : k1]); k != m.upKey {
			if m.upKey != "" {
				// The index entry the record named stays until
				// Purge, which finds it here.
				x0 := len(w.buf)
				w.buf = append(appendUpOfIDPrefix(w.buf, m.ID), m.upKey...)
				w.end(entrySet, x0, len(w.buf))
				m.upMore = true
			}
			m.upKey = k
		}
	}
	putMessage(w, m, what)
	if err := p.commit(w, sync); err != nil {
		m.upKey, m.upMore = upKey, upMore
		return err
	}
	m.stored = m.State
	return nil
}

// Accept stores a new message and syncs it to disk before returning.
func (p *Pebble) Accept(m *Message) error {
	return p.writeMessage(m, "", writeAll, false, true)
}

// Update stores m's state fields; with sync they are on disk before Update
// returns. A final message with a zero Done gets Done set to now.
func (p *Pebble) Update(m *Message, sync bool) error {
	return p.writeMessage(m, "", writeState, false, sync)
}

// Replace stores every field of m.
func (p *Pebble) Replace(m *Message, sync bool) error {
	return p.writeMessage(m, "", writeReplace, false, sync)
}

// Get returns the message with this id, or ErrNotFound.
func (p *Pebble) Get(id string) (*Message, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	return p.get(id)
}

func (p *Pebble) get(id string) (*Message, error) {
	kb := getBuf()
	defer putBuf(kb)
	kb.b = appendMsgKey(kb.b, kindMessage, id)
	v, closer, err := p.db.Get(kb.b)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	m, err := decodeMessage(v)
	closer.Close()
	if err != nil {
		return nil, err
	}
	kb.b = appendMsgKey(kb.b[:0], kindState, id)
	v, closer, err = p.db.Get(kb.b)
	switch {
	case err == nil:
		err = decodeState(v, m)
		closer.Close()
	case errors.Is(err, pebble.ErrNotFound):
		err = nil
	}
	if err != nil {
		return nil, err
	}
	m.stored = m.State
	return m, nil
}

// LastID returns the greatest message id stored, or "".
func (p *Pebble) LastID() (string, error) {
	if err := p.begin(); err != nil {
		return "", err
	}
	defer p.end()
	it, err := p.db.NewIter(&pebble.IterOptions{
		LowerBound: []byte{kindMessage},
		UpperBound: []byte{kindMessage + 1},
	})
	if err != nil {
		return "", err
	}
	last := ""
	if it.Last() {
		last = string(it.Key()[1:])
	}
	return last, it.Close()
}

// Pending calls fn, in id order, for every message in state Queued or
// Inflight until fn returns false. fn may call other methods of the store.
func (p *Pebble) Pending(fn func(*Message) bool) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	it, err := p.db.NewIter(&pebble.IterOptions{
		LowerBound: []byte{kindPending},
		UpperBound: []byte{kindPending + 1},
	})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		m, err := p.get(string(it.Key()[1:]))
		if errors.Is(err, ErrNotFound) {
			continue // purged or never written; the index entry is stale
		}
		if err != nil {
			it.Close()
			return err
		}
		if m.State != Queued && m.State != Inflight {
			continue
		}
		if !fn(m) {
			break
		}
	}
	return it.Close()
}
