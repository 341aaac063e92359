package main

// Shaping with a client that sends one submit_sm at a time and waits for
// its submit_sm_resp before the next (python smpplib's default, and many a
// hand-written ESME), against an account of 100 msg/s. The client is a raw
// ESME (smpptest) with a window of 1: no pacing of its own, no retry of a
// throttled answer, as smpplib; the client package would not do (it slows
// itself down after ESME_RTHROTTLED). The figures are logged for the README, not asserted: what is
// asserted is what shaping promises (nothing refused) and what policing
// does (answers over the rate refused at once).

import (
	"testing"
	"time"
)

// sendSequential sends n submit_sm one after the other on a new bind of
// systemID, each after the answer to the one before, and counts the
// answers (flood with a window of 1: shaping_test.go).
func sendSequential(t *testing.T, a *app, systemID, password string, n int) (ok, throttled int, elapsed time.Duration) {
	t.Helper()
	e := shapingBind(t, a, systemID, password, 1)
	got, elapsed := flood(t, e, n, 1)
	ok, throttled = checkStatuses(t, a, systemID, got, n)
	return ok, throttled, elapsed
}

// TestShapingSequentialSends: 500 submit_sm one at a time at an account of
// 100 msg/s. Shaping on: every one accepted, held until the rate allows it
// (the figure: about 100 msg/s). Shaping off: the client gets the rate's
// worth accepted and an ESME_RTHROTTLED for each send in between, which a
// client that does not retry loses.
func TestShapingSequentialSends(t *testing.T) {
	const n, rate = 500, 100.0
	a := inproc(t, func(c *Config) {
		c.Accounts = append(c.Accounts,
			AccountConfig{SystemID: "seq", Password: "seq-pw", Rate: rate},
			AccountConfig{SystemID: "seqpol", Password: "seq-pw", Rate: rate, Shaping: new(bool)})
	})
	ok, thr, elapsed := sendSequential(t, a, "seq", "seq-pw", n)
	t.Logf("shaping on, window 1, account %v msg/s: %d accepted, %d throttled in %v: %.1f msg/s delivered",
		rate, ok, thr, elapsed.Round(time.Millisecond), float64(ok)/elapsed.Seconds())
	if ok != n || thr != 0 {
		t.Errorf("shaping on: %d accepted, %d throttled of %d; want all accepted", ok, thr, n)
	}
	ok, thr, elapsed = sendSequential(t, a, "seqpol", "seq-pw", n)
	t.Logf("shaping off, window 1, account %v msg/s: %d accepted, %d throttled (each answered at once) in %v",
		rate, ok, thr, elapsed.Round(time.Millisecond))
	if thr == 0 {
		t.Errorf("shaping off: none of %d sends as fast as answered was throttled at %v msg/s", n, rate)
	}
}
