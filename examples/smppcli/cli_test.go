package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/internal/certgen"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/smpptest"
)

// The tests below run the commands in process (run, and exitCode for what
// main would exit with) against smpptest servers, except where the process
// matters (the exit status itself, output redirected to files).

// runCLI runs smppcli in process and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, args, &stdout, &stderr)
	if err != nil {
		stderr.WriteString("smppcli: " + err.Error() + "\n")
	}
	return stdout.String(), stderr.String(), exitCode(err)
}

func wantCode(t *testing.T, what string, code, want int, stdout, stderr string) {
	t.Helper()
	if code != want {
		t.Errorf("%s: exit code %d, want %d\nstdout: %s\nstderr: %s", what, code, want, stdout, stderr)
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentAddr accepts connections and never answers (a bind that times out).
func silentAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

func TestExitCodes(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{Credentials: map[string]string{"test": "secret"}})
	refusing := smpptest.NewServer(t, smpptest.Options{Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		w.Respond(nil, pdu.ESME_RSUBMITFAIL)
	})})
	holding := smpptest.NewServer(t, smpptest.Options{Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		w.Hold() // never answered
	})})
	cases := []struct {
		name string
		args []string
		want int
		msg  string // in stderr
	}{
		{"success", []string{"send", "-addr", ts.Addr, "-to", "1", "-text", "hi"}, exitOK, ""},
		{"no command", nil, exitUsage, "usage:"},
		{"unknown command", []string{"sned"}, exitUsage, `unknown command "sned"`},
		{"unknown flag", []string{"send", "-nope"}, exitUsage, "flag provided but not defined"},
		{"missing -to", []string{"send", "-addr", ts.Addr, "-text", "hi"}, exitUsage, "-to is required"},
		{"bad -bind", []string{"query", "-addr", ts.Addr, "-id", "1", "-bind", "xx"}, exitUsage, "-bind"},
		{"-h", []string{"send", "-h"}, exitOK, "-wait-dlr"},
		{"help", []string{"help"}, exitOK, ""},
		{"connection refused", []string{"send", "-addr", closedAddr(t), "-to", "1", "-text", "hi"}, exitConnection, "connection refused"},
		{"unresolvable host", []string{"send", "-addr", "no-such-host.invalid:2775", "-to", "1", "-text", "hi", "-timeout", "3s"}, exitConnection, "no-such-host"},
		{"bind refused", []string{"send", "-addr", ts.Addr, "-password", "wrong", "-to", "1", "-text", "hi"}, exitBind, "ESME_RINVPASWD"},
		{"submit refused", []string{"send", "-addr", refusing.Addr, "-to", "1", "-text", "hi"}, exitRefused, "ESME_RSUBMITFAIL"},
		{"query refused", []string{"query", "-addr", ts.Addr, "-id", "404"}, exitRefused, "ESME_RINVMSGID"},
		{"response timeout", []string{"send", "-addr", holding.Addr, "-to", "1", "-text", "hi", "-timeout", "300ms"}, exitTimeout, "no response within"},
		{"bind timeout", []string{"send", "-addr", silentAddr(t), "-to", "1", "-text", "hi", "-timeout", "300ms"}, exitTimeout, "timed out"},
		{"receipt timeout", []string{"send", "-addr", ts.Addr, "-to", "1", "-text", "hi", "-wait-dlr", "-dlr-timeout", "200ms"}, exitTimeout, "no receipt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tc.args...)
			wantCode(t, tc.name, code, tc.want, out, errOut)
			if !strings.Contains(out+errOut, tc.msg) {
				t.Errorf("%s: output lacks %q\nstdout: %s\nstderr: %s", tc.name, tc.msg, out, errOut)
			}
		})
	}
}

// TestExitCodesOfTheProcess checks what the binary exits with, and that the
// codes are documented in the usage text.
func TestExitCodesOfTheProcess(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{Credentials: map[string]string{"test": "secret"}})
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"send", "-addr", ts.Addr, "-to", "1", "-text", "hi"}, exitOK},
		{[]string{"send", "-to"}, exitUsage},
		{[]string{"send", "-addr", closedAddr(t), "-to", "1", "-text", "hi"}, exitConnection},
		{[]string{"send", "-addr", ts.Addr, "-password", "wrong", "-to", "1", "-text", "hi"}, exitBind},
		{[]string{"cancel", "-addr", ts.Addr, "-id", "1"}, exitRefused},
	} {
		out, errOut, err := cli(t, tc.args...)
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		wantCode(t, strings.Join(tc.args, " "), code, tc.want, out, errOut)
	}
	out, _, _ := runCLI(t, "help")
	for _, want := range []string{"exit codes:", "2  usage", "3  connection or TLS", "4  bind refused", "5  request refused", "6  timeout"} {
		if !strings.Contains(out, want) {
			t.Errorf("usage text lacks %q:\n%s", want, out)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 2 |", "| 3 |", "| 4 |", "| 5 |", "| 6 |", "SMPP_PASSWORD", "-fingerprint", "-ca FILE", "-wait-dlr"} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("examples/README.md lacks %q", want)
		}
	}
}

func TestTLSTrust(t *testing.T) {
	ts := smpptest.NewTLSServer(t, smpptest.Options{})
	cert, _, err := smpptest.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile := filepath.Join(dir, "server.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	other, err := certgen.New("other", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(dir, "other-ca.pem")
	if err := os.WriteFile(otherCA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.CA}), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	gatewayStyle := fingerprintString(sum[:]) // AB:CD:... as examples/gateway prints it
	simStyle := hex.EncodeToString(sum[:])    // abcd... as smsc-sim prints it
	wrong := sha256.Sum256([]byte("another certificate"))

	send := func(extra ...string) (string, string, int) {
		return runCLI(t, append([]string{"send", "-addr", ts.Addr, "-to", "1", "-text", "over TLS"}, extra...)...)
	}
	for _, tc := range []struct {
		name string
		args []string
		want int
		msg  string
	}{
		{"system roots only", []string{"-tls"}, exitConnection, "-ca FILE"},
		{"-ca", []string{"-ca", caFile}, exitOK, "message_id="},
		{"-ca of another CA", []string{"-ca", otherCA}, exitConnection, "not trusted"},
		{"-ca missing file", []string{"-ca", filepath.Join(dir, "none.pem")}, exitUsage, "-ca"},
		{"-fingerprint as the gateway prints it", []string{"-fingerprint", gatewayStyle}, exitOK, "message_id="},
		{"-fingerprint as smsc-sim prints it", []string{"-tls", "-fingerprint", simStyle}, exitOK, "message_id="},
		{"-ca and -fingerprint", []string{"-ca", caFile, "-fingerprint", gatewayStyle}, exitOK, "message_id="},
		{"wrong -fingerprint", []string{"-fingerprint", hex.EncodeToString(wrong[:])}, exitConnection, "is not the pinned " + fingerprintString(wrong[:])},
		{"wrong -fingerprint with -insecure-skip-verify", []string{"-insecure-skip-verify", "-fingerprint", hex.EncodeToString(wrong[:])}, exitConnection, "not the pinned"},
		{"malformed -fingerprint", []string{"-fingerprint", "12:34"}, exitUsage, "not a SHA-256 fingerprint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := send(tc.args...)
			wantCode(t, tc.name, code, tc.want, out, errOut)
			if !strings.Contains(out+errOut, tc.msg) {
				t.Errorf("%s: output lacks %q\nstdout: %s\nstderr: %s", tc.name, tc.msg, out, errOut)
			}
		})
	}
}

func TestPasswordFromEnvironment(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{Credentials: map[string]string{"test": "from-env"}})
	t.Setenv(passwordEnv, "from-env")
	out, errOut, code := runCLI(t, "send", "-addr", ts.Addr, "-to", "1", "-text", "hi")
	wantCode(t, "password from $SMPP_PASSWORD", code, exitOK, out, errOut)
	// -password wins over the environment.
	out, errOut, code = runCLI(t, "send", "-addr", ts.Addr, "-password", "wrong", "-to", "1", "-text", "hi")
	wantCode(t, "-password over $SMPP_PASSWORD", code, exitBind, out, errOut)
	binds := ts.Binds()
	if len(binds) != 2 || binds[0].Request.Password != "from-env" || binds[1].Request.Password != "wrong" {
		t.Errorf("binds: %+v", binds)
	}
	_, errOut, _ = runCLI(t, "send", "-h")
	if !strings.Contains(errOut, "$SMPP_PASSWORD") {
		t.Errorf("send -h does not mention $SMPP_PASSWORD:\n%s", errOut)
	}
}

// TestNoProgressBarIntoFiles runs bench with stdout and stderr redirected to
// files: no progress bar (carriage returns) in either, and the -json output
// is one JSON object.
func TestNoProgressBarIntoFiles(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	_, cliBin := binaries(t)
	dir := t.TempDir()
	for _, json2 := range []bool{false, true} {
		outF, err := os.Create(filepath.Join(dir, "out"))
		if err != nil {
			t.Fatal(err)
		}
		errF, err := os.Create(filepath.Join(dir, "err"))
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"bench", "-addr", ts.Addr, "-n", "3000", "-rate", "6000"}
		if json2 {
			args = append(args, "-json")
		}
		cmd := exec.Command(cliBin, args...)
		cmd.Stdout, cmd.Stderr = outF, errF
		err = cmd.Run()
		outF.Close()
		errF.Close()
		out, _ := os.ReadFile(outF.Name())
		errOut, _ := os.ReadFile(errF.Name())
		if err != nil {
			t.Fatalf("bench: %v\n%s%s", err, out, errOut)
		}
		if bytes.ContainsRune(out, '\r') || bytes.ContainsRune(errOut, '\r') || len(errOut) != 0 {
			t.Errorf("progress output into files (json %v):\nstdout %q\nstderr %q", json2, out, errOut)
		}
		if json2 {
			var res benchResult
			if err := json.Unmarshal(out, &res); err != nil || res.OK != 3000 {
				t.Errorf("-json output %q: %v", out, err)
			}
		}
	}
}

func TestHelpTexts(t *testing.T) {
	_, errOut, code := runCLI(t, "bench", "-h")
	wantCode(t, "bench -h", code, exitOK, "", errOut)
	rate := flagHelp(errOut, "rate")
	if !strings.Contains(rate, "in total") || strings.Contains(rate, "per bind") {
		t.Errorf("bench -h, -rate: %q", rate)
	}
	_, errOut, _ = runCLI(t, "send", "-h")
	dc := flagHelp(errOut, "dc")
	if strings.Count(dc, "default") != 1 || !strings.Contains(dc, "(default 4)") {
		t.Errorf("send -h, -dc: %q", dc)
	}
	for _, f := range []string{"dlr", "wait-dlr", "ca", "fingerprint"} {
		if flagHelp(errOut, f) == "" {
			t.Errorf("send -h lacks -%s:\n%s", f, errOut)
		}
	}
	if !strings.Contains(errOut, "exit codes:") {
		t.Errorf("send -h lacks the exit codes:\n%s", errOut)
	}
	// -dc applies to -hex only.
	ts := smpptest.NewServer(t, smpptest.Options{})
	out, errOut, code := runCLI(t, "send", "-addr", ts.Addr, "-to", "1", "-text", "hi", "-dc", "8")
	wantCode(t, "-dc with -text", code, exitUsage, out, errOut)
	out, errOut, code = runCLI(t, "send", "-addr", ts.Addr, "-to", "1", "-hex", "0102")
	wantCode(t, "-hex", code, exitOK, out, errOut)
	subs := ts.Submits()
	if len(subs) != 1 || subs[0].PDU.(*pdu.SubmitSM).DataCoding != 4 {
		t.Errorf("-hex without -dc: %+v", subs)
	}
}

// flagHelp is the help of one flag in a PrintDefaults text.
func flagHelp(help, name string) string {
	m := regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(name) + `\b.*\n(\s{4,}.*\n)*`).FindString(help)
	return m
}

func TestSendDLR(t *testing.T) {
	const delay = 1500 * time.Millisecond
	ts := smpptest.NewServer(t, smpptest.Options{Receipts: true, ReceiptDelay: delay})

	// -dlr: asks for a receipt, returns once submit_sm_resp is in.
	start := time.Now()
	out, errOut, code := runCLI(t, "send", "-addr", ts.Addr, "-to", "1", "-text", "hi", "-dlr")
	took := time.Since(start)
	wantCode(t, "send -dlr", code, exitOK, out, errOut)
	if took >= delay {
		t.Errorf("send -dlr took %s: it waited for the receipt (sent after %s)", took, delay)
	}
	if strings.Contains(out, "receipt") || !strings.Contains(out, "message_id=") {
		t.Errorf("send -dlr printed %q", out)
	}
	subs := ts.Submits()
	if len(subs) != 1 || subs[0].PDU.(*pdu.SubmitSM).RegisteredDelivery&1 == 0 {
		t.Fatalf("send -dlr: submits %+v, want one with registered_delivery 1", subs)
	}

	// -wait-dlr: waits for the receipt on its own (transceiver) bind.
	start = time.Now()
	out, errOut, code = runCLI(t, "send", "-addr", ts.Addr, "-to", "1", "-text", "hi", "-wait-dlr", "-json")
	took = time.Since(start)
	wantCode(t, "send -wait-dlr", code, exitOK, out, errOut)
	subs = ts.Submits()
	if len(subs) != 2 {
		t.Fatalf("submits: %+v", subs)
	}
	id := subs[1].MessageID
	if took < delay || !strings.Contains(out, `"type":"receipt","id":"`+id+`"`) {
		t.Errorf("send -wait-dlr took %s and printed %q: want the receipt of %s after %s", took, out, id, delay)
	}
	if binds := ts.Binds(); len(binds) != 2 || binds[1].Request.ID != pdu.BindTransceiverID {
		t.Errorf("send -wait-dlr bound %+v, want a transceiver", binds)
	}

	out, errOut, code = runCLI(t, "send", "-addr", ts.Addr, "-to", "1", "-text", "hi", "-wait-dlr", "-bind", "tx")
	wantCode(t, "send -wait-dlr -bind tx", code, exitUsage, out, errOut)
}
