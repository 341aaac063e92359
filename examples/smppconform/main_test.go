package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/examples/smppconform/conform"
	"github.com/esmsafrica/smpp/smpptest"
)

// TestCasesMarkdownFresh fails when CASES.md is not what -list -markdown
// prints (regenerate with go run ./smppconform -list -markdown).
func TestCasesMarkdownFresh(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-list", "-markdown"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want, err := os.ReadFile("CASES.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatal("CASES.md is stale: run go run ./smppconform -list -markdown > smppconform/CASES.md in examples/")
	}
}

// TestRunOutputs runs a group against smpptest and checks the table, the
// JSON, the JUnit XML and the exit status; then against a server that
// refuses every submission (smpptest with ThrottleEvery 1) the pdu group
// fails and the exit status says so.
func TestRunOutputs(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	dir := t.TempDir()
	js, ju := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	var out, errb bytes.Buffer
	code := run([]string{"-addr", ts.Addr, "-case", "sequence,smsc.pdu.1", "-json", js, "-junit", ju, "-timeout", "2s"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "PASS") || !strings.Contains(out.String(), " passed, 0 failed, ") {
		t.Fatalf("table:\n%s", out.String())
	}
	var r struct{ Passed, Failed int }
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &r); err != nil || r.Passed == 0 || r.Failed != 0 {
		t.Fatalf("json %v: %s", err, b)
	}
	if x, _ := os.ReadFile(ju); !bytes.Contains(x, []byte("<testsuite")) {
		t.Fatalf("junit: %s", x)
	}

	broken := smpptest.NewServer(t, smpptest.Options{ThrottleEvery: 1})
	out.Reset()
	if code := run([]string{"-addr", broken.Addr, "-case", "smsc.pdu.1", "-timeout", "2s"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d against a server that refuses every submission\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "0 passed, 1 failed") {
		t.Fatalf("table:\n%s", out.String())
	}
	if code := run([]string{"-role", "bogus"}, &out, &errb); code != 2 {
		t.Fatalf("usage error exit %d", code)
	}
}

// The ESME role's flags reach the cases: with no ESME connecting within
// -connect-timeout, a case fails (exit 1) and the listener is closed.
func TestRunESMERoleWithoutESME(t *testing.T) {
	var out, errb strings.Builder
	code := run([]string{"-role", "esme", "-addr", "127.0.0.1:0", "-case", "esme.enquire.1", "-connect-timeout", "300ms", "-timeout", "300ms"}, &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "FAIL") {
		t.Fatalf("exit %d, output:\n%s%s\nwant exit 1 with a FAIL", code, out.String(), errb.String())
	}
}

// The prompt driver says what to send and waits for Enter.
func TestPromptDriver(t *testing.T) {
	var out strings.Builder
	d := promptDriver(strings.NewReader("\n"), &out)
	if err := d(context.Background(), conform.DriveLong); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "400 GSM characters") {
		t.Errorf("prompt %q does not say what to send", out.String())
	}
	if err := d(context.Background(), conform.DriveSubmit); err == nil {
		t.Error("no second Enter on the terminal: want an error")
	}
}
