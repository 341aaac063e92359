package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The end-to-end tests build smsc-sim and smppcli with plain "go build" (no
// race detector: the 50,000-message bench runs in separate processes) and run
// them as a user would.

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func binaries(t *testing.T) (sim, cli string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "smppcli-e2e")
		if buildErr != nil {
			return
		}
		// The go command in PATH, as for a user building the examples.
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = err
			return
		}
		for _, b := range []struct{ out, pkg string }{{"smsc-sim", "./smsc-sim"}, {"smppcli", "./smppcli"}} {
			cmd := exec.Command(goBin, "build", "-o", filepath.Join(binDir, b.out), b.pkg)
			cmd.Dir = ".." // the examples module
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = &buildError{b.pkg, err, out}
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "smsc-sim"), filepath.Join(binDir, "smppcli")
}

type buildError struct {
	pkg string
	err error
	out []byte
}

func (e *buildError) Error() string {
	return "go build " + e.pkg + ": " + e.err.Error() + "\n" + string(e.out)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// startSim runs smsc-sim and returns its address.
func startSim(t *testing.T, args ...string) string {
	t.Helper()
	simBin, _ := binaries(t)
	cmd := exec.Command(simBin, append([]string{"-listen", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("smsc-sim stderr:\n%s", stderr.String())
		}
	})
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		t.Fatalf("smsc-sim printed nothing; stderr: %s", stderr.String())
	}
	m := regexp.MustCompile(`listening on (\S+)`).FindStringSubmatch(sc.Text())
	if m == nil {
		t.Fatalf("smsc-sim banner %q", sc.Text())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return m[1]
}

// cli runs smppcli and returns its stdout, stderr and error.
func cli(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	_, cliBin := binaries(t)
	cmd := exec.Command(cliBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func TestE2ESendWithReceipt(t *testing.T) {
	addr := startSim(t, "-system-id", "test", "-password", "secret", "-dlr-delay", "50ms")
	out, errOut, err := cli(t, "send", "-addr", addr, "-system-id", "test", "-password", "secret",
		"-from", "1000", "-to", "+254700000001", "-text", "hello from the e2e test", "-dlr")
	if err != nil {
		t.Fatalf("send: %v\n%s%s", err, out, errOut)
	}
	m := regexp.MustCompile(`message_id=(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no message id in %q", out)
	}
	want := "receipt id=" + m[1] + " stat=DELIVRD state=DELIVERED err=000"
	if !strings.Contains(out, want) || !strings.Contains(out, `text="hello from the e2e t"`) {
		t.Errorf("send output %q lacks %q and the text", out, want)
	}

	// query and cancel on the same message.
	out, errOut, err = cli(t, "query", "-addr", addr, "-id", m[1], "-json")
	if err != nil || !strings.Contains(out, `"state":"DELIVERED"`) {
		t.Errorf("query: %v %q %q", err, out, errOut)
	}
	_, errOut, err = cli(t, "cancel", "-addr", addr, "-id", m[1])
	if err == nil || !strings.Contains(errOut, "ESME_RCANCELFAIL") {
		t.Errorf("cancel of a delivered message: %v %q", err, errOut)
	}

	// Clear errors.
	_, errOut, err = cli(t, "send", "-addr", addr, "-password", "wrong", "-to", "1", "-text", "x")
	if err == nil || !strings.Contains(errOut, "bind refused") || !strings.Contains(errOut, "ESME_RINVPASWD") {
		t.Errorf("wrong password: %v %q", err, errOut)
	}
	_, errOut, err = cli(t, "send", "-addr", addr, "-tls", "-to", "1", "-text", "x")
	if err == nil || !strings.Contains(errOut, "TLS mismatch") {
		t.Errorf("TLS against plaintext: %v %q", err, errOut)
	}
	tlsAddr := startSim(t, "-tls-self-signed")
	_, errOut, err = cli(t, "send", "-addr", tlsAddr, "-to", "1", "-text", "x", "-timeout", "2s")
	if err == nil || !strings.Contains(errOut, "TLS port") {
		t.Errorf("plaintext against TLS: %v %q", err, errOut)
	}
	out, errOut, err = cli(t, "send", "-addr", tlsAddr, "-tls", "-insecure-skip-verify", "-to", "1", "-text", "over TLS")
	if err != nil || !strings.Contains(out, "message_id=") {
		t.Errorf("TLS send: %v %q %q", err, out, errOut)
	}
}

func benchProc(t *testing.T, args ...string) benchResult {
	t.Helper()
	out, errOut, err := cli(t, append([]string{"bench", "-json", "-no-progress"}, args...)...)
	var res benchResult
	if jerr := json.Unmarshal([]byte(strings.TrimSpace(out)), &res); jerr != nil {
		t.Fatalf("bench output %q (%v): %v\n%s", out, err, jerr, errOut)
	}
	if err != nil {
		t.Errorf("bench: %v\n%s", err, errOut)
	}
	return res
}

func TestE2EBench(t *testing.T) {
	addr := startSim(t, "-system-id", "test", "-password", "secret")
	const n = 50_000
	res := benchProc(t, "-addr", addr, "-n", "50000", "-binds", "2", "-window", "1000", "-dlr", "-dlr-timeout", "60s")
	if res.Sent != n || res.Answered != n || res.OK != n || res.ReceiptsGot != n || !res.Complete {
		t.Errorf("bench against smsc-sim: %+v", res)
	}
	if res.ReceiptLat == nil || res.ReceiptLat.Count != n || res.SubmitLat.Count != n {
		t.Errorf("latency counts: submit %d, receipts %+v", res.SubmitLat.Count, res.ReceiptLat)
	}
	t.Logf("smsc-sim: %.0f msg/s, %.0f receipts/s, submit p99 %.2f ms", res.Throughput, res.ReceiptsRate, res.SubmitLat.P99)
}
