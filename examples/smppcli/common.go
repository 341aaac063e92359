package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
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
	systemID   string
	password   string
	systemType string
	bind       string
	window     int
	rate       float64
	timeout    time.Duration
	verbose    bool
	json       bool
}

func (c *common) register(fs *flag.FlagSet, defBind string) {
	fs.StringVar(&c.addr, "addr", "127.0.0.1:2776", "SMSC `host:port`")
	fs.BoolVar(&c.useTLS, "tls", false, "connect with TLS (certificate verified unless -insecure-skip-verify)")
	fs.BoolVar(&c.insecure, "insecure-skip-verify", false, "with -tls: accept any certificate (self-signed test servers)")
	fs.StringVar(&c.systemID, "system-id", "test", "system_id to bind with")
	fs.StringVar(&c.password, "password", "secret", "password to bind with")
	fs.StringVar(&c.systemType, "system-type", "", "system_type to bind with")
	fs.StringVar(&c.bind, "bind", defBind, "bind type: trx, tx or rx")
	fs.IntVar(&c.window, "window", 100, "requests in flight per bind")
	fs.Float64Var(&c.rate, "rate", 0, "requests per second per bind (0: unlimited)")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "bind and response timeout")
	fs.BoolVar(&c.verbose, "v", false, "log connection events to stderr")
	fs.BoolVar(&c.json, "json", false, "print JSON (one object per line)")
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
	return 0, fmt.Errorf("-bind %q: want trx, tx or rx", c.bind)
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
	cfg := client.Config{
		SystemID:    c.systemID,
		Password:    c.password,
		SystemType:  c.systemType,
		Mode:        m,
		Rate:        c.rate,
		DialTimeout: c.timeout,
		Session:     session.Config{Window: c.window, ResponseTimeout: c.timeout},
		Logger:      slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	if c.useTLS {
		cfg.TLS = &tls.Config{InsecureSkipVerify: c.insecure, MinVersion: tls.VersionTLS12}
	}
	return cfg, nil
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
	switch {
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
		return fmt.Errorf("bind refused by %s: %s (0x%08X)%s", c.addr, st.String(), uint32(st), hint)
	case errors.As(err, &recErr), strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		return fmt.Errorf("TLS mismatch: %s does not speak TLS (drop -tls): %w", c.addr, err)
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return fmt.Errorf("TLS certificate of %s not trusted (a self-signed test server needs -insecure-skip-verify): %w", c.addr, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connection refused: nothing listens on %s", c.addr)
	case !c.useTLS && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || isClosed(err)):
		return fmt.Errorf("%s closed the connection during the bind: is it a TLS port? (try -tls): %w", c.addr, err)
	case isTimeout(err):
		hint := ""
		if !c.useTLS {
			hint = " (a TLS port waits for a handshake: try -tls)"
		}
		return fmt.Errorf("timed out after %s binding to %s%s: %w", c.timeout, c.addr, hint, err)
	}
	return fmt.Errorf("bind to %s failed: %w", c.addr, err)
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
		return fmt.Errorf("%s refused: %s (0x%08X)", what, st.String(), uint32(st))
	case isTimeout(err):
		return fmt.Errorf("%s: no response within %s: %w", what, timeout, err)
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
