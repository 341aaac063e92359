package jslimits

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// heartbeat writes this node's key and lists the nodes every TTL/3 until
// Close; a failed round is tried again at the next tick (the key lives a
// whole TTL, three ticks).
func (l *Limits) heartbeat() {
	defer l.wg.Done()
	t := time.NewTicker(l.opts.TTL / 3)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), l.opts.TTL/3)
			if err := l.beat(ctx); err == nil {
				if err := l.retryReleases(ctx); err != nil {
					cancel()
					continue // kept pending: tried again at the next tick
				}
			}
			cancel()
		}
	}
}

// beat writes this node's heartbeat, lists the live nodes, and sets the
// rates' shares again if their number changed.
func (l *Limits) beat(ctx context.Context) error {
	if _, err := l.nodes.Put(ctx, l.instance, []byte(l.opts.Node)); err != nil {
		return fmt.Errorf("gateway jslimits: heartbeat: %w", err)
	}
	lister, err := l.nodes.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("gateway jslimits: listing the nodes: %w", err)
	}
	defer lister.Stop()
	live := map[string]bool{l.instance: true}
	for k := range lister.Keys() {
		live[k] = true
	}
	if ctx.Err() != nil {
		return fmt.Errorf("gateway jslimits: listing the nodes: %w", ctx.Err())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	changed := len(live) != len(l.live)
	l.live = live
	if changed {
		for acct, lim := range l.set {
			l.local.Set(acct, share(lim, len(live)))
		}
	}
	return nil
}

// isLive reports whether instance is live: this one, one in the last
// list, or one whose heartbeat key is there now (a node started since).
func (l *Limits) isLive(ctx context.Context, instance string) (bool, error) {
	l.mu.Lock()
	ok := l.live[instance]
	l.mu.Unlock()
	if ok {
		return true, nil
	}
	_, err := l.nodes.Get(ctx, instance)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("gateway jslimits: heartbeat of %s: %w", instance, err)
	}
	return true, nil
}
