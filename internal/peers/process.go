package peers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

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
