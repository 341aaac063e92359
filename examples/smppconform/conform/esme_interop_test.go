//go:build interop

package conform

// The ESME cases against third-party ESMEs: the tool is the SMSC and the
// peer binds to it. Each peer declares what it can do (peerProfile: its
// script prints it, or the test that writes its configuration states it),
// and the harness starts a fresh peer process for each unit of cases: the
// whole run, split around the cases after which the peer cannot go on.
//
// Each expected failure was checked by hand against the spec notes
// (/work/shared/spec, the files CASES.md names); a test fails when a case
// fails that is not listed, or a listed one no longer fails, so that the
// published table (README.md, Results) is looked at again.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/internal/peers"
)

// peerInstance is one running peer process.
type peerInstance struct {
	// drive makes it send what a case asks for (DriveSubmit, ...).
	drive func(kind string) error
	// stop ends the process and whatever the instance started.
	stop func()
}

// esmePeer is a third-party ESME under test.
type esmePeer struct {
	name    string
	profile peerProfile
	// start starts one instance that binds to addr.
	start func(t *testing.T, addr string) *peerInstance
	// expected are its failures, by case id, each with the reason.
	expected map[string]string
}

// runESMEPeer plays every ESME case against p, one peer process per unit
// (peerProfile.units), and checks the failures against p.expected. Each
// unit listens on a port of its own, so that no connection of an earlier
// peer process reaches it.
func runESMEPeer(t *testing.T, p esmePeer) {
	cfg := &Config{SystemID: "conform", Password: "secret", Profile: p.profile.profile(),
		Timeout: 2 * time.Second, CaseTimeout: 40 * time.Second}
	var pass, fail, skip int
	failed := map[string]bool{}
	start := time.Now()
	for _, unit := range p.profile.units(Cases(ESME)) {
		if allSkipped(cfg.Profile, unit) {
			for _, r := range Run(context.Background(), cfg, unit) {
				t.Logf("%-5s %-18s %s", r.Status, r.Case.ID, r.Reason)
				skip++
			}
			continue
		}
		ln := listen(t)
		cfg.Addr = ln.Addr().String()
		in := p.start(t, cfg.Addr)
		cfg.ESME = &ESMEOptions{Listener: ln, Window: p.profile.Window, ConnectTimeout: 10 * time.Second,
			Driver: func(_ context.Context, kind string) error { return in.drive(kind) }}
		rs := Run(context.Background(), cfg, unit)
		cfg.ESME.Close()
		for _, r := range rs {
			t.Logf("%-5s %-18s %5.1fs %s", r.Status, r.Case.ID, r.Duration.Seconds(), r.Reason)
			switch r.Status {
			case Pass:
				pass++
			case Skip:
				skip++
			case Fail:
				fail++
				failed[r.Case.ID] = true
				if p.expected[r.Case.ID] == "" {
					t.Errorf("FAIL %s (%s) %s: %s\n%s", r.Case.ID, r.Case.Section, r.Case.Title, r.Reason, strings.Join(r.Log, "\n"))
				}
			}
		}
		in.stop() // after the failures are reported: it may log what the peer logged
	}
	var gone []string
	for id := range p.expected {
		if !failed[id] {
			gone = append(gone, id)
		}
	}
	sort.Strings(gone)
	for _, id := range gone {
		t.Errorf("%s no longer fails against %s: take it out of the expected failures and the README (%s)", id, p.name, p.expected[id])
	}
	t.Logf("%s: %d passed, %d failed, %d skipped in %v", p.name, pass, fail, skip, time.Since(start).Round(time.Second))
}

// startProc starts a peer process that dies with the test binary, and
// returns its stop function: SIGKILL (a peer keeps no state worth a clean
// shutdown) and wait.
func startProc(t *testing.T, cmd *exec.Cmd) func() {
	t.Helper()
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(stop)
	return stop
}

// nodeSMPPESMEFailures are node-smpp 0.5.1's deviations as an ESME (its
// lib/smpp.js and lib/pdu.js, under testdata/esme_node.js).
var nodeSMPPESMEFailures = map[string]string{
	// fields §9: 0x34 is 3.4; 0x50 is SMPP 5.0. node-smpp's bind defaults
	// to interface_version 0x50 (defs.js) unless the application passes
	// 0x34, while it speaks 3.4.
	"esme.bind.3": "binds with interface_version 0x50 by default (fields §9)",
}

// TestESMENodeSMPP plays the ESME cases against node-smpp 0.5.1's client
// (testdata/esme_node.js, an ordinary application on it, which declares
// its profile).
func TestESMENodeSMPP(t *testing.T) {
	t.Parallel()
	node := peers.NodePath(t)
	script := filepath.Join("..", "testdata", "esme_node.js")
	modules := filepath.Join(peers.ScriptsDir(t), "node_modules")
	pc := exec.Command(node, script, "--profile")
	pc.Env = append(os.Environ(), "NODE_PATH="+modules)
	prof, err := pc.Output()
	var decl struct{ Profile *peerProfile }
	if err != nil || json.Unmarshal(prof, &decl) != nil || decl.Profile == nil {
		t.Fatalf("esme_node.js --profile: %v %q", err, prof)
	}
	runESMEPeer(t, esmePeer{
		name:     "node-smpp 0.5.1",
		profile:  *decl.Profile,
		expected: nodeSMPPESMEFailures,
		start: func(t *testing.T, addr string) *peerInstance {
			host, port, _ := net.SplitHostPort(addr)
			cmd := exec.Command(node, script, host, port, "conform", "secret")
			cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stop := startProc(t, cmd)
			var wmu sync.Mutex
			return &peerInstance{
				drive: func(kind string) error {
					wmu.Lock()
					defer wmu.Unlock()
					_, err := fmt.Fprintln(stdin, kind)
					return err
				},
				stop: func() {
					stdin.Close()
					stop()
					if t.Failed() && stderr.Len() > 0 {
						t.Logf("esme_node.js stderr:\n%s", stderr.String())
					}
				},
			}
		},
	})
}
