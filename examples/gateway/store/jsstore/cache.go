package jsstore

import "sync"

// cache holds the records this node wrote or read last, with their KV
// revisions, for the compare-and-sets of messages on their way: a write on
// a cached revision needs no read first. It is a hint, never the truth: a
// write on a revision that another node has changed since is refused by
// the servers, and the record is read again. Final records leave it; when
// full, an arbitrary entry makes room.
type cache struct {
	mu   sync.Mutex
	max  int
	recs map[string]cached
}

type cached struct {
	r     *record
	kvRev uint64
}

func newCache(max int) *cache { return &cache{max: max, recs: make(map[string]cached)} }

// get returns the cached record of id if its Rev is rev.
func (c *cache) get(id string, rev uint64) (*record, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.recs[id]
	if !ok || e.r.m.Rev != rev {
		return nil, 0, false
	}
	return e.r, e.kvRev, true
}

// put caches r at kvRev, or forgets its message once final.
func (c *cache) put(r *record, kvRev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.m.State.Final() || c.max <= 0 {
		delete(c.recs, r.m.ID)
		return
	}
	if _, ok := c.recs[r.m.ID]; !ok && len(c.recs) >= c.max {
		for k := range c.recs {
			delete(c.recs, k)
			break
		}
	}
	c.recs[r.m.ID] = cached{r, kvRev}
}

// drop forgets id.
func (c *cache) drop(id string) {
	c.mu.Lock()
	delete(c.recs, id)
	c.mu.Unlock()
}

// len returns how many records are cached.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.recs)
}
