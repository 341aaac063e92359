package slots

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultTTL is how long a slot's key lives without renewal when
// JetStreamOptions.TTL is zero: a dead node's binds move to the survivors
// within it.
const DefaultTTL = 6 * time.Second

// JetStreamOptions configures JetStream slots.
type JetStreamOptions struct {
	// Node names this node; it must be unique among the nodes and a valid
	// key token (letters, digits, '-', '_').
	Node string
	// Bucket is the key-value bucket's name; "" means "gateway-slots".
	Bucket string
	// Replicas of the bucket: 3 on a cluster of three servers or more.
	// Zero means 1.
	Replicas int
	// TTL is how long a key lives without renewal; zero means DefaultTTL.
	TTL time.Duration
	// Logger logs the slots taken and given up; nil means slog.Default().
	Logger *slog.Logger
}

// JetStream shares slots among nodes through a JetStream key-value bucket.
type JetStream struct {
	kv   jetstream.KeyValue
	opts JetStreamOptions
}

// NewJetStream creates or opens the bucket and returns the node's slots.
func NewJetStream(ctx context.Context, js jetstream.JetStream, o JetStreamOptions) (*JetStream, error) {
	if o.Node == "" || !ValidName(o.Node) {
		return nil, fmt.Errorf("slots: node name %q: want letters, digits, '-' or '_' (set the cluster's node name)", o.Node)
	}
	if o.Bucket == "" {
		o.Bucket = "gateway-slots"
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: o.Bucket, History: 1, TTL: o.TTL, Replicas: o.Replicas,
		Description: "the gateway's upstream bind slots, one key per slot held, expiring unless renewed",
	})
	if err != nil {
		return nil, fmt.Errorf("slots: bucket %s: %w", o.Bucket, err)
	}
	return &JetStream{kv: kv, opts: o}, nil
}

// ValidName reports whether s can name a node or a resource: letters,
// digits, '-' and '_' (a token of a key-value key, and of a subject).
func ValidName(s string) bool {
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}

// holding is one Hold call's view of its slots.
type holding struct {
	s        *JetStream
	resource string
	total    int
	set      func([]int)
	held     map[int]uint64 // slot → revision of its key
	member   uint64         // revision of the member key, 0 when not written
	renewed  time.Time      // last time every held key was renewed
}

// Hold implements Slots.
func (s *JetStream) Hold(ctx context.Context, resource string, total int, set func(held []int)) error {
	if !ValidName(resource) {
		return fmt.Errorf("slots: resource name %q: want letters, digits, '-' or '_'", resource)
	}
	h := &holding{s: s, resource: resource, total: total, set: set, held: map[int]uint64{}}
	tick := time.NewTicker(s.opts.TTL / 4)
	defer tick.Stop()
	for {
		h.round(ctx)
		select {
		case <-ctx.Done():
			h.release()
			return nil
		case <-tick.C:
		}
	}
}

func (h *holding) slotKey(slot int) string { return fmt.Sprintf("s.%s.%d", h.resource, slot) }
func (h *holding) memberKey() string       { return "m." + h.resource + "." + h.s.opts.Node }

// round renews what the node holds, fences itself when it could not renew
// for too long, and moves its share towards the fair one.
//
// A key expires TTL after its last renewal reached NATS, which is after the
// round that renewed it started: the node gives its slots up once half the
// TTL has passed since the start of its last successful renewal, and no call
// to NATS outlives that point, so the owner has the other half to close its
// binds before any other node can take a slot.
func (h *holding) round(ctx context.Context) {
	ttl := h.s.opts.TTL
	start := time.Now()
	deadline := start.Add(ttl / 4)
	fence := h.renewed.Add(ttl / 2)
	if len(h.held) > 0 && fence.Before(deadline) {
		deadline = fence
	}
	opCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	ok := h.renew(opCtx)
	if ok {
		h.renewed = start
	} else if len(h.held) > 0 && !time.Now().Before(fence) {
		h.s.opts.Logger.Warn("slots: could not renew; giving up the slots before they expire", "resource", h.resource, "slots", h.list())
		clear(h.held)
		h.set(nil)
		return
	}
	if !ok {
		return
	}
	members, err := h.members(opCtx)
	if err != nil || members == 0 {
		return
	}
	fair := (h.total + members - 1) / members
	if len(h.held) > fair {
		h.giveUp(opCtx, len(h.held)-fair)
		return
	}
	h.take(opCtx, fair-len(h.held))
}

// renew rewrites the member key and every held slot's key; a slot whose key
// changed under it (it expired and another node took it) leaves the set.
func (h *holding) renew(ctx context.Context) bool {
	rev, err := h.s.kv.Put(ctx, h.memberKey(), []byte(h.s.opts.Node))
	if err != nil {
		return false
	}
	h.member = rev
	ok := true
	var lost []int
	for slot, rev := range h.held {
		nrev, err := h.s.kv.Update(ctx, h.slotKey(slot), []byte(h.s.opts.Node), rev)
		switch {
		case err == nil:
			h.held[slot] = nrev
		case errors.Is(err, jetstream.ErrKeyExists):
			lost = append(lost, slot)
		default:
			ok = false
		}
	}
	if len(lost) > 0 {
		for _, slot := range lost {
			delete(h.held, slot)
		}
		h.s.opts.Logger.Warn("slots: lost to another node", "resource", h.resource, "slots", lost)
		h.set(h.list())
	}
	return ok
}

// members counts the nodes that hold or want slots of the resource.
func (h *holding) members(ctx context.Context) (int, error) {
	l, err := h.s.kv.ListKeysFiltered(ctx, "m."+h.resource+".*")
	if err != nil {
		return 0, err
	}
	// The lister may name a key twice while keys change; it stops its watch
	// once it has sent them all.
	seen := map[string]bool{}
	for k := range l.Keys() {
		seen[k] = true
	}
	return len(seen), nil
}

// take creates the keys of up to n free slots.
func (h *holding) take(ctx context.Context, n int) {
	if n <= 0 {
		return
	}
	var got []int
	for slot := 0; slot < h.total && len(got) < n; slot++ {
		if _, mine := h.held[slot]; mine {
			continue
		}
		rev, err := h.s.kv.Create(ctx, h.slotKey(slot), []byte(h.s.opts.Node))
		if err != nil {
			continue // held by another node, or NATS is away: the next round tries again
		}
		h.held[slot] = rev
		got = append(got, slot)
	}
	if len(got) > 0 {
		h.s.opts.Logger.Info("slots: taken", "resource", h.resource, "slots", got)
		h.set(h.list())
	}
}

// giveUp hands back n slots, the highest first: the owner closes their
// binds before the keys are deleted.
func (h *holding) giveUp(ctx context.Context, n int) {
	slots := h.list()
	drop := slots[len(slots)-n:]
	revs := make([]uint64, len(drop))
	for i, slot := range drop {
		revs[i] = h.held[slot]
		delete(h.held, slot)
	}
	h.set(h.list())
	for i, slot := range drop {
		if err := h.s.kv.Delete(ctx, h.slotKey(slot), jetstream.LastRevision(revs[i])); err != nil {
			h.s.opts.Logger.Warn("slots: give up: key left to expire", "resource", h.resource, "slot", slot, "err", err)
		}
	}
	h.s.opts.Logger.Info("slots: given up for a fair share", "resource", h.resource, "slots", drop)
}

// release gives back every slot and the membership at the end of Hold.
func (h *holding) release() {
	ctx, cancel := context.WithTimeout(context.Background(), h.s.opts.TTL/3)
	defer cancel()
	drop := h.list()
	revs := make(map[int]uint64, len(h.held))
	for slot, rev := range h.held {
		revs[slot] = rev
	}
	clear(h.held)
	h.set(nil)
	for _, slot := range drop {
		if err := h.s.kv.Delete(ctx, h.slotKey(slot), jetstream.LastRevision(revs[slot])); err != nil {
			h.s.opts.Logger.Warn("slots: release: key left to expire", "resource", h.resource, "slot", slot, "err", err)
		}
	}
	if h.member != 0 {
		if err := h.s.kv.Delete(ctx, h.memberKey()); err != nil {
			h.s.opts.Logger.Warn("slots: release: member key left to expire", "resource", h.resource, "err", err)
		}
	}
}

// list returns the held slots, sorted.
func (h *holding) list() []int {
	l := make([]int, 0, len(h.held))
	for slot := range h.held {
		l = append(l, slot)
	}
	slices.Sort(l)
	return l
}
