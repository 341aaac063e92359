// Package kannel runs Kannel (Debian's bearerbox and smsbox, 1.4.5, which
// scripts/install-test-deps.sh installs) as an ESME for tests: bearerbox
// binds as a transceiver to the SMSC under test, and smsbox's sendsms HTTP
// interface is how a test makes it submit. The gateway's tests and
// smppconform's ESME-role tests drive it; this package is the one place
// that writes its configuration and runs its processes.
package kannel

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/internal/freeport"
)

// Paths returns the bearerbox and smsbox programs, or an error that says
// how to install them.
func Paths() (bearerbox, smsbox string, err error) {
	bearerbox, err = exec.LookPath("bearerbox")
	if err != nil {
		bearerbox = "/usr/sbin/bearerbox" // Debian's, outside a user's PATH
	}
	smsbox = filepath.Join(filepath.Dir(bearerbox), "smsbox")
	for _, p := range []string{bearerbox, smsbox} {
		if _, err := os.Stat(p); err != nil {
			return "", "", fmt.Errorf("kannel is not installed (%w): run scripts/install-test-deps.sh", err)
		}
	}
	return bearerbox, smsbox, nil
}

// Config is one bearerbox bound to an SMSC on 127.0.0.1 as a transceiver,
// speaking SMPP 3.4, with an smsbox whose sendsms user is tester/foobar.
// The lines of each slice are added to their configuration group as they
// are ("max-pending-submits = 5").
type Config struct {
	// Port is the SMSC's SMPP port.
	Port string
	// SystemID and Password are the bind's credentials.
	SystemID, Password string
	// Core, SMSC and User are more lines for the core, smsc and
	// sendsms-user groups.
	Core, SMSC, User []string
	// Service is the default sms-service's lines: what Kannel answers an
	// MO message with. None: no answer (max-messages 0), so that only the
	// test's own submissions reach the SMSC.
	Service []string
}

// conf returns the configuration file's text: logs go to dir, and the
// ports Kannel listens on are admin, box (bearerbox to smsbox) and sendsms.
func (c Config) conf(dir, admin, box, sendsms string) string {
	var b strings.Builder
	group := func(name string, lines ...[]string) {
		fmt.Fprintf(&b, "group = %s\n", name)
		for _, ls := range lines {
			for _, l := range ls {
				b.WriteString(l + "\n")
			}
		}
		b.WriteString("\n")
	}
	service := c.Service
	if len(service) == 0 {
		service = []string{"max-messages = 0", `text = ""`}
	}
	group("core", []string{"admin-port = " + admin, "admin-password = secret", "smsbox-port = " + box, "log-level = 1",
		fmt.Sprintf("log-file = %q", filepath.Join(dir, "bearerbox.log")), `box-allow-ip = "127.0.0.1"`, "dlr-storage = internal"}, c.Core)
	group("smsc", []string{"smsc = smpp", "smsc-id = smsc", "host = 127.0.0.1", "port = " + c.Port, "transceiver-mode = true",
		"smsc-username = " + c.SystemID, "smsc-password = " + c.Password, `system-type = ""`, "interface-version = 34"}, c.SMSC)
	group("smsbox", []string{"bearerbox-host = 127.0.0.1", "bearerbox-port = " + box, "sendsms-port = " + sendsms,
		fmt.Sprintf("log-file = %q", filepath.Join(dir, "smsbox.log")), "log-level = 1"})
	group("sendsms-user", []string{"username = tester", "password = foobar"}, c.User)
	group("sms-service", []string{"keyword = default"}, service)
	return b.String()
}

// Kannel is a running bearerbox and smsbox.
type Kannel struct {
	dir     string
	sendsms string // smsbox's sendsms address
	procs   []*exec.Cmd
	once    sync.Once
}

// Start writes the configuration to a folder of the test's and starts
// bearerbox, then smsbox, each once the one before listens. They are
// stopped when the test ends (or by Stop), and killed by the kernel if
// the test binary dies; a failed test logs the end of bearerbox's log.
func Start(t testing.TB, c Config) *Kannel {
	t.Helper()
	bearerbox, smsbox, err := Paths()
	if err != nil {
		t.Fatal(err)
	}
	admin, box, sendsms := freePort(t), freePort(t), freePort(t)
	k := &Kannel{dir: t.TempDir(), sendsms: "127.0.0.1:" + sendsms}
	cf := filepath.Join(k.dir, "kannel.conf")
	if err := os.WriteFile(cf, []byte(c.conf(k.dir, admin, box, sendsms)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.Stop()
		if t.Failed() {
			t.Logf("bearerbox.log (tail):\n%s", k.LogTail(3000))
		}
	})
	k.start(t, bearerbox, cf)
	waitListening(t, "127.0.0.1:"+box)
	k.start(t, smsbox, cf)
	waitListening(t, k.sendsms)
	return k
}

func (k *Kannel) start(t testing.TB, path, conf string) {
	t.Helper()
	cmd := exec.Command(path, conf)
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	k.procs = append(k.procs, cmd)
}

// Stop stops smsbox and bearerbox (SIGTERM, then SIGKILL after 3 s).
func (k *Kannel) Stop() {
	k.once.Do(func() {
		for i := len(k.procs) - 1; i >= 0; i-- {
			stop(k.procs[i], 3*time.Second)
		}
	})
}

func stop(cmd *exec.Cmd, grace time.Duration) {
	done := make(chan struct{})
	go func() {
		cmd.Wait() // its error says only how it ended
		close(done)
	}()
	if cmd.Process.Signal(syscall.SIGTERM) == nil {
		select {
		case <-done:
			return
		case <-time.After(grace):
		}
	}
	cmd.Process.Kill() // already gone if it fails
	<-done
}

// SendURL returns smsbox's sendsms URL for the query, with the sendsms
// user's credentials added ("to", "text" and the like are the caller's).
func (k *Kannel) SendURL(q url.Values) string {
	q2 := url.Values{"username": {"tester"}, "password": {"foobar"}}
	for key, v := range q {
		q2[key] = v
	}
	return "http://" + k.sendsms + "/cgi-bin/sendsms?" + q2.Encode()
}

// Send asks smsbox to send a message (a GET of SendURL) and returns nil
// when smsbox took it (200 or 202). Until bearerbox has bound, smsbox
// refuses or holds requests: callers try again until a deadline.
func (k *Kannel) Send(ctx context.Context, q url.Values) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.SendURL(q), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("kannel sendsms: %s", resp.Status)
	}
	return nil
}

// SendWithin calls Send until it succeeds, ctx ends or d has passed, and
// returns its last error.
func (k *Kannel) SendWithin(ctx context.Context, d time.Duration, q url.Values) error {
	deadline := time.Now().Add(d)
	for {
		err := k.Send(ctx, q)
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// LogTail returns the last n bytes of bearerbox's log.
func (k *Kannel) LogTail(n int) string {
	b, err := os.ReadFile(filepath.Join(k.dir, "bearerbox.log"))
	if err != nil {
		return err.Error()
	}
	return string(b[max(0, len(b)-n):])
}

// freePort returns a loopback port nobody listens on now (package freeport).
func freePort(t testing.TB) string {
	t.Helper()
	return freeport.Port(t)
}

// waitListening waits until something accepts connections on addr.
func waitListening(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
