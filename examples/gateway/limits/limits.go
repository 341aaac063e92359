package limits

import "context"

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
	// Bind takes one of the account's binds, or fails with
	// ErrTooManyBinds when the account holds MaxBinds, or with ctx's error.
	// release gives the bind back once, however often it is called.
	Bind(ctx context.Context, account string) (release func(), err error)
	// Binds returns how many binds the account holds.
	Binds(account string) int
}
