package limits

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// LocalOptions tunes NewLocal. The zero value is the default.
type LocalOptions struct {
	// Now is the clock of the rates. Nil means time.Now.
	Now func() time.Time
}

// Local is the single-node Limits: a token bucket per account
// (golang.org/x/time/rate, as the server package has per system_id) and a
// count of binds, in memory. Allow takes no lock of its own and allocates
// nothing.
type Local struct {
	now func() time.Time

	mu    sync.Mutex // serializes Set and the adding of accounts
	accts atomic.Pointer[map[string]*account]
}

var _ Limits = (*Local)(nil)

// account is the state of one account.
type account struct {
	lim      atomic.Pointer[rate.Limiter] // nil: no rate
	reserve  sync.Mutex                   // serializes Allow and Reserve: the clock read in order, and a refusal gives back exactly what it took
	maxBinds atomic.Int64                 // 0: no limit
	binds    atomic.Int64
}

// NewLocal returns limits with no account set.
func NewLocal(opts LocalOptions) *Local {
	l := &Local{now: opts.Now}
	if l.now == nil {
		l.now = time.Now
	}
	l.accts.Store(&map[string]*account{})
	return l
}

// lookup returns the account's state, or nil if it has none.
func (l *Local) lookup(name string) *account { return (*l.accts.Load())[name] }

// account returns the account's state, adding it if needed. Accounts are
// added rarely (at start, at a reload, at the first bind of an account
// never Set), so the map is copied rather than locked on every read.
func (l *Local) account(name string) *account {
	if a := l.lookup(name); a != nil {
		return a
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old := *l.accts.Load()
	if a := old[name]; a != nil {
		return a
	}
	m := make(map[string]*account, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	a := &account{}
	m[name] = a
	l.accts.Store(&m)
	return a
}

// Set sets an account's limits. A rate going from none to some starts
// with its full burst; a rate changed keeps the tokens it had.
func (l *Local) Set(name string, lim Limit) {
	a := l.account(name)
	l.mu.Lock()
	defer l.mu.Unlock()
	a.maxBinds.Store(int64(max(0, lim.MaxBinds)))
	if lim.Rate <= 0 {
		a.lim.Store(nil)
		return
	}
	burst := lim.Burst
	if burst <= 0 {
		burst = max(1, int(lim.Rate))
	}
	cur := a.lim.Load()
	if cur == nil {
		a.lim.Store(rate.NewLimiter(rate.Limit(lim.Rate), burst))
		return
	}
	now := l.now()
	if cur.Limit() != rate.Limit(lim.Rate) {
		cur.SetLimitAt(now, rate.Limit(lim.Rate))
	}
	if cur.Burst() != burst {
		cur.SetBurstAt(now, burst)
	}
}

// Allow takes one submission of the account if its rate allows it now.
func (l *Local) Allow(name string) bool {
	a := l.lookup(name)
	if a == nil {
		return true
	}
	lim := a.lim.Load()
	if lim == nil {
		return true
	}
	// The time is read under the account's lock, as in Reserve: a call
	// with a time before the bucket's last one would move its clock back
	// and hand out tokens the rate never gave.
	a.reserve.Lock()
	defer a.reserve.Unlock()
	return lim.AllowN(l.now(), 1)
}

// Reserve takes one submission of the account now or within maxWait. The
// reservation is taken and, when it would wait longer than maxWait, given
// back at once; under the account's reserve lock the one given back is
// always the last taken, so the bucket gets back the whole token (an Allow
// in between cannot succeed: the bucket is short of one).
func (l *Local) Reserve(name string, maxWait time.Duration) (time.Duration, bool) {
	a := l.lookup(name)
	if a == nil {
		return 0, true
	}
	lim := a.lim.Load()
	if lim == nil {
		return 0, true
	}
	a.reserve.Lock()
	defer a.reserve.Unlock()
	if maxWait <= 0 {
		return 0, lim.AllowN(l.now(), 1)
	}
	// The time is read under the lock: a reservation at a time before the
	// bucket's last one would move the bucket's clock back and count the
	// time between twice (tokens the rate never gave).
	now := l.now()
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return 0, false
	}
	d := r.DelayFrom(now)
	if d > maxWait {
		r.CancelAt(now)
		return 0, false
	}
	return d, true
}

// Bind takes one of the account's binds.
func (l *Local) Bind(ctx context.Context, name string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a := l.account(name)
	for {
		n, limit := a.binds.Load(), a.maxBinds.Load()
		if limit > 0 && n >= limit {
			return nil, ErrTooManyBinds
		}
		if a.binds.CompareAndSwap(n, n+1) {
			break
		}
	}
	var released atomic.Bool
	return func() {
		if released.CompareAndSwap(false, true) {
			a.binds.Add(-1)
		}
	}, nil
}

// Binds returns how many binds the account holds.
func (l *Local) Binds(name string) int {
	if a := l.lookup(name); a != nil {
		return int(a.binds.Load())
	}
	return 0
}
