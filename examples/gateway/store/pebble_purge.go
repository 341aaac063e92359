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
		v, err := p.read(id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			it.Close()
			b.Close()
			return n, err
		}
		b.Delete(fk, nil)
		if v != nil && v.m.State.Final() && string(appendFinalKey(nil, v.m.Done, id)) == string(fk) {
			if err := p.deleteMessage(b, v); err != nil {
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

// deleteMessage adds the deletion of message v (as read from the store),
// its pending entry (written by versions before the queue) and its upstream
// index entries to b.
func (p *Pebble) deleteMessage(b *pebble.Batch, v *version) error {
	id := v.m.ID
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
	if v.upKey != "" {
		if err := p.deleteUpKey(b, append([]byte{kindUpstream}, v.upKey...), id); err != nil {
			return err
		}
	}
	// A record written before state records existed names no index key
	// (all of them are under x), like one mapped more than once.
	if !v.upMore && (v.upKey != "" || v.m.UpstreamID == "") {
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
