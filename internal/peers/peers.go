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
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// ---------------------------------------------------------------- locating the peers

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error

	perlOnce sync.Once
	perlErr  error
)

// Root returns the directory of the main module (the one holding scripts/peers). It walks
// up from the working directory, so it works from tests in nested modules (examples, bench).
func Root(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		wd, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for dir := wd; ; dir = filepath.Dir(dir) {
			if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "scripts", "peers", "esme.js")) {
				rootDir = dir
				return
			}
			if filepath.Dir(dir) == dir {
				rootErr = fmt.Errorf("no directory above %s holds go.mod and scripts/peers", wd)
				return
			}
		}
	})
	if rootErr != nil {
		t.Fatalf("peers: %v", rootErr)
	}
	return rootDir
}

// ScriptsDir returns the absolute path of scripts/peers.
func ScriptsDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(Root(t), "scripts", "peers")
}

// NodePath returns the node binary after checking that npm smpp is installed in
// scripts/peers/node_modules at the pinned version. It fails the test otherwise.
func NodePath(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node is not on PATH")
	}
	pkg := filepath.Join(ScriptsDir(t), "node_modules", "smpp", "package.json")
	b, err := os.ReadFile(pkg)
	if err != nil {
		missing(t, fmt.Sprintf("npm smpp is not installed (%s is missing)", pkg))
	}
	var meta struct{ Version string }
	if err := json.Unmarshal(b, &meta); err != nil || meta.Version != SMPPVersion {
		missing(t, fmt.Sprintf("%s is version %q, want %s", pkg, meta.Version, SMPPVersion))
	}
	return node
}

// PerlPath returns the perl binary after checking that it loads Net::SMPP and JSON::PP.
// It fails the test otherwise.
func PerlPath(t testing.TB) string {
	t.Helper()
	perl, err := exec.LookPath("perl")
	if err != nil {
		missing(t, "perl is not on PATH")
	}
	perlOnce.Do(func() {
		out, err := exec.Command(perl, "-MNet::SMPP", "-MJSON::PP", "-e1").CombinedOutput()
		if err != nil {
			perlErr = fmt.Errorf("perl cannot load Net::SMPP and JSON::PP: %v: %s", err, bytes.TrimSpace(out))
		}
	})
	if perlErr != nil {
		missing(t, perlErr.Error())
	}
	return perl
}

// Require fails the test unless the peers of impl (Node or Perl) are installed.
func Require(t testing.TB, impl string) {
	t.Helper()
	command(t, impl, "esme")
}

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("peers: %s; CI must %s before the tests", what, installHint)
	}
	t.Fatalf("peers: %s; %s", what, installHint)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// command returns the interpreter and script for role "esme" or "smsc" of impl.
func command(t testing.TB, impl, role string) (string, string) {
	t.Helper()
	switch impl {
	case Node:
		return NodePath(t), filepath.Join(ScriptsDir(t), role+".js")
	case Perl:
		return PerlPath(t), filepath.Join(ScriptsDir(t), role+".pl")
	default:
		t.Fatalf("peers: unknown implementation %q (want %q or %q)", impl, Node, Perl)
		return "", ""
	}
}

// ---------------------------------------------------------------- events

// Event is one JSON line printed by a peer. Numbers are float64 as encoding/json gives
// them; use the accessors.
type Event map[string]any

// Name returns the "event" field.
func (e Event) Name() string { return e.Str("event") }

// Has reports whether key is present and not null.
func (e Event) Has(key string) bool { return e[key] != nil }

// Str returns a string field, or "" when it is absent or not a string.
func (e Event) Str(key string) string {
	s, _ := e[key].(string)
	return s
}

// Int returns a numeric field, or -1 when it is absent or not a number.
func (e Event) Int(key string) int64 {
	f, ok := e[key].(float64)
	if !ok {
		return -1
	}
	return int64(f)
}

// Bool returns a boolean field, false when absent.
func (e Event) Bool(key string) bool {
	b, _ := e[key].(bool)
	return b
}

// Obj returns a nested object (for example deliver_sm's "receipt"), nil when absent.
func (e Event) Obj(key string) Event {
	m, _ := e[key].(map[string]any)
	return m
}

// List returns a list of objects (for example "tlvs" or "replies").
func (e Event) List(key string) []Event {
	l, _ := e[key].([]any)
	out := make([]Event, 0, len(l))
	for _, v := range l {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func (e Event) String() string {
	b, _ := json.Marshal(map[string]any(e))
	return string(b)
}

// Filter returns the events named name (all events when name is "").
func Filter(events []Event, name string) []Event {
	var out []Event
	for _, e := range events {
		if name == "" || e.Name() == name {
			out = append(out, e)
		}
	}
	return out
}

// ---------------------------------------------------------------- processes

// Peer is a running peer process. Its events are collected as they are printed.
type Peer struct {
	Impl   string
	Script string // base name, e.g. "smsc.js"
	// Port is the listening port of an SMSC (0 for an ESME).
	Port int

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr lockedBuffer

	mu      sync.Mutex
	events  []Event
	bad     []string      // stdout lines that were not JSON
	changed chan struct{} // closed and replaced whenever events or exited change
	exited  bool
	exitErr error
	done    chan struct{} // closed when the process has exited and stdout is drained
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func start(t testing.TB, impl, role string, args []string) *Peer {
	t.Helper()
	interp, script := command(t, impl, role)
	cmd := exec.Command(interp, append([]string{script}, args...)...)
	cmd.Dir = filepath.Dir(script)
	setProcessGroup(cmd)
	p := &Peer{Impl: impl, Script: filepath.Base(script), cmd: cmd, changed: make(chan struct{}), done: make(chan struct{})}
	cmd.Stderr = &p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatalf("peers: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("peers: start %s: %v", cmd, err)
	}
	go p.read(stdout)
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			p.dump(t)
		}
	})
	return p
}

func (p *Peer) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Event
		p.mu.Lock()
		if err := json.Unmarshal(line, &e); err != nil || e.Name() == "" {
			p.bad = append(p.bad, string(line))
		} else {
			p.events = append(p.events, e)
		}
		p.notifyLocked()
		p.mu.Unlock()
	}
	err := p.cmd.Wait()
	p.mu.Lock()
	p.exited, p.exitErr = true, err
	p.notifyLocked()
	p.mu.Unlock()
	close(p.done)
}

func (p *Peer) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Peer) dump(t testing.TB) {
	t.Helper()
	evs := p.Events()
	if len(evs) > 60 {
		evs = evs[len(evs)-60:]
	}
	var b strings.Builder
	for _, e := range evs {
		b.WriteString("  " + e.String() + "\n")
	}
	p.mu.Lock()
	for _, l := range p.bad {
		b.WriteString("  (not JSON) " + l + "\n")
	}
	p.mu.Unlock()
	t.Logf("peers: %s %s, last events:\n%sstderr:\n%s", p.Impl, p.Script, b.String(), p.stderr.String())
}

// Events returns a copy of the events printed so far.
func (p *Peer) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.events...)
}

// Stderr returns what the peer wrote to stderr so far.
func (p *Peer) Stderr() string { return p.stderr.String() }

// Exited reports whether the process has ended, and its exit error.
func (p *Peer) Exited() (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited, p.exitErr
}

// Await waits until cond(events so far) returns true, the process exits, or timeout passes
// (EventTimeout when 0). It returns the events and whether cond held.
func (p *Peer) Await(timeout time.Duration, cond func([]Event) bool) ([]Event, bool) {
	if timeout <= 0 {
		timeout = EventTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		evs := append([]Event(nil), p.events...)
		exited, ch := p.exited, p.changed
		p.mu.Unlock()
		if cond(evs) {
			return evs, true
		}
		if exited {
			return evs, false
		}
		select {
		case <-ch:
		case <-timer.C:
			return evs, false
		}
	}
}

// WaitEvent waits for the first event named name for which match returns true (match
// may be nil) and returns it. It fails the test after EventTimeout or if the process exits first.
func (p *Peer) WaitEvent(t testing.TB, name string, match func(Event) bool) Event {
	t.Helper()
	var found Event
	_, ok := p.Await(0, func(evs []Event) bool {
		for _, e := range evs {
			if e.Name() == name && (match == nil || match(e)) {
				found = e
				return true
			}
		}
		return false
	})
	if !ok {
		exited, err := p.Exited()
		t.Fatalf("peers: %s %s: no %q event within %v (exited=%v %v)", p.Impl, p.Script, name, EventTimeout, exited, err)
	}
	return found
}

// WaitEvents waits until n events named name were printed and returns them. It fails the
// test after EventTimeout or if the process exits first.
func (p *Peer) WaitEvents(t testing.TB, name string, n int) []Event {
	t.Helper()
	evs, ok := p.Await(0, func(evs []Event) bool { return len(Filter(evs, name)) >= n })
	if !ok {
		exited, err := p.Exited()
		t.Fatalf("peers: %s %s: %d of %d %q events within %v (exited=%v %v)", p.Impl, p.Script, len(Filter(evs, name)), n, name, EventTimeout, exited, err)
	}
	return Filter(evs, name)[:n]
}

// Send writes v as one JSON line to the peer's stdin (the control commands of smsc.js).
func (p *Peer) Send(t testing.TB, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		t.Fatalf("peers: write to %s: %v", p.Script, err)
	}
}

// Wait waits for the process to exit (at most timeout) and returns all its events and
// its exit error. On timeout the process is killed and an error says so.
func (p *Peer) Wait(timeout time.Duration) ([]Event, error) {
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.Stop()
		return p.Events(), fmt.Errorf("peers: %s %s did not finish within %v; stderr: %s", p.Impl, p.Script, timeout, strings.TrimSpace(p.Stderr()))
	}
	_, err := p.Exited()
	if err != nil {
		err = fmt.Errorf("%s %s: %w; stderr: %s", p.Impl, p.Script, err, strings.TrimSpace(p.Stderr()))
	}
	return p.Events(), err
}

// Stop ends the process and everything it forked: SIGTERM to its process group, SIGKILL
// after StopGraceTime. It is called at the test's cleanup; calling it again is harmless.
func (p *Peer) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.stdin.Close()
	terminate(p.cmd)
	select {
	case <-p.done:
	case <-time.After(StopGraceTime):
		kill(p.cmd)
		<-p.done
	}
}

// ---------------------------------------------------------------- entry points

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
