package store

import (
	"errors"

	"github.com/cockroachdb/pebble"
)

// MapUpstream stores m's state fields and the index entry (m.Route,
// upstreamKey) -> m.ID in one atomic batch.
func (p *Pebble) MapUpstream(m *Message, upstreamKey string, sync bool) error {
	return p.writeMessage(m, upstreamKey, writeState, true, sync)
}

// LookupUpstream returns the gateway id recorded by MapUpstream for
// (route, upstreamKey), or ErrNotFound.
func (p *Pebble) LookupUpstream(route, upstreamKey string) (string, error) {
	if err := p.begin(); err != nil {
		return "", err
	}
	defer p.end()
	kb := getBuf()
	defer putBuf(kb)
	kb.b = appendUpKey(kb.b, route, upstreamKey)
	v, closer, err := p.db.Get(kb.b)
	if errors.Is(err, pebble.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	id := string(v)
	closer.Close()
	return id, nil
}
