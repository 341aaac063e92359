// Package conform is a catalogue of SMPP 3.4 conformance cases and the
// runner that plays them against an implementation: an SMSC (the tool is
// the ESME) or an ESME (the tool is the SMSC and the ESME connects to it).
// Every case names the section of the specification it checks, so that a
// failure points at the text that was broken.
package conform

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Role says which side of a session the implementation under test plays.
type Role int

const (
	// SMSC cases test an SMSC: the tool binds to it as an ESME.
	SMSC Role = iota + 1
	// ESME cases test an ESME: the tool is the SMSC it binds to.
	ESME
)

func (r Role) String() string {
	switch r {
	case SMSC:
		return "smsc"
	case ESME:
		return "esme"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// Status is the outcome of one case.
type Status int

const (
	// Pass: the implementation did what the section requires.
	Pass Status = iota + 1
	// Fail: it did not; the result says what came back instead.
	Fail
	// Skip: the case could not run (a capability the profile does not
	// declare, or a case that needs something the run does not have).
	Skip
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	case Skip:
		return "SKIP"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Case is one conformance check.
type Case struct {
	// ID names the case for selection and reports, e.g. "smsc.bind.3".
	ID string
	// Role is the side under test.
	Role Role
	// Group gathers related cases (session, framing, sequence, ...).
	Group string
	// Section is the SMPP 3.4 section the case checks, e.g. "4.1.1".
	Section string
	// Title says in one line what is checked.
	Title string
	// Rationale quotes or paraphrases the requirement, for the reader of
	// a failure.
	Rationale string
	// Needs lists the optional capabilities the case needs (see
	// Profile); a case whose needs the profile does not declare is
	// skipped.
	Needs []string
	// Run plays the case. It reports through t: a case that returns
	// without t.Fail or t.Skip passed.
	Run func(t *T)
}

// Profile declares what an implementation supports beyond what SMPP 3.4
// requires of every implementation (a PICS-like declaration): "data_sm",
// "submit_multi", "query_sm", "cancel_sm", "replace_sm", "receipts",
// "tls", "transceiver", "outbind", ... Cases that need a capability not
// declared are skipped, not failed.
type Profile map[string]bool

// Config is what a run needs to reach the implementation.
type Config struct {
	// Addr is the SMSC's host:port (SMSC role) or the address the tool
	// listens on for the ESME (ESME role).
	Addr string
	// TLS, when not nil, wraps the connection (SMSC role: the client
	// configuration; ESME role: the server configuration).
	TLS *tls.Config
	// SystemID and Password are the credentials the tool binds with
	// (SMSC role) or accepts (ESME role).
	SystemID, Password string
	// SystemType is sent in binds (SMSC role).
	SystemType string
	// SourceAddr and DestAddr are the addresses submissions use.
	SourceAddr, DestAddr string
	// Profile declares the optional capabilities.
	Profile Profile
	// Rate is the most messages per second the throttling cases may
	// send; zero means 50.
	Rate int
	// Timeout bounds each wait for an answer; zero means 5 s.
	Timeout time.Duration
	// CaseTimeout bounds a whole case; zero means 60 s.
	CaseTimeout time.Duration
	// ESME configures the ESME role (nil: the defaults, no driver).
	ESME *ESMEOptions

	// SessionInitTimer is the SMSC's declared session_init_timer: how long
	// it keeps a connection open that has not bound (SMSC role). Zero
	// means not declared: the cases that need it are skipped.
	SessionInitTimer time.Duration
	// InactivityTimer is the SMSC's declared inactivity_timer (SMSC role).
	// Zero means not declared: the cases that need it are skipped.
	InactivityTimer time.Duration
	// Window is how many requests the SMSC declares it accepts in flight
	// on one session (SMSC role); zero means 10, the guideline of 3.4.
	Window int
	// ReceiptTimeout bounds the wait for a delivery receipt (SMSC role);
	// zero means 30 s.
	ReceiptTimeout time.Duration
}

// T is a running case: it carries the run's configuration and records the
// outcome. Its methods are safe for concurrent use by the goroutines of a
// case.
type T struct {
	ctx  context.Context
	cfg  *Config
	c    *Case
	mu   sync.Mutex
	st   Status
	why  string
	logs []string
}

// Context is cancelled when the case's time is up or the run is stopped.
func (t *T) Context() context.Context { return t.ctx }

// Config returns the run's configuration.
func (t *T) Config() *Config { return t.cfg }

// Case returns the case being run.
func (t *T) Case() *Case { return t.c }

// Fail records a failure with what was observed; the first reason stays.
// The case goes on until it returns.
func (t *T) Fail(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.st != Fail {
		t.st, t.why = Fail, fmt.Sprintf(format, args...)
	}
}

// Skip records that the case could not run, and why, unless it failed
// already.
func (t *T) Skip(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.st == 0 {
		t.st, t.why = Skip, fmt.Sprintf(format, args...)
	}
}

// Logf adds a line to the case's log (shown with a failure, and in JSON).
func (t *T) Logf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.logs = append(t.logs, fmt.Sprintf(format, args...))
}

// Failed reports whether the case failed so far.
func (t *T) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st == Fail
}

// Result is the outcome of one case.
type Result struct {
	Case     *Case
	Status   Status
	Reason   string   // why it failed or was skipped
	Log      []string // the case's log lines
	Duration time.Duration
}

var (
	regMu sync.Mutex
	reg   []*Case
)

// Register adds cases to the catalogue (from the init functions of the
// files that define them). It panics on a duplicate id: ids are how users
// select cases and read reports.
func Register(cs ...*Case) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, c := range cs {
		for _, o := range reg {
			if o.ID == c.ID {
				panic("conform: duplicate case id " + c.ID)
			}
		}
		reg = append(reg, c)
	}
}

// Cases returns the catalogue's cases of a role (0: all), in id order
// within each group, groups in the order first registered.
func Cases(r Role) []*Case {
	regMu.Lock()
	defer regMu.Unlock()
	var out []*Case
	for _, c := range reg {
		if r == 0 || c.Role == r {
			out = append(out, c)
		}
	}
	return out
}

// Select keeps the cases whose id or group matches one of the patterns
// (an exact id, a group name, or a prefix ending in "*"); no pattern keeps
// all.
func Select(cs []*Case, patterns []string) []*Case {
	if len(patterns) == 0 {
		return cs
	}
	match := func(c *Case, p string) bool {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			return strings.HasPrefix(c.ID, prefix)
		}
		return c.ID == p || c.Group == p
	}
	var out []*Case
	for _, c := range cs {
		if slices.ContainsFunc(patterns, func(p string) bool { return match(c, p) }) {
			out = append(out, c)
		}
	}
	return out
}

// Run plays the cases one after the other and returns their results, in
// order. A case whose needs the profile does not declare is skipped
// without running; a case that panics fails with the panic.
func Run(ctx context.Context, cfg *Config, cs []*Case) []Result {
	out := make([]Result, 0, len(cs))
	for _, c := range cs {
		out = append(out, runOne(ctx, cfg, c))
	}
	return out
}

func runOne(ctx context.Context, cfg *Config, c *Case) (r Result) {
	r.Case = c
	for _, n := range c.Needs {
		if !cfg.Profile[n] {
			r.Status, r.Reason = Skip, "the profile does not declare "+n
			return r
		}
	}
	d := cfg.CaseTimeout
	if d <= 0 {
		d = 60 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	t := &T{ctx: cctx, cfg: cfg, c: c}
	start := time.Now()
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fail("panic: %v", p)
			}
		}()
		c.Run(t)
	}()
	r.Duration = time.Since(start)
	t.mu.Lock()
	defer t.mu.Unlock()
	r.Status, r.Reason, r.Log = t.st, t.why, t.logs
	if r.Status == 0 {
		r.Status = Pass
	}
	return r
}
