package limits

import (
	"context"
	"time"
)

// Limit is an account's limits. The zero value has none.
type Limit struct {
	// Rate is the most submissions (submit_sm, data_sm, submit_multi, and
	// the HTTP side's sends) per second accepted from the account, from
	// all its binds on all nodes together; more are refused
	// (ESME_RTHROTTLED). Zero means no limit.
	Rate float64
	// Burst is how many submissions may come at once above Rate. Zero
	// means max(1, int(Rate)).
	Burst int
	// MaxBinds is the most sessions bound at once with the account, on
	// all nodes together; a bind beyond is refused (ESME_RALYBND). Zero
	// means no limit.
	MaxBinds int
}

// Limits enforces the accounts' limits. Methods are safe for concurrent
// use.
type Limits interface {
	// Set sets an account's limits, at start and at each reload. What is
	// in use carries over: the submissions the rate allows now, and the
	// binds held (a lower MaxBinds refuses new binds until the account is
	// below it; it unbinds nobody).
	Set(account string, l Limit)
	// Allow takes one submission of the account if its rate allows one
	// now, and reports whether it did. An account never Set has no limits.
	// It is on every submission's path: it must not wait.
	Allow(account string) bool
	// Reserve takes one submission of the account, now or at most maxWait
	// from now (shaping): it returns how long the caller waits before the
	// submission goes on (0: at once) and true, or false when the rate
	// would not allow one within maxWait, taking nothing then. The
	// submissions reserved are spaced by the rate whoever asks, so at most
	// Rate × maxWait of them wait at once (beyond the burst): the held
	// count is bounded by the bound. The submission counts from the call:
	// one abandoned during its wait (its connection closed) is spent. An
	// account never Set, or without a rate, has (0, true); maxWait <= 0
	// is Allow. Reserve itself must not wait.
	Reserve(account string, maxWait time.Duration) (wait time.Duration, ok bool)
	// Bind takes one of the account's binds, or fails with
	// ErrTooManyBinds when the account holds MaxBinds, or with ctx's error.
	// release gives the bind back once, however often it is called.
	Bind(ctx context.Context, account string) (release func(), err error)
	// Binds returns how many binds the account holds.
	Binds(account string) int
}
