package jslimits

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/esmsafrica/smpp/examples/gateway/internal/jsretry"

	"github.com/esmsafrica/smpp/examples/gateway/limits"
)

// bind is one bind held, in an account's entry.
type bind struct {
	Instance string `json:"i"` // the instance holding it
	ID       string `json:"b"` // random, per bind
}

// account is this node's view of an account's entry: the binds as last
// read or written, at KV revision rev (0: not read yet or absent). mu
// serialises this node's writes of the account.
type account struct {
	mu    sync.Mutex
	binds []bind
	rev   uint64
	known bool
}

// bindKey is an account's key: "=" and its name in base64url, any name
// being a valid key so.
func bindKey(name string) string { return "=" + base64.RawURLEncoding.EncodeToString([]byte(name)) }

func (l *Limits) account(name string) *account {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.accts[name]
	if a == nil {
		a = &account{}
		l.accts[name] = a
	}
	return a
}

// load reads the account's entry into a.
func (l *Limits) load(ctx context.Context, name string, a *account) error {
	e, err := jsretry.IdempotentValue(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) { return l.binds.Get(ctx, bindKey(name)) })
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		a.binds, a.rev = nil, 0
	case err != nil:
		return fmt.Errorf("gateway jslimits: binds of %s: %w", name, err)
	default:
		var bs []bind
		if err := json.Unmarshal(e.Value(), &bs); err != nil {
			return fmt.Errorf("gateway jslimits: binds of %s: %w (the bucket holds a value of another program)", name, err)
		}
		a.binds, a.rev = bs, e.Revision()
	}
	a.known = true
	return nil
}

// change applies fn to the account's live binds and writes the result by
// compare-and-set, reading the entry again after a refusal, until a write
// succeeds or fn refuses on an entry read now (its error is returned,
// nothing written). The entry as last written here is tried first: a write
// on a revision since changed is refused by the servers. Called with a.mu
// held.
func (l *Limits) change(ctx context.Context, name string, a *account, fn func(live []bind) ([]bind, error)) error {
	for {
		fresh := !a.known
		if fresh {
			if err := l.load(ctx, name, a); err != nil {
				return err
			}
		}
		live, err := l.liveBinds(ctx, a.binds)
		if err != nil {
			return err
		}
		next, err := fn(live)
		if err != nil && !fresh {
			a.known = false // refused on the entry as last written here: decide on a fresh read
			continue
		}
		if err != nil {
			return err
		}
		val, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("gateway jslimits: binds of %s: %w", name, err)
		}
		var rev uint64
		// Value, not IdempotentValue: a write that timed out may have been
		// stored, and a repeat refused for it would be decided again on a
		// read that holds this very bind.
		rev, err = jsretry.Value(ctx, func() (uint64, error) {
			if a.rev == 0 {
				return l.binds.Create(ctx, bindKey(name), val)
			}
			return l.binds.Update(ctx, bindKey(name), val, a.rev)
		})
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			a.known = false // another node wrote it: read again, decide again
			continue
		}
		if err != nil {
			a.known = false
			return fmt.Errorf("gateway jslimits: binds of %s: %w", name, err)
		}
		a.binds, a.rev = next, rev
		return nil
	}
}

// liveBinds returns the binds held by live instances.
func (l *Limits) liveBinds(ctx context.Context, bs []bind) ([]bind, error) {
	out := make([]bind, 0, len(bs))
	checked := map[string]bool{}
	for _, b := range bs {
		ok, seen := checked[b.Instance]
		if !seen {
			var err error
			if ok, err = l.isLive(ctx, b.Instance); err != nil {
				return nil, err
			}
			checked[b.Instance] = ok
		}
		if ok {
			out = append(out, b)
		}
	}
	return out, nil
}

// Bind takes one of the account's binds, counted over every node, or fails
// with limits.ErrTooManyBinds, ctx's error, or the servers' error.
func (l *Limits) Bind(ctx context.Context, name string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("gateway jslimits: bind id: %w", err)
	}
	me := bind{Instance: l.instance, ID: hex.EncodeToString(id[:])}
	l.mu.Lock()
	maxBinds := l.set[name].MaxBinds
	l.mu.Unlock()
	a := l.account(name)
	a.mu.Lock()
	err := l.change(ctx, name, a, func(live []bind) ([]bind, error) {
		if maxBinds > 0 && len(live) >= maxBinds {
			return nil, limits.ErrTooManyBinds
		}
		return append(live, me), nil
	})
	a.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var released atomic.Bool
	return func() {
		if released.CompareAndSwap(false, true) {
			l.release(name, me.ID)
		}
	}, nil
}

// release removes bind id from the account's entry; when the servers do
// not answer, it is kept pending and written by the heartbeat.
func (l *Limits) release(name, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.Timeout)
	defer cancel()
	if err := l.remove(ctx, name, id); err != nil {
		l.mu.Lock()
		l.pending[id] = name
		l.mu.Unlock()
	}
}

// remove writes the account's entry without bind id.
func (l *Limits) remove(ctx context.Context, name, id string) error {
	a := l.account(name)
	a.mu.Lock()
	defer a.mu.Unlock()
	return l.change(ctx, name, a, func(live []bind) ([]bind, error) {
		out := live[:0:0]
		for _, b := range live {
			if b.ID != id {
				out = append(out, b)
			}
		}
		return out, nil
	})
}

// retryReleases writes the releases kept pending.
func (l *Limits) retryReleases(ctx context.Context) error {
	l.mu.Lock()
	pending := make(map[string]string, len(l.pending))
	for id, name := range l.pending {
		pending[id] = name
	}
	l.mu.Unlock()
	var errs []error
	for id, name := range pending {
		if err := l.remove(ctx, name, id); err != nil {
			errs = append(errs, err)
			continue
		}
		l.mu.Lock()
		delete(l.pending, id)
		l.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Binds returns how many binds the account holds on the live nodes, as
// read from the servers now; when they do not answer within
// Options.Timeout, as this node last read or wrote them.
func (l *Limits) Binds(name string) int {
	a := l.account(name)
	a.mu.Lock()
	defer a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.Timeout)
	defer cancel()
	if err := l.load(ctx, name, a); err != nil {
		return len(a.binds)
	}
	live, err := l.liveBinds(ctx, a.binds)
	if err != nil {
		return len(a.binds)
	}
	return len(live)
}
