package store

import (
	"context"
	"errors"

	"github.com/cockroachdb/pebble"
)

// MapUpstream stores m's state fields by compare-and-set and the index
// entry (m.Route, upstreamKey) -> m.ID in one atomic batch, and wakes the
// receipts waiting for the entry. The batch is in the write-ahead log when
// MapUpstream returns, synced with the next durable write (see Store).
func (p *Pebble) MapUpstream(m *Message, upstreamKey string) error {
	return p.writeMessage(m, change{what: writeState, how: logged, mapUp: true, upstreamKey: upstreamKey})
}

// MapUpstreamAsync is MapUpstream without waiting: then is called once the
// batch is in the write-ahead log, by the goroutine that wrote it (the
// caller itself when no other write was being committed).
func (p *Pebble) MapUpstreamAsync(m *Message, upstreamKey string, then func(error)) {
	p.writeAsync(m, change{what: writeState, how: logged, mapUp: true, upstreamKey: upstreamKey}, then)
}

// WaitUpstream returns the gateway id recorded by MapUpstream for (route,
// upstreamKey), waiting until ctx ends for it to be recorded.
func (p *Pebble) WaitUpstream(ctx context.Context, route, upstreamKey string) (string, error) {
	return p.track.wait(ctx, route, upstreamKey, func() (string, error) { return p.LookupUpstream(route, upstreamKey) })
}

// LookupUpstream returns the gateway id recorded by MapUpstream for
// (route, upstreamKey), or ErrNotFound.
func (p *Pebble) LookupUpstream(route, upstreamKey string) (string, error) {
	if err := p.begin(); err != nil {
		return "", err
	}
	defer p.end()
	if id, ok := p.track.lookup(route, upstreamKey); ok {
		return id, nil
	}
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
