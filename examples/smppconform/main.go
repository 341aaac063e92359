// Command smppconform is an open conformance tester for SMPP 3.4: it plays a
// catalogue of spec-referenced cases against an SMSC (-role smsc: the tool
// binds to it as an ESME) or an ESME (-role esme: the tool listens as the
// SMSC the ESME binds to), and says case by case where the implementation
// breaks the specification. See README.md and CASES.md.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/esmsafrica/smpp/examples/smppconform/conform"
	"gopkg.in/yaml.v3"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// profileFile is the -profile file (YAML, or JSON, which YAML reads).
type profileFile struct {
	// Capabilities the implementation declares: data_sm, submit_multi,
	// query_sm, cancel_sm, replace_sm, receipts, transceiver, tls, timers,
	// throttling, scheduled, message_payload, query_source_check, ...
	Capabilities []string `yaml:"capabilities"`
	// SessionInitTimer, InactivityTimer: the SMSC's declared timers ("30s").
	SessionInitTimer string `yaml:"session_init_timer"`
	InactivityTimer  string `yaml:"inactivity_timer"`
	// Window: requests the SMSC accepts in flight (default 10).
	Window int `yaml:"window"`
	// ReceiptTimeout: how long to wait for a delivery receipt ("30s").
	ReceiptTimeout string `yaml:"receipt_timeout"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("smppconform", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "smsc", "the role under test: smsc or esme")
	addr := fs.String("addr", "127.0.0.1:2775", "the SMSC's host:port (smsc) or the address to listen on (esme)")
	useTLS := fs.Bool("tls", false, "connect with TLS")
	ca := fs.String("ca", "", "PEM file of the CA that signed the SMSC's certificate")
	insecure := fs.Bool("insecure-skip-verify", false, "do not verify the SMSC's certificate")
	systemID := fs.String("system-id", "conform", "system_id to bind with (smsc) or accept (esme)")
	password := fs.String("password", "secret", "password")
	systemType := fs.String("system-type", "", "system_type sent in binds")
	src := fs.String("src", "254700000001", "source address of submissions")
	dst := fs.String("dst", "254711000002", "destination address of submissions")
	profile := fs.String("profile", "", "YAML or JSON file of declared capabilities (see README.md)")
	rate := fs.Int("rate", 50, "messages per second the throttling cases may send")
	timeout := fs.Duration("timeout", 5*time.Second, "wait for each answer")
	cases := fs.String("case", "", "comma-separated case ids, groups or prefixes ending in *")
	list := fs.Bool("list", false, "print the catalogue and exit")
	markdown := fs.Bool("markdown", false, "with -list, print the catalogue as Markdown (CASES.md)")
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	junitOut := fs.String("junit", "", "write the results as JUnit XML to this file")
	esmeWindow := fs.Int("esme-window", 0, "esme: the most outstanding requests the ESME declares (0 skips the window case)")
	burst := fs.Int("burst", 20, "esme: how many messages a burst case asks the ESME to send")
	binds := fs.Int("binds", 1, "esme: how many connections the ESME keeps bound")
	outbindAddr := fs.String("outbind-addr", "", "esme: where the ESME listens for an outbind (empty skips the case)")
	connectTimeout := fs.Duration("connect-timeout", 30*time.Second, "esme: wait for the ESME to connect and bind")
	prompt := fs.Bool("prompt", false, "esme: ask on the terminal for what the ESME must send (cases that need it are skipped without)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var r conform.Role
	switch *role {
	case "smsc":
		r = conform.SMSC
	case "esme":
		r = conform.ESME
	default:
		fmt.Fprintf(stderr, "smppconform: -role %q: want smsc or esme\n", *role)
		return 2
	}
	var pats []string
	for _, p := range strings.Split(*cases, ",") {
		if p = strings.TrimSpace(p); p != "" {
			pats = append(pats, p)
		}
	}
	if *list {
		all := conform.Cases(0)
		if *markdown {
			writeMarkdown(stdout, all)
			return 0
		}
		for _, c := range conform.Select(all, pats) {
			fmt.Fprintf(stdout, "%-22s %-13s %s\n", c.ID, c.Section, c.Title)
		}
		return 0
	}
	cfg := &conform.Config{Addr: *addr, SystemID: *systemID, Password: *password, SystemType: *systemType,
		SourceAddr: *src, DestAddr: *dst, Rate: *rate, Timeout: *timeout, Profile: conform.Profile{}}
	if *profile != "" {
		if err := loadProfile(*profile, cfg); err != nil {
			fmt.Fprintf(stderr, "smppconform: %v\n", err)
			return 2
		}
	}
	if *useTLS {
		if r == conform.ESME {
			fmt.Fprintln(stderr, "smppconform: -tls is for -role smsc")
			return 2
		}
		tc := &tls.Config{InsecureSkipVerify: *insecure}
		if *ca != "" {
			pem, err := os.ReadFile(*ca)
			if err != nil {
				fmt.Fprintf(stderr, "smppconform: %v\n", err)
				return 2
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				fmt.Fprintf(stderr, "smppconform: no certificate in %s\n", *ca)
				return 2
			}
		}
		if h, _, ok := strings.Cut(*addr, ":"); ok {
			tc.ServerName = h
		}
		cfg.TLS = tc
		cfg.Profile["tls"] = true
	}
	if r == conform.ESME {
		cfg.ESME = &conform.ESMEOptions{Window: *esmeWindow, Burst: *burst, Binds: *binds,
			OutbindAddr: *outbindAddr, ConnectTimeout: *connectTimeout}
		if *prompt {
			cfg.ESME.Driver = promptDriver(os.Stdin, stderr)
		}
		defer cfg.ESME.Close()
	}
	sel := conform.Select(conform.Cases(r), pats)
	if len(sel) == 0 {
		fmt.Fprintln(stderr, "smppconform: no case selected")
		return 2
	}
	results := conform.Run(context.Background(), cfg, sel)
	writeTable(stdout, results)
	if *jsonOut != "" {
		if err := writeFile(*jsonOut, func(w io.Writer) error { return writeJSON(w, results) }); err != nil {
			fmt.Fprintf(stderr, "smppconform: %v\n", err)
			return 1
		}
	}
	if *junitOut != "" {
		if err := writeFile(*junitOut, func(w io.Writer) error { return writeJUnit(w, results) }); err != nil {
			fmt.Fprintf(stderr, "smppconform: %v\n", err)
			return 1
		}
	}
	for _, res := range results {
		if res.Status == conform.Fail {
			return 1
		}
	}
	return 0
}

// promptDriver asks the operator, on the terminal, to make the ESME under
// test send what a case needs, and returns once they press Enter.
func promptDriver(in io.Reader, out io.Writer) func(ctx context.Context, kind string) error {
	r := bufio.NewReader(in)
	what := map[string]string{
		conform.DriveSubmit:  "one short text message",
		conform.DriveLong:    "one text of about 400 GSM characters (the ESME must split it)",
		conform.DriveUnicode: "one short text in Cyrillic (UCS-2)",
		conform.DriveBurst:   "a burst of short messages, as many as -burst says",
	}
	return func(ctx context.Context, kind string) error {
		fmt.Fprintf(out, "smppconform: make the ESME send %s now, then press Enter\n", what[kind])
		if _, err := r.ReadString('\n'); err != nil {
			return fmt.Errorf("reading the terminal: %w", err)
		}
		return ctx.Err()
	}
}

// loadProfile reads a profile file into cfg.
func loadProfile(path string, cfg *conform.Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var p profileFile
	if err := yaml.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("profile %s: %w", path, err)
	}
	for _, c := range p.Capabilities {
		cfg.Profile[c] = true
	}
	for _, d := range []struct {
		s   string
		dst *time.Duration
	}{{p.SessionInitTimer, &cfg.SessionInitTimer}, {p.InactivityTimer, &cfg.InactivityTimer}, {p.ReceiptTimeout, &cfg.ReceiptTimeout}} {
		if d.s == "" {
			continue
		}
		v, err := time.ParseDuration(d.s)
		if err != nil {
			return fmt.Errorf("profile %s: %w", path, err)
		}
		*d.dst = v
	}
	cfg.Window = p.Window
	return nil
}

func writeFile(path string, f func(io.Writer) error) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
