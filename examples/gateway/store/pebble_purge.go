package store

import (
	"errors"
	"time"

	"github.com/cockroachdb/pebble"
)

// Purge deletes the final messages whose Done is before the given time,
// with their upstream index entries, and returns how many it deleted.
func (p *Pebble) Purge(before time.Time) (int, error) {
	if err := p.begin(); err != nil {
		return 0, err
	}
	defer p.end()
	upper := appendFinalKey(nil, before, "")
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: []byte{kindFinal}, UpperBound: upper})
	if err != nil {
		return 0, err
	}
	const fkeyLen = 1 + 8 + 4
	n := 0
	b := p.db.NewBatch()
	flush := func() error {
		if b.Empty() {
			return nil
		}
		err := b.Commit(pebble.NoSync)
		b.Close()
		b = p.db.NewBatch()
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		fk := it.Key()
		if len(fk) < fkeyLen {
			continue
		}
		id := string(fk[fkeyLen:])
		m, err := p.get(id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			it.Close()
			b.Close()
			return n, err
		}
		b.Delete(fk, nil)
		if m != nil && m.State.Final() && string(appendFinalKey(nil, m.Done, id)) == string(fk) {
			if err := p.deleteMessage(b, m); err != nil {
				it.Close()
				b.Close()
				return n, err
			}
			n++
		}
		if b.Count() >= 1000 {
			if err := flush(); err != nil {
				it.Close()
				b.Close()
				return n, err
			}
		}
	}
	err = it.Close()
	if ferr := flush(); err == nil {
		err = ferr
	}
	b.Close()
	return n, err
}

// deleteMessage adds the deletion of message m (as read from the store),
// its pending entry and its upstream index entries to b.
func (p *Pebble) deleteMessage(b *pebble.Batch, m *Message) error {
	id := m.ID
	b.Delete(appendMsgKey(nil, kindMessage, id), nil)
	b.Delete(appendMsgKey(nil, kindState, id), nil)
	// Usually gone already: read before writing a tombstone.
	pk := appendMsgKey(nil, kindPending, id)
	if _, closer, err := p.db.Get(pk); err == nil {
		closer.Close()
		b.Delete(pk, nil)
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return err
	}
	if m.upKey != "" {
		if err := p.deleteUpKey(b, append([]byte{kindUpstream}, m.upKey...), id); err != nil {
			return err
		}
	}
	// A record written before state records existed names no index key
	// (all of them are under x), like one mapped more than once.
	if !m.upMore && (m.upKey != "" || m.UpstreamID == "") {
		return nil
	}
	prefix := appendUpOfIDPrefix(nil, id)
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		xk := it.Key()
		upKey := append([]byte{kindUpstream}, xk[len(prefix):]...)
		if err := p.deleteUpKey(b, upKey, id); err != nil {
			it.Close()
			return err
		}
		b.Delete(xk, nil)
	}
	return it.Close()
}

// deleteUpKey adds the deletion of upstream index entry upKey to b if it
// still points at id: the same upstream id may have been reused for a later
// message.
func (p *Pebble) deleteUpKey(b *pebble.Batch, upKey []byte, id string) error {
	v, closer, err := p.db.Get(upKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if string(v) == id {
		b.Delete(upKey, nil)
	}
	return closer.Close()
}
