// Package peers runs the third-party SMPP peers kept in scripts/peers from Go tests:
// an SMSC and an ESME on node-smpp 0.5.1 (npm smpp) and on Perl Net::SMPP 1.19.
//
// Each peer prints one JSON object per line on stdout; this package parses those lines
// into [Event] values. The peers are installed by scripts/install-test-deps.sh. When one
// is missing the test fails with that hint: a missing peer never makes a test skip.
// Every test that uses this package is built only with -tags interop (as make test
// does), so that go test ./... needs nothing but Go.
//
//	smsc := peers.StartSMSC(t, peers.Perl, "--dlr-delay", "50")
//	events, err := peers.RunESME(t, peers.Node, "--port", smsc.PortArg(), "--registered-delivery", "--wait-receipts", "1")
//	smsc.WaitEvent(t, "deliver_sm_resp", nil)
//
// The event names and fields of every script are listed in the header of the script.
package peers

import (
	"errors"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// The implementations a peer can be started with.
const (
	Node = "node" // npm smpp 0.5.1 on node (scripts/peers/*.js)
	Perl = "perl" // Net::SMPP on perl (scripts/peers/*.pl)
)

// SMPPVersion is the npm smpp version that scripts/peers/package-lock.json pins.
const SMPPVersion = "0.5.1"

const installHint = "run scripts/install-test-deps.sh"

// Default time limits. RunESME gives the script this long overall; StartSMSC waits this
// long for the listening event; WaitEvent with a zero timeout waits this long.
var (
	RunTimeout    = 90 * time.Second
	StartTimeout  = 20 * time.Second
	EventTimeout  = 30 * time.Second
	StopGraceTime = 3 * time.Second
)

// StartSMSC starts smsc.js (impl Node) or smsc.pl (impl Perl) with args (options of the
// script, e.g. "--dlr-delay", "50"), waits for its listening event and returns it with
// Port set. Unless args has --port, the script picks a free port. The process is stopped at
// the test's cleanup.
func StartSMSC(t testing.TB, impl string, args ...string) *Peer {
	t.Helper()
	p := start(t, impl, "smsc", args)
	evs, ok := p.Await(StartTimeout, func(evs []Event) bool { return len(Filter(evs, "listening")) > 0 })
	if !ok {
		p.Stop()
		t.Fatalf("peers: %s smsc did not start listening: %d events; stderr: %s", impl, len(evs), p.Stderr())
	}
	p.Port = int(Filter(evs, "listening")[0].Int("port"))
	if p.Port <= 0 {
		t.Fatalf("peers: %s smsc printed no port: %v", impl, Filter(evs, "listening")[0])
	}
	return p
}

// Addr returns "127.0.0.1:port" of a started SMSC.
func (p *Peer) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.Port) }

// PortArg returns Port as a string, for an ESME's "--port" argument.
func (p *Peer) PortArg() string { return strconv.Itoa(p.Port) }

// StartESME starts esme.js or esme.pl with args and returns at once; use Wait for the
// result, or WaitEvent to act while it runs. It is stopped at the test's cleanup.
func StartESME(t testing.TB, impl string, args ...string) *Peer {
	t.Helper()
	return start(t, impl, "esme", args)
}

// RunESME runs esme.js (impl Node) or esme.pl (impl Perl) with args until it exits (at most
// RunTimeout) and returns its events and its exit error (an *exec.ExitError inside,
// with the script's stderr in the message) or nil.
func RunESME(t testing.TB, impl string, args ...string) ([]Event, error) {
	t.Helper()
	return StartESME(t, impl, args...).Wait(RunTimeout)
}

// ExitCode returns the exit status inside an error from RunESME or Wait, 0 for nil and
// -1 when the error carries none.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
