package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// common are the flags every subcommand shares.
type common struct {
	addr       string
	useTLS     bool
	insecure   bool
	caFile     string
	pin        string // -fingerprint
	systemID   string
	password   string
	systemType string
	bind       string
	window     int
	rate       float64
	timeout    time.Duration
	verbose    bool
	json       bool

	fs *flag.FlagSet
}

// passwordEnv is the environment variable the password is read from when
// -password is not given (so that ps does not show it).
const passwordEnv = "SMPP_PASSWORD"

// defaultPassword is the password without -password and $SMPP_PASSWORD: the
// one of the smsc-sim examples.
const defaultPassword = "secret"

func (c *common) register(fs *flag.FlagSet, defBind string) {
	fs.StringVar(&c.addr, "addr", "127.0.0.1:2776", "SMSC `host:port`")
	fs.BoolVar(&c.useTLS, "tls", false, "connect with TLS (the certificate verified against the system's CAs, or -ca, or pinned with -fingerprint)")
	fs.StringVar(&c.caFile, "ca", "", "trust the CA or certificate(s) in PEM `file` (implies -tls): the gateway's generated ca.pem, a server's own certificate")
	fs.StringVar(&c.pin, "fingerprint", "", "accept only the server certificate whose SHA-256 is `sha256` (hex, colons optional, as the gateway and smsc-sim print it; implies -tls)")
	fs.BoolVar(&c.insecure, "insecure-skip-verify", false, "with -tls: accept any certificate (test servers only; prefer -ca or -fingerprint)")
	fs.StringVar(&c.systemID, "system-id", "test", "system_id to bind with")
	fs.StringVar(&c.password, "password", "", "password to bind with (default: $"+passwordEnv+", else \""+defaultPassword+"\"); prefer $"+passwordEnv+": a flag shows in ps")
	fs.StringVar(&c.systemType, "system-type", "", "system_type to bind with")
	fs.StringVar(&c.bind, "bind", defBind, "bind type: trx, tx or rx")
	fs.IntVar(&c.window, "window", 100, "requests in flight per bind")
	fs.Float64Var(&c.rate, "rate", 0, "requests per second per bind (0: unlimited)")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "bind and response timeout")
	fs.BoolVar(&c.verbose, "v", false, "log connection events to stderr")
	fs.BoolVar(&c.json, "json", false, "print JSON (one object per line)")
	c.fs = fs
}

// given reports whether the flag was set on the command line.
func given(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			found = true
		}
	})
	return found
}

func (c *common) mode() (client.Mode, error) {
	switch c.bind {
	case "trx", "transceiver":
		return client.Transceiver, nil
	case "tx", "transmitter":
		return client.Transmitter, nil
	case "rx", "receiver":
		return client.Receiver, nil
	}
	return 0, usageErrorf("-bind %q: want trx, tx or rx", c.bind)
}

// config returns the client configuration of the flags.
func (c *common) config(stderr io.Writer) (client.Config, error) {
	m, err := c.mode()
	if err != nil {
		return client.Config{}, err
	}
	level := slog.LevelError + 1 // silent
	if c.verbose {
		level = slog.LevelDebug
	}
	password := c.password
	if c.fs == nil || !given(c.fs, "password") {
		password = defaultPassword
		if p, ok := os.LookupEnv(passwordEnv); ok {
			password = p
		}
	}
	cfg := client.Config{
		SystemID:    c.systemID,
		Password:    password,
		SystemType:  c.systemType,
		Mode:        m,
		Rate:        c.rate,
		DialTimeout: c.timeout,
		Session:     session.Config{Window: c.window, ResponseTimeout: c.timeout},
		Logger:      slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	if c.caFile != "" || c.pin != "" {
		c.useTLS = true
	}
	if c.useTLS {
		tc, err := c.tlsConfig()
		if err != nil {
			return client.Config{}, err
		}
		cfg.TLS = tc
	}
	return cfg, nil
}

// tlsConfig is the TLS configuration of -ca, -fingerprint and
// -insecure-skip-verify.
func (c *common) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{InsecureSkipVerify: c.insecure, MinVersion: tls.VersionTLS12}
	if c.caFile != "" {
		b, err := os.ReadFile(c.caFile)
		if err != nil {
			return nil, usageErrorf("-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, usageErrorf("-ca %s: no PEM certificate in the file", c.caFile)
		}
		tc.RootCAs = pool
	}
	if c.pin != "" {
		want, err := parseFingerprint(c.pin)
		if err != nil {
			return nil, usageErrorf("-fingerprint: %w", err)
		}
		if c.caFile == "" {
			// The pin is the trust: the chain and name are not checked
			// (the gateway's and smsc-sim's certificates are their own).
			tc.InsecureSkipVerify = true
		}
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return &pinError{want: want}
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if got != want {
				return &pinError{want: want, got: got[:]}
			}
			return nil
		}
	}
	return tc, nil
}

// parseFingerprint reads a SHA-256 fingerprint written as the gateway prints
// it (AB:CD:...), as smsc-sim and openssl do (abcd..., AB:CD...), with an
// optional "sha256:" or "SHA256=" in front.
func parseFingerprint(s string) ([32]byte, error) {
	var out [32]byte
	t := strings.TrimSpace(s)
	if i := strings.IndexAny(t, ":="); i == 6 && strings.EqualFold(t[:6], "sha256") {
		t = t[7:]
	}
	t = strings.NewReplacer(":", "", " ", "", "-", "").Replace(t)
	b, err := hex.DecodeString(t)
	if err != nil || len(b) != 32 {
		return out, fmt.Errorf("%q is not a SHA-256 fingerprint (64 hex digits, colons optional)", s)
	}
	copy(out[:], b)
	return out, nil
}

// pinError: the server's certificate is not the one -fingerprint pins.
type pinError struct {
	want [32]byte
	got  []byte
}

func (e *pinError) Error() string {
	if e.got == nil {
		return "the server sent no certificate"
	}
	return fmt.Sprintf("certificate SHA-256 %s is not the pinned %s", fingerprintString(e.got), fingerprintString(e.want[:]))
}

// fingerprintString writes a fingerprint as the gateway prints it.
func fingerprintString(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var sb strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(h[i : i+2])
	}
	return sb.String()
}

// dial binds with the flags' settings and explains a failure.
func (c *common) dial(ctx context.Context, cfg client.Config) (*client.Client, error) {
	dctx, cancel := context.WithTimeout(ctx, c.timeout+time.Second)
	defer cancel()
	cl, err := client.Dial(dctx, c.addr, cfg)
	if err != nil {
		return nil, c.explain(err)
	}
	return cl, nil
}

// explain turns a dial or bind error into a message that says what to do.
func (c *common) explain(err error) error {
	var st pdu.Status
	var recErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var pinErr *pinError
	var ce *codeError
	switch {
	case errors.As(err, &ce):
		return err
	case errors.As(err, &st):
		hint := ""
		switch st {
		case pdu.ESME_RINVPASWD:
			hint = ": wrong password (-password)"
		case pdu.ESME_RINVSYSID:
			hint = ": unknown system_id (-system-id)"
		case pdu.ESME_RALYBND:
			hint = ": too many binds for this system_id"
		case pdu.ESME_RBINDFAIL:
			hint = ": the SMSC refused the bind (bind type not allowed?)"
		}
		return withCode(exitBind, fmt.Errorf("bind refused by %s: %s (0x%08X)%s", c.addr, st.String(), uint32(st), hint))
	case errors.As(err, &pinErr):
		return withCode(exitConnection, fmt.Errorf("TLS certificate of %s refused: %w (-fingerprint)", c.addr, pinErr))
	case errors.As(err, &recErr), strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		return withCode(exitConnection, fmt.Errorf("TLS mismatch: %s does not speak TLS (drop -tls): %w", c.addr, err))
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return withCode(exitConnection, fmt.Errorf("TLS certificate of %s not trusted (trust its CA with -ca FILE or pin it with -fingerprint SHA256): %w", c.addr, err))
	case errors.Is(err, syscall.ECONNREFUSED):
		return withCode(exitConnection, fmt.Errorf("connection refused: nothing listens on %s", c.addr))
	case !c.useTLS && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || isClosed(err)):
		return withCode(exitConnection, fmt.Errorf("%s closed the connection during the bind: is it a TLS port? (try -tls): %w", c.addr, err))
	case isTimeout(err):
		hint := ""
		if !c.useTLS {
			hint = " (a TLS port waits for a handshake: try -tls)"
		}
		return withCode(exitTimeout, fmt.Errorf("timed out after %s binding to %s%s: %w", c.timeout, c.addr, hint, err))
	case strings.Contains(err.Error(), "tls: "):
		return withCode(exitConnection, fmt.Errorf("TLS handshake with %s failed: %w", c.addr, err))
	}
	return withCode(exitConnection, fmt.Errorf("bind to %s failed: %w", c.addr, err))
}

func isClosed(err error) bool {
	var le *client.LostError
	return errors.As(err, &le) || errors.Is(err, net.ErrClosed)
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, client.ErrTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// requestError explains the error of a request.
func requestError(what string, err error, timeout time.Duration) error {
	var st pdu.Status
	switch {
	case errors.As(err, &st):
		return withCode(exitRefused, fmt.Errorf("%s refused: %s (0x%08X)", what, st.String(), uint32(st)))
	case isTimeout(err):
		return withCode(exitTimeout, fmt.Errorf("%s: no response within %s: %w", what, timeout, err))
	case isClosed(err), client.NotSent(err):
		return withCode(exitConnection, fmt.Errorf("%s: %w", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// receiptJSON is a receipt as printed with -json.
type receiptJSON struct {
	Type         string `json:"type"`
	ID           string `json:"id"`
	From         string `json:"from"`
	To           string `json:"to"`
	Stat         string `json:"stat"`
	State        string `json:"state"`
	Err          string `json:"err,omitempty"`
	NetworkError *struct {
		Type uint8  `json:"type"`
		Code uint16 `json:"code"`
	} `json:"network_error,omitempty"`
	SubmitDate string `json:"submit_date,omitempty"`
	DoneDate   string `json:"done_date,omitempty"`
	Text       string `json:"text,omitempty"`
	ParseError string `json:"parse_error,omitempty"`
}

func receiptOf(d *client.Delivery) receiptJSON {
	r := d.Receipt
	out := receiptJSON{Type: "receipt", ID: r.ID, From: d.Source, To: d.Destination, Stat: r.Stat, State: r.State.String(), Err: r.Err, Text: r.Text}
	if r.Stat == "" {
		out.Stat = r.State.Stat()
	}
	if r.Fields.Has(pdu.ReceiptNetworkError) {
		out.NetworkError = &struct {
			Type uint8  `json:"type"`
			Code uint16 `json:"code"`
		}{r.NetworkError.Type, r.NetworkError.Code}
	}
	if !r.SubmitDate.IsZero() {
		out.SubmitDate = r.SubmitDate.Format(time.DateTime)
	} else {
		out.SubmitDate = r.SubmitDateRaw
	}
	if !r.DoneDate.IsZero() {
		out.DoneDate = r.DoneDate.Format(time.DateTime)
	} else {
		out.DoneDate = r.DoneDateRaw
	}
	if d.ReceiptErr != nil {
		out.ParseError = d.ReceiptErr.Error()
	}
	return out
}

func (r receiptJSON) String() string {
	s := fmt.Sprintf("receipt id=%s stat=%s state=%s", r.ID, r.Stat, r.State)
	if r.Err != "" {
		s += " err=" + r.Err
	}
	if r.NetworkError != nil {
		s += fmt.Sprintf(" network_error=%d/%d", r.NetworkError.Type, r.NetworkError.Code)
	}
	s += fmt.Sprintf(" from=%s to=%s submitted=%q done=%q", r.From, r.To, r.SubmitDate, r.DoneDate)
	if r.Text != "" {
		s += fmt.Sprintf(" text=%q", r.Text)
	}
	if r.ParseError != "" {
		s += " parse_error=" + r.ParseError
	}
	return s
}

func printJSON(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintln(w, string(b))
}
