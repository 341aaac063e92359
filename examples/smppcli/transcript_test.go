package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The session transcript in examples/README.md is written by this test from
// the current build: smsc-sim and smppcli run as a user runs them, and what
// they print goes into the README between the transcript markers.
//
//	cd examples && go test ./smppcli -run TestREADMETranscript -update
//
// Without -update the test runs the same session and fails when the README's
// transcript no longer matches what the build prints (numbers, ids, dates
// and fingerprints aside), so that the README cannot drift from the code.

var update = flag.Bool("update", false, "rewrite the transcript in examples/README.md from the current build")

const (
	readmePath      = "../README.md"
	transcriptBegin = "<!-- transcript: written by `go test ./smppcli -run TestREADMETranscript -update` (in examples/); do not edit by hand -->"
	transcriptEnd   = "<!-- end of transcript -->"

	// The addresses the transcript shows; the session runs on free ports.
	showAddr    = "127.0.0.1:2776"
	showTLSAddr = "127.0.0.1:2777"
	showHTTP    = "127.0.0.1:8080"
)

// transcript records commands and what they print.
type transcript struct {
	t       *testing.T
	buf     bytes.Buffer
	replace *strings.Replacer // actual addresses → shown ones
	actual  *strings.Replacer // shown addresses → actual ones
}

func (s *transcript) show(text string) { s.buf.WriteString(s.replace.Replace(text)) }

// quote writes an argument as a shell would need it.
func quote(a string) string {
	if a != "" && regexp.MustCompile(`^[A-Za-z0-9_./:+=,@-]+$`).MatchString(a) {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

func shellLine(name string, args []string) string {
	parts := []string{name}
	for _, a := range args {
		parts = append(parts, quote(a))
	}
	return strings.Join(parts, " ")
}

// cli runs smppcli with args (shown addresses) and records its output; with
// echoCode the exit code is shown as a script sees it.
func (s *transcript) cli(echoCode bool, args ...string) string {
	s.t.Helper()
	_, bin := binaries(s.t)
	line := "$ " + shellLine("smppcli", args)
	if echoCode {
		line += `; echo "exit code $?"`
	}
	s.show(line + "\n")
	real := make([]string, len(args))
	for i, a := range args {
		real[i] = s.actual.Replace(a)
	}
	cmd := exec.Command(bin, real...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	s.show(out.String())
	if echoCode {
		s.show(fmt.Sprintf("exit code %d\n", code))
	} else if code != 0 {
		s.t.Fatalf("%s: exit code %d\n%s", line, code, out.String())
	}
	return out.String()
}

// sim starts smsc-sim with args, records its banner and returns the address
// it listens on.
func (s *transcript) sim(realArgs []string, bannerLines int) string {
	s.t.Helper()
	simBin, _ := binaries(s.t)
	cmd := exec.Command(simBin, realArgs...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	sc := bufio.NewScanner(stdout)
	var banner []string
	for len(banner) < bannerLines && sc.Scan() {
		banner = append(banner, sc.Text())
	}
	go io.Copy(io.Discard, stdout)
	m := regexp.MustCompile(`listening on (\S+)`).FindStringSubmatch(strings.Join(banner, "\n"))
	if m == nil {
		s.t.Fatalf("smsc-sim banner %q", banner)
	}
	return m[1] + "\n" + strings.Join(banner, "\n") + "\n"
}

func runSession(t *testing.T) string {
	httpAddr := closedAddr(t)
	simArgs := []string{"-system-id", "test", "-password", "secret", "-dlr-delay", "500ms",
		"-outcome-prefix", "254700000002=UNDELIV:001", "-log-level", "warn"}
	s := &transcript{t: t}
	realArgs := append([]string{"-listen", "127.0.0.1:0"}, simArgs...)
	realArgs = append(realArgs, "-http", httpAddr)
	first := s.sim(realArgs, 4)
	addr, banner, _ := strings.Cut(first, "\n")
	tlsRes := s.sim([]string{"-listen", "127.0.0.1:0", "-tls-self-signed", "-system-id", "test", "-password", "secret", "-log-level", "warn"}, 4)
	tlsAddr, tlsBanner, _ := strings.Cut(tlsRes, "\n")
	s.replace = strings.NewReplacer(addr, showAddr, tlsAddr, showTLSAddr, httpAddr, showHTTP)
	s.actual = strings.NewReplacer(showAddr, addr, showTLSAddr, tlsAddr, showHTTP, httpAddr)

	s.show("$ " + shellLine("smsc-sim", append(append([]string{"-listen", showAddr}, simArgs...), "-http", showHTTP)) + " &\n")
	s.show(banner)
	s.show("\n")
	s.show("$ export SMPP_PASSWORD=secret   # -password would show in ps\n")
	t.Setenv(passwordEnv, "secret")
	s.cli(false, "send", "-addr", showAddr, "-from", "1000", "-to", "+254700000002", "-text", "Hello from smppcli", "-wait-dlr")
	s.show("\n")
	long := strings.Repeat("Long message ", 20)
	s.cli(false, "send", "-addr", showAddr, "-to", "+254700000001", "-text", long, "-wait-dlr", "-json")
	s.show("\n")
	out := s.cli(false, "send", "-addr", showAddr, "-to", "+254700000002", "-text", "Receipt to a listen", "-dlr")
	s.show("\n")
	id := regexp.MustCompile(`message_id=(\S+)`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no message id in %q", out)
	}
	s.cli(false, "query", "-addr", showAddr, "-id", id[1])
	s.show("\n")
	time.Sleep(700 * time.Millisecond) // past the receipt time: final
	s.cli(true, "cancel", "-addr", showAddr, "-id", id[1])
	s.show("\n")
	s.cli(true, "send", "-addr", showAddr, "-password", "wrong", "-to", "2000", "-text", "hi")
	s.show("\n")
	s.cli(true, "send", "-addr", showAddr, "-tls", "-to", "2000", "-text", "hi")
	s.show("\n")

	// TLS: the fingerprint the simulator printed, pinned.
	s.show("$ " + shellLine("smsc-sim", []string{"-listen", showTLSAddr, "-tls-self-signed", "-system-id", "test", "-password", "secret", "-log-level", "warn"}) + " &\n")
	s.show(tlsBanner)
	s.show("\n")
	fp := regexp.MustCompile(`SHA-256: (\S+)`).FindStringSubmatch(tlsBanner)
	if fp == nil {
		t.Fatalf("no fingerprint in %q", tlsBanner)
	}
	s.cli(true, "send", "-addr", showTLSAddr, "-tls", "-to", "2000", "-text", "hi")
	s.show("\n")
	s.cli(false, "send", "-addr", showTLSAddr, "-fingerprint", fp[1], "-to", "2000", "-text", "pinned")
	s.show("\n")

	// listen in the background, MO messages through the simulator's HTTP API.
	_, bin := binaries(t)
	listenArgs := []string{"listen", "-addr", showAddr, "-bind", "rx", "-count", "3"}
	s.show("$ " + shellLine("smppcli", listenArgs) + " &\n")
	real := make([]string, len(listenArgs))
	for i, a := range listenArgs {
		real[i] = s.actual.Replace(a)
	}
	lcmd := exec.Command(bin, real...)
	lout, err := lcmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	lerr, err := lcmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := lcmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer lcmd.Process.Kill()
	bound, err := bufio.NewReader(lerr).ReadString('\n')
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s.show(bound)
	lines := bufio.NewScanner(lout)
	next := func() string {
		if !lines.Scan() {
			t.Fatal("listen ended early")
		}
		return lines.Text() + "\n"
	}
	// The receipt of the -dlr send above waited at the simulator for a receiver.
	s.show(next())
	for _, mo := range []struct{ shown, text string }{
		{`-d text="Ping from a handset"`, "Ping from a handset"},
		{`--data-urlencode text="$(printf 'Ünïcödé long MO %.0s' {1..6})"`, strings.Repeat("Ünïcödé long MO ", 6)},
	} {
		s.show(fmt.Sprintf("$ curl -s -d from=254711111111 -d to=1000 %s http://%s/mo\n", mo.shown, showHTTP))
		resp, err := http.PostForm("http://"+httpAddr+"/mo", url.Values{"from": {"254711111111"}, "to": {"1000"}, "text": {mo.text}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		s.show(string(body))
		if !bytes.HasSuffix(body, []byte("\n")) {
			s.show("\n")
		}
		s.show(next())
	}
	if err := lcmd.Wait(); err != nil {
		t.Fatalf("listen: %v", err)
	}
	s.show("\n")

	s.cli(false, "bench", "-addr", showAddr, "-n", "20000", "-window", "100", "-dlr")
	return s.buf.String()
}

// normalize blanks what changes from run to run.
func normalize(s string) string {
	s = regexp.MustCompile(`[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){31}|[0-9a-f]{64}`).ReplaceAllString(s, "FINGERPRINT")
	s = regexp.MustCompile(`[0-9]+`).ReplaceAllString(s, "0")
	return s
}

func TestREADMETranscript(t *testing.T) {
	if testing.Short() {
		t.Skip("runs smsc-sim and smppcli")
	}
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(readme, []byte(transcriptBegin))
	j := bytes.Index(readme, []byte(transcriptEnd))
	if i < 0 || j < i {
		t.Fatalf("%s: no transcript between %q and %q", readmePath, transcriptBegin, transcriptEnd)
	}
	got := "```\n" + runSession(t) + "```\n"
	old := string(readme[i+len(transcriptBegin)+1 : j])
	if *update {
		var b bytes.Buffer
		b.Write(readme[:i+len(transcriptBegin)])
		b.WriteString("\n" + got)
		b.Write(readme[j:])
		if err := os.WriteFile(readmePath, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if normalize(old) != normalize(got) {
		t.Errorf("the transcript in %s is not what this build prints; run\n\tcd examples && go test ./smppcli -run TestREADMETranscript -update\nthis build prints:\n%s", readmePath, got)
	}
}
