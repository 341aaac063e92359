package client

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// governor paces one bind: its rate limiter, and the slow-down after the SMSC
// throttles (AIMD: halve the rate and pause, then add back a tenth of the rate
// that was throttled per second of successes).
type governor struct {
	max     rate.Limit // the configured rate; rate.Inf when unlimited
	min     rate.Limit
	burst   int
	backoff time.Duration

	lim        atomic.Pointer[rate.Limiter] // nil: unlimited
	pauseUntil atomic.Int64                 // unix nanos; 0: no pause
	gen        atomic.Uint64                // bumped by every decrease
	reduced    atomic.Bool                  // the limit is below max
	streak     atomic.Int32                 // throttles since the last success
	// ok is written by the read loop at every response: on a cache line of
	// its own, away from what every submit reads.
	_         [64]byte
	ok        atomic.Int64 // successes since meterStart
	_         [56]byte
	throttles atomic.Int64
	binds     atomic.Int64

	mu         sync.Mutex
	meterStart time.Time
	base       float64 // the rate at the last decrease
}

func (g *governor) init(cfg Config) {
	g.max = rate.Inf
	g.min = rate.Limit(cfg.MinRate)
	g.burst = 1
	g.backoff = cfg.ThrottleBackoff
	if cfg.Rate > 0 {
		g.max = rate.Limit(cfg.Rate)
		g.burst = burst(cfg.Burst, cfg.Rate)
		g.lim.Store(rate.NewLimiter(g.max, g.burst))
	}
	g.meterStart = time.Now()
}

// limit returns the current rate limit.
func (g *governor) limit() rate.Limit {
	if l := g.lim.Load(); l != nil {
		return l.Limit()
	}
	return rate.Inf
}

// bound restarts the throughput meter for a new connection.
func (g *governor) bound() {
	g.binds.Add(1)
	g.mu.Lock()
	g.meterStart = time.Now()
	g.ok.Store(0)
	g.mu.Unlock()
}

// wait blocks for the pause after a throttle and for the rate limiter. It
// returns the context's error, or ErrClosed when closed is closed first.
func (g *governor) wait(ctx context.Context, closed <-chan struct{}) error {
	if p := g.pauseUntil.Load(); p != 0 {
		if d := time.Until(time.Unix(0, p)); d > 0 {
			if err := sleep(ctx, closed, d); err != nil {
				return err
			}
		}
	}
	l := g.lim.Load()
	if l == nil {
		return nil
	}
	r := l.Reserve()
	if !r.OK() {
		return nil
	}
	if d := r.Delay(); d > 0 {
		if err := sleep(ctx, closed, d); err != nil {
			r.Cancel()
			return err
		}
	}
	return nil
}

func sleep(ctx context.Context, closed <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-closed:
		return ErrClosed
	}
}

// success records a successful response: the rate recovers additively.
func (g *governor) success() {
	g.ok.Add(1)
	if g.streak.Load() != 0 {
		g.streak.Store(0)
	}
	if !g.reduced.Load() {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.lim.Load()
	if l == nil || !g.reduced.Load() {
		return
	}
	cur := float64(l.Limit())
	step := g.base / 10
	if step < 1 {
		step = 1
	}
	cur += step / cur
	switch {
	case g.max != rate.Inf && rate.Limit(cur) >= g.max:
		l.SetLimit(g.max)
		l.SetBurst(g.burst)
		g.reduced.Store(false)
	case g.max == rate.Inf && cur >= 2*g.base:
		g.lim.Store(nil)
		g.reduced.Store(false)
	default:
		l.SetLimit(rate.Limit(cur))
	}
}

// throttle records an ESME_RTHROTTLED or ESME_RMSGQFUL answer to a request
// sent in generation sentGen: it pauses the bind (exponentially longer for
// throttles in a row) and, unless the rate was already cut since that request
// was sent, halves the rate.
func (g *governor) throttle(sentGen uint64) {
	g.throttles.Add(1)
	n := g.streak.Add(1)
	p := g.backoff << min(n-1, 5)
	p = p/2 + rand.N(p/2+1)
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if until := now.Add(p).UnixNano(); until > g.pauseUntil.Load() {
		g.pauseUntil.Store(until)
	}
	if sentGen != g.gen.Load() {
		return // sent before the last decrease: that one already answered it
	}
	var cur float64
	l := g.lim.Load()
	if l != nil {
		cur = float64(l.Limit())
	} else {
		// Unlimited so far: start from the throughput measured.
		el := now.Sub(g.meterStart).Seconds()
		if el < 0.05 {
			el = 0.05
		}
		cur = float64(g.ok.Load()) / el
	}
	if cur < 2*float64(g.min) {
		cur = 2 * float64(g.min)
	}
	next := rate.Limit(cur / 2)
	g.base = cur
	if l == nil {
		g.lim.Store(rate.NewLimiter(next, 1))
	} else {
		l.SetLimit(next)
		l.SetBurst(1)
	}
	g.reduced.Store(true)
	g.gen.Add(1)
	g.ok.Store(0)
	g.meterStart = now
}
