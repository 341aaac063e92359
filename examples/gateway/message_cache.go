package main

import "github.com/esmsafrica/smpp/examples/gateway/store"

// maxLive bounds the messages held in the read cache.
const maxLive = 500000

// cache keeps a copy of a non-final message for the receipt path.
func (gw *Gateway) cache(m *store.Message) {
	cp := *m
	if _, loaded := gw.live.Swap(m.ID, &cp); !loaded {
		if gw.liveN.Add(1) > maxLive {
			gw.live.Delete(m.ID)
			gw.liveN.Add(-1)
		}
	}
}

// uncache drops a message that reached a final state.
func (gw *Gateway) uncache(id string) {
	if _, ok := gw.live.LoadAndDelete(id); ok {
		gw.liveN.Add(-1)
	}
	gw.resent.Delete(id)
}

// mayBeStale reports whether m, as a dispatch saw it, may have been
// overtaken by a receipt of an earlier send: only a message sent more than
// once (a retry, or a resend after a restart) can be.
func (gw *Gateway) mayBeStale(m *store.Message) bool {
	if m.Attempts > 1 {
		return true
	}
	_, ok := gw.resent.Load(m.ID)
	return ok
}

// storedFinal reports whether the store has message id in a final state.
func (gw *Gateway) storedFinal(id string) bool {
	cur, err := gw.store.Get(id)
	return err == nil && cur.State.Final()
}

// message returns the current version of a message: from the cache, or the store.
func (gw *Gateway) message(id string) (*store.Message, error) {
	if v, ok := gw.live.Load(id); ok {
		cp := *v.(*store.Message)
		return &cp, nil
	}
	return gw.store.Get(id)
}
