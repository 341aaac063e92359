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
		"-from", "1000", "-to", "+254700000001", "-text", "hello from the e2e test", "-wait-dlr")
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

// TestE2EBenchRecord checks bench -record against what bench printed: one
// line per answered submit_sm (numbered 1..n once each, its status, the id
// of every accepted one) and one per receipt, each receipt for an accepted
// id. The simulator refuses every 500th submission of a connection, so the
// file holds refusals too (not more: the client slows down after each).
func TestE2EBenchRecord(t *testing.T) {
	addr := startSim(t, "-system-id", "test", "-password", "secret", "-queue-full-every", "500", "-dlr-delay", "10ms")
	rec := filepath.Join(t.TempDir(), "record.jsonl")
	const n = 3000
	start := time.Now()
	res := benchProc(t, "-addr", addr, "-n", "3000", "-binds", "2", "-window", "200", "-rate", "20000",
		"-dlr", "-dlr-timeout", "30s", "-dlr-linger", "200ms", "-text", "record {n}", "-record", rec)
	if res.Sent != n || res.Answered != n || !res.Complete || res.Record != rec {
		t.Fatalf("bench: %+v", res)
	}
	refused := res.Errors["ESME_RMSGQFUL"]
	if refused == 0 || res.OK+uint64(refused) != n {
		t.Errorf("bench: ok %d, errors %v: want some ESME_RMSGQFUL and nothing else", res.OK, res.Errors)
	}

	b, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	type line struct {
		Ev     string    `json:"ev"`
		T      time.Time `json:"t"`
		N      int64     `json:"n"`
		Status string    `json:"status"`
		ID     string    `json:"id"`
		Stat   string    `json:"stat"`
	}
	seenN := map[int64]bool{}
	acked := map[string]time.Time{}
	statuses := map[string]int{}
	receipts, stats := 0, map[string]int{}
	var receiptIDs []string
	end := time.Now()
	for i, s := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var l line
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("line %d %q: %v", i+1, s, err)
		}
		if l.T.Before(start) || l.T.After(end) {
			t.Errorf("line %d: time %v is not during the run", i+1, l.T)
		}
		switch l.Ev {
		case "resp":
			if l.N < 1 || l.N > n || seenN[l.N] {
				t.Errorf("line %d: message number %d out of 1..%d or seen before", i+1, l.N, n)
			}
			seenN[l.N] = true
			statuses[l.Status]++
			if (l.Status == "ESME_ROK") != (l.ID != "") {
				t.Errorf("line %d: status %s with id %q", i+1, l.Status, l.ID)
			}
			if l.ID != "" {
				if _, dup := acked[l.ID]; dup {
					t.Errorf("line %d: id %s accepted twice", i+1, l.ID)
				}
				acked[l.ID] = l.T
			}
		case "receipt":
			receipts++
			stats[l.Stat]++
			receiptIDs = append(receiptIDs, l.ID)
		default:
			t.Errorf("line %d: event %q", i+1, l.Ev)
		}
	}
	got := map[string]bool{}
	for _, id := range receiptIDs {
		if _, ok := acked[id]; !ok || got[id] {
			t.Errorf("receipt for %s: not accepted, or a second one", id)
		}
		got[id] = true
	}
	if len(seenN) != n || statuses["ESME_ROK"] != int(res.OK) || statuses["ESME_RMSGQFUL"] != refused || len(acked) != int(res.OK) {
		t.Errorf("record: %d numbers, statuses %v, %d ids; bench printed ok %d, errors %v", len(seenN), statuses, len(acked), res.OK, res.Errors)
	}
	if receipts != int(res.ReceiptsGot) || receipts != len(acked) || stats["DELIVRD"] != receipts || res.Unmatched != 0 {
		t.Errorf("record: %d receipts %v; bench printed %d receipts (%d unmatched) for %d accepted", receipts, stats, res.ReceiptsGot, res.Unmatched, res.OK)
	}
}
