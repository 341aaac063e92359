package status

import (
	"errors"
	"maps"
	"sync"
	"time"
)

// fakeSource is a Source whose answers the tests set.
type fakeSource struct {
	mu        sync.Mutex
	start     time.Time
	notReady  []string
	accounts  []Account
	upstreams []Upstream
	totals    Totals
	queue     int
	queueErr  error
	waiting   int64
	server    []Count
	submit    Latency
	pending   map[string]int
	// pendingReads counts the calls of DeliveriesPending.
	pendingReads int
}

func newFakeSource() *fakeSource {
	return &fakeSource{start: time.Now().Add(-90 * time.Second),
		totals: Totals{Accounts: map[string]AccountTotal{}, Upstreams: map[string]UpstreamTotal{}}}
}

var errNoQueue = errors.New("queue closed")

func (f *fakeSource) Start() time.Time { return f.start }

func (f *fakeSource) NotReady() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.notReady
}

func (f *fakeSource) Accounts() []Account {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Account(nil), f.accounts...)
}

func (f *fakeSource) DeliveriesPending() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pendingReads++
	return maps.Clone(f.pending)
}

func (f *fakeSource) Upstreams() []Upstream {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Upstream(nil), f.upstreams...)
}

func (f *fakeSource) Totals() Totals {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Totals{Accounts: maps.Clone(f.totals.Accounts), Upstreams: maps.Clone(f.totals.Upstreams)}
}

func (f *fakeSource) Queue() (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queue, f.queueErr
}

func (f *fakeSource) ReceiptsWaiting() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiting
}

func (f *fakeSource) Server() []Count { return f.server }

func (f *fakeSource) SubmitLatency() *Latency { return &f.submit }

// set changes the source under its lock.
func (f *fakeSource) set(change func(f *fakeSource)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}
