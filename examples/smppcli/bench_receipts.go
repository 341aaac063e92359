package main

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/client"
)

// pendingIDs matches receipts to the submit time of their message, whether
// the receipt arrives before or after the submit_sm_resp.
type pendingIDs struct {
	shards [64]struct {
		mu    sync.Mutex
		sent  map[string]int64 // id → submit time (unix ns), response seen
		early map[string]int64 // id → receipt time, receipt before response
	}
}

func shardOf(id string) int {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return int(h % 64)
}

func (p *pendingIDs) init() {
	for i := range p.shards {
		p.shards[i].sent = map[string]int64{}
		p.shards[i].early = map[string]int64{}
	}
}

// answered records a response; it returns the receipt's latency when the
// receipt was already there.
func (p *pendingIDs) answered(id string, start int64) (int64, bool) {
	s := &p.shards[shardOf(id)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.early[id]; ok {
		delete(s.early, id)
		return t - start, true
	}
	s.sent[id] = start
	return 0, false
}

// receipt records a receipt; it returns its latency when the response was seen.
func (p *pendingIDs) receipt(id string, now int64) (int64, bool) {
	s := &p.shards[shardOf(id)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.sent[id]; ok {
		delete(s.sent, id)
		return now - t, true
	}
	s.early[strings.Clone(id)] = now
	return 0, false
}

func (b *bench) HandleDelivery(_ context.Context, d *client.Delivery) error {
	if !d.IsReceipt() {
		return nil
	}
	now := time.Now().UnixNano()
	stat := d.Receipt.State.Stat()
	if b.rec != nil {
		b.rec.receipt(time.Unix(0, now), d.Receipt.ID, stat)
	}
	lat, ok := b.ids.receipt(d.Receipt.ID, now)
	b.mu.Lock()
	if ok {
		b.receiptLat.RecordValue(max(lat/1000, 1))
	}
	b.stats[stat]++
	b.mu.Unlock()
	b.lastReceipt.Store(now)
	b.receipts.Add(1)
	// Counted as matched last: the run may end (check) as soon as the last
	// receipt is matched, and its other counts must be in by then.
	if ok {
		b.matched.Add(1)
	}
	b.check()
	return nil
}
