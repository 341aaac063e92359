package main

// Helpers of the end-to-end tests: the gateway, smppcli and smsc-sim binaries
// (built once per test binary), gateway and simulator processes with their
// addresses parsed from the banners, a Go ESME on the client package that
// records every acknowledged message id and every receipt.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/examples/internal/freeport"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

var (
	binDir   string // set by TestMain
	binsOnce sync.Once
	binsErr  error
)

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "gateway-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// bin returns the path of the gateway, smppcli or smsc-sim binary, building
// the three at the first call (a normal build, without -race).
func bin(t testing.TB, name string) string {
	t.Helper()
	binsOnce.Do(func() {
		cmd := exec.Command("go", "build", "-o", binDir+string(filepath.Separator), ".", "../smppcli", "../smsc-sim")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binsErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binsErr != nil {
		t.Fatal(binsErr)
	}
	return filepath.Join(binDir, name)
}

// lockedBuf is a bytes.Buffer safe for one writer and many readers.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// proc is a started process whose stdout lines are collected.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdout lockedBuf
	stderr lockedBuf
	lines  chan string
	done   chan struct{}
	err    error
}

func startProc(t testing.TB, name string, path string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, lines: make(chan string, 1024), done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	dieWithTest(p.cmd)
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			p.stdout.Write([]byte(line + "\n"))
			select {
			case p.lines <- line:
			default:
			}
		}
		io.Copy(io.Discard, out)
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(10 * time.Second)
		if t.Failed() {
			t.Logf("%s stderr (tail):\n%s", name, tail(p.stderr.String(), 3000))
		}
	})
	return p
}

// stop sends SIGTERM and waits, then kills.
func (p *proc) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// kill9 kills the process with SIGKILL and waits for it.
func (p *proc) kill9() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// gateway is a running gateway process.
type gateway struct {
	*proc
	Addr, PlainAddr, HTTPAddr, SimAddr string
}

var (
	reTLS   = regexp.MustCompile(`SMPP over TLS 1\.3:\s+(\S+)`)
	rePlain = regexp.MustCompile(`SMPP plaintext:\s+(\S+)`)
	reHTTP  = regexp.MustCompile(`status page:\s+http://(\S+?)/`)
	reSim   = regexp.MustCompile(`upstream simulator:\s+(\S+)`)
)

// startGateway runs the gateway binary with args and waits for its banner.
func startGateway(t testing.TB, args ...string) *gateway {
	t.Helper()
	return startGatewayBin(t, bin(t, "gateway"), args...)
}

// startGatewayBin runs the gateway binary at path (a build of its own, such
// as one with -tags nosimulator) with args and waits for its banner.
func startGatewayBin(t testing.TB, path string, args ...string) *gateway {
	t.Helper()
	p := startProc(t, "gateway", path, args...)
	g := &gateway{proc: p}
	deadline := time.After(60 * time.Second)
	for {
		select {
		case line := <-p.lines:
			if m := reTLS.FindStringSubmatch(line); m != nil {
				g.Addr = m[1]
			}
			if m := rePlain.FindStringSubmatch(line); m != nil {
				g.PlainAddr = m[1]
			}
			if m := reHTTP.FindStringSubmatch(line); m != nil {
				g.HTTPAddr = m[1]
			}
			if m := reSim.FindStringSubmatch(line); m != nil {
				g.SimAddr = m[1]
			}
			if strings.Contains(line, "data folder:") {
				if g.Addr == "" {
					t.Fatalf("gateway banner without the TLS address:\n%s", p.stdout.String())
				}
				return g
			}
		case <-p.done:
			t.Fatalf("gateway exited before its banner: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.stdout.String(), tail(p.stderr.String(), 3000))
		case <-deadline:
			t.Fatalf("no gateway banner within 60 s\nstdout:\n%s\nstderr:\n%s", p.stdout.String(), tail(p.stderr.String(), 3000))
		}
	}
}

// startGatewayConfig writes yaml to a file and starts the gateway with it.
func startGatewayConfig(t testing.TB, yaml string) *gateway {
	t.Helper()
	f := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return startGateway(t, "-config", f, "-log-level", "warn")
}

// gwConf is the variable part of a test configuration.
type gwConf struct {
	DataDir             string // default: a new temporary folder
	Listen, Plain, HTTP string // default 127.0.0.1:0
	Accounts            string // YAML list items, indented by 2; default one account test/secret
	MOAccount           string // default "test"
	Upstream            string // an external upstream's address; "" = the embedded simulator (an explicit simulator: section)
	NoDedupe            bool   // the external upstream has no dedupe_tlv (the crash policy without an idempotency key)
	DLRDelay            string // embedded simulator receipt delay, default 50ms
	Window              int    // default 1000
}

func (c gwConf) yaml(t testing.TB) string {
	if c.DataDir == "" {
		c.DataDir = t.TempDir()
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Listen, "127.0.0.1:0")
	def(&c.Plain, "127.0.0.1:0")
	def(&c.HTTP, "127.0.0.1:0")
	def(&c.Accounts, "  - {system_id: test, password: secret, rate: 5000}\n")
	def(&c.MOAccount, "test")
	def(&c.DLRDelay, "50ms")
	if c.Window == 0 {
		c.Window = 1000
	}
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\nplaintext_listen: %q\nhttp_listen: %q\ndata_dir: %q\nwindow: %d\n", c.Listen, c.Plain, c.HTTP, c.DataDir, c.Window)
	b.WriteString("failed_binds: {per_minute: 600, burst: 100}\n")
	b.WriteString("accounts:\n" + c.Accounts)
	if c.Upstream != "" {
		dedupe := ", dedupe_tlv: 0x1501"
		if c.NoDedupe {
			dedupe = ""
		}
		fmt.Fprintf(&b, "upstreams:\n  - {name: op, addrs: [%q], system_id: gateway, password: sim, binds: 2, window: 1000%s}\n", c.Upstream, dedupe)
		b.WriteString("routes:\n  - {prefix: \"\", upstreams: [op]}\nsimulator: null\n")
	} else {
		b.WriteString("upstreams:\n  - {name: sim, system_id: gateway, password: sim, binds: 2, window: 1000, dedupe_tlv: 0x1501}\n")
		b.WriteString("routes:\n  - {prefix: \"\", upstreams: [sim]}\n")
		fmt.Fprintf(&b, "simulator: {listen: \"127.0.0.1:0\", system_id: gateway, password: sim, dlr_delay: %s, dedupe_tlv: 0x1501}\n", c.DLRDelay)
	}
	fmt.Fprintf(&b, "mo_routes:\n  - {prefix: \"\", account: %s}\n", c.MOAccount)
	return b.String()
}

// freePort returns a TCP address on 127.0.0.1 that was free a moment ago,
// outside the ports the kernel picks for connections (package freeport):
// a process the test starts listens there.
func freePort(t testing.TB) string {
	t.Helper()
	return freeport.Addr(t)
}

// simProc is a separate smsc-sim process.
type simProc struct {
	*proc
	Addr string
}

var reSimListen = regexp.MustCompile(`smsc-sim listening on (\S+)`)

// startSim runs smsc-sim on addr with the dedupe key the gateway sends and a
// journal of every accepted submission and acknowledged receipt.
func startSim(t testing.TB, addr, journal string, extra ...string) *simProc {
	t.Helper()
	args := append([]string{"-listen", addr, "-system-id", "gateway", "-password", "sim",
		"-dedupe-tlv", "0x1501", "-journal", journal, "-id-format", "uuid", "-dlr-delay", "100ms",
		"-log-level", "warn"}, extra...)
	p := startProc(t, "smsc-sim", bin(t, "smsc-sim"), args...)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line := <-p.lines:
			if m := reSimListen.FindStringSubmatch(line); m != nil {
				return &simProc{proc: p, Addr: m[1]}
			}
		case <-p.done:
			t.Fatalf("smsc-sim exited: %v\n%s", p.err, p.stderr.String())
		case <-deadline:
			t.Fatalf("smsc-sim: no banner within 30 s")
		}
	}
}

// journalEntry is one line of smsc-sim -journal.
type journalEntry struct {
	Ev   string    `json:"ev"`
	T    time.Time `json:"t"`
	Key  string    `json:"key"`
	ID   string    `json:"id"`
	Dup  bool      `json:"dup"`
	Text string    `json:"text"` // of a submission
	Stat string    `json:"stat"` // of a receipt
}

func readJournal(t testing.TB, path string) []journalEntry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []journalEntry
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		var e journalEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("journal line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

// ---------------------------------------------------------------- a Go ESME

// esme is an ESME on the client package that records what it was told.
type esme struct {
	c *client.Client

	mu       sync.Mutex
	sentAt   map[string]time.Time // acked id -> when its submit_sm left
	acked    []string
	statuses map[string]int // submit_sm_resp status (or error) -> count
	receipts map[string][]*pdu.Receipt
	recvAt   map[string]time.Time
	recvOn   map[string][]*session.Session // the bind each receipt came on
	changed  chan struct{}
}

type esmeOpts struct {
	addr     string
	tls      bool
	systemID string
	password string
	mode     client.Mode
	binds    int
	window   int
}

func newESME(t testing.TB, o esmeOpts) *esme {
	t.Helper()
	e := &esme{sentAt: map[string]time.Time{}, statuses: map[string]int{}, receipts: map[string][]*pdu.Receipt{},
		recvAt: map[string]time.Time{}, recvOn: map[string][]*session.Session{}, changed: make(chan struct{})}
	if o.window == 0 {
		o.window = 1000
	}
	cfg := client.Config{
		SystemID: o.systemID, Password: o.password, Mode: o.mode,
		Session:    session.Config{Window: o.window, ResponseTimeout: 20 * time.Second},
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond,
		Spread: true,
		Handler: client.HandlerFunc(func(ctx context.Context, d *client.Delivery) error {
			return e.record(d)
		}),
		Logger: quietLogger(),
	}
	if o.tls {
		cfg.TLS = &tls.Config{InsecureSkipVerify: true}
	}
	for i := 1; i < o.binds; i++ {
		cfg.Endpoints = append(cfg.Endpoints, client.Endpoint{Addr: o.addr})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, o.addr, cfg)
	if err != nil {
		t.Fatalf("ESME bind to %s: %v", o.addr, err)
	}
	e.c = c
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Close(ctx)
	})
	return e
}

// record keeps a receipt: when and on which bind it came.
func (e *esme) record(d *client.Delivery) error {
	if d.Receipt == nil {
		return nil
	}
	r := *d.Receipt
	r.ID, r.TextID, r.Stat = strings.Clone(r.ID), strings.Clone(r.TextID), strings.Clone(r.Stat)
	now := time.Now()
	e.mu.Lock()
	e.receipts[r.ID] = append(e.receipts[r.ID], &r)
	e.recvOn[r.ID] = append(e.recvOn[r.ID], d.Session)
	if _, ok := e.recvAt[r.ID]; !ok {
		e.recvAt[r.ID] = now
	}
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
	return nil
}

// submit sends one submit_sm with a receipt requested and records the answer.
func (e *esme) submit(ctx context.Context, text string, done func()) {
	sm := &pdu.SubmitSM{SourceAddr: "1000", DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "254700000001",
		RegisteredDelivery: 1, ShortMessage: []byte(text)}
	at := time.Now()
	e.c.SubmitAsync(ctx, sm).OnDone(func(r *pdu.SubmitSMResp, err error) {
		e.mu.Lock()
		if err == nil {
			e.sentAt[r.MessageID] = at
			e.acked = append(e.acked, r.MessageID)
			e.statuses["ESME_ROK"]++
		} else {
			var st pdu.Status
			if errors.As(err, &st) {
				e.statuses[st.String()]++
			} else {
				e.statuses["error"]++
			}
		}
		e.mu.Unlock()
		if done != nil {
			done()
		}
	})
}

// waitReceipts waits until every acked id has a receipt, or timeout; it
// returns the ids still without one.
func (e *esme) waitReceipts(timeout time.Duration) []string {
	deadline := time.After(timeout)
	for {
		e.mu.Lock()
		var missing []string
		for _, id := range e.acked {
			if len(e.receipts[id]) == 0 {
				missing = append(missing, id)
			}
		}
		ch := e.changed
		e.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			sort.Strings(missing)
			return missing
		}
	}
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
