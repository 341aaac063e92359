package sim

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/tlv"
)

// IDFormat is how message ids are written in submit_sm_resp and receipts.
type IDFormat uint8

// The message id formats. The zero value is IDHex.
const (
	IDHex     IDFormat = iota // lower-case hexadecimal: "1a2b3c"
	IDDecimal                 // decimal, at most 10 digits until the counter passes 9,999,999,999
	IDUUID                    // a UUID: a per-process random prefix and the counter in the last group
)

// String returns "hex", "dec" or "uuid".
func (f IDFormat) String() string {
	switch f {
	case IDDecimal:
		return "dec"
	case IDUUID:
		return "uuid"
	}
	return "hex"
}

// ParseIDFormat parses "hex", "dec" (or "decimal") and "uuid".
func ParseIDFormat(s string) (IDFormat, error) {
	switch strings.ToLower(s) {
	case "", "hex":
		return IDHex, nil
	case "dec", "decimal":
		return IDDecimal, nil
	case "uuid":
		return IDUUID, nil
	}
	return 0, fmt.Errorf("sim: unknown message id format %q (want hex, dec or uuid)", s)
}

// Account is one system_id the simulator accepts.
type Account struct {
	SystemID string `json:"system_id"`
	Password string `json:"password"`
	// Rate is the most submit_sm, submit_multi and data_sm per second over
	// all binds of the system_id; beyond it ESME_RTHROTTLED. Zero: Config.Rate.
	Rate float64 `json:"rate,omitempty"`
	// Burst is the rate limiter's burst; zero: max(1, Rate).
	Burst int `json:"burst,omitempty"`
	// MaxBinds is the most binds at once (ESME_RALYBND beyond); zero: unlimited.
	MaxBinds int `json:"max_binds,omitempty"`
	// Modes are the bind types allowed ("tx", "rx", "trx"); empty: all.
	Modes []string `json:"modes,omitempty"`
}

// Outcome is one final result of a message, with its share of the mix.
type Outcome struct {
	// State is the final state (DELIVERED, UNDELIVERABLE, EXPIRED, REJECTED...).
	State pdu.MessageState
	// Err is the err: value of the receipt and the network_error_code (GSM)
	// code on failure; zero writes "000".
	Err uint16
	// Percent is the outcome's share in the mix, 0–100. The shares of a
	// Config.Outcomes are normalised to their sum.
	Percent float64
}

// PrefixOutcome forces an outcome for destinations starting with Prefix; the
// longest matching prefix wins over the percentage mix.
type PrefixOutcome struct {
	Prefix  string
	Outcome Outcome
}

// Config configures a Simulator. The zero value of every field is a documented
// default; the zero Config accepts any system_id and password, answers every
// submission, and sends DELIVRD receipts at once to those that asked.
type Config struct {
	// Accounts are the system_ids accepted. Empty accepts any system_id with
	// any password.
	Accounts []Account
	// Rate is the default throughput window per system_id, messages per
	// second (accounts may override it). Zero: unlimited.
	Rate float64
	// SystemID is the simulator's system_id in bind responses. Empty: "SMSCSIM".
	SystemID string

	// TLS, when not nil, makes Serve serve TLS with this configuration (TLS
	// 1.3 minimum unless MinVersion says otherwise).
	TLS *tls.Config

	// IDFormat is how message ids are written.
	IDFormat IDFormat

	// ReceiptDelay is the time from submission to the final state and its
	// receipt; with ReceiptDelayMax above it, each message gets a delay drawn
	// uniformly from [ReceiptDelay, ReceiptDelayMax]. Zero: at once.
	ReceiptDelay, ReceiptDelayMax time.Duration
	// Outcomes is the mix of final states, by percentage. Empty: every
	// message is DELIVERED.
	Outcomes []Outcome
	// PrefixOutcomes force the outcome of destinations by prefix.
	PrefixOutcomes []PrefixOutcome
	// ReceiptSeconds writes receipt dates with seconds (YYMMDDhhmmss, 12
	// digits) instead of the 10 digits of Appendix B.
	ReceiptSeconds bool
	// NoReceiptTLVs leaves out receipted_message_id, message_state and
	// network_error_code. False sends them.
	NoReceiptTLVs bool
	// ReceiptLocation is the time zone of receipt dates. Nil: UTC.
	ReceiptLocation *time.Location

	// StoreSize bounds the message store (entries; rounded up to a power of
	// two); the oldest are overwritten. Zero: 1,048,576 (about 100 MiB when
	// full; memory grows with use).
	StoreSize int
	// StoreTTL is how long a message stays queryable. Zero: 24 h.
	StoreTTL time.Duration
	// QueueSize bounds the receipts and MO messages held per system_id while
	// none of its binds can receive (or while they are busy); the oldest is
	// dropped beyond it. Zero: 200,000.
	QueueSize int
	// DedupeTLV, when not zero, is a TLV tag (usually a vendor one) whose
	// value is an idempotency key: a submit_sm or data_sm carrying a key
	// already seen from the same system_id is answered with the message id it
	// got the first time, and nothing new is stored or delivered. The last
	// StoreSize keys are remembered. Zero: no deduplication.
	DedupeTLV tlv.Tag

	// OnSubmit, when not nil, is called for every submit_sm and data_sm
	// answered with ESME_ROK, on the session's read loop before the
	// response is sent. Tests use it to count deliveries across restarts.
	OnSubmit func(*Submission)
	// OnReceipt, when not nil, is called for every receipt the ESME
	// acknowledged with ESME_ROK.
	OnReceipt func(*ReceiptAck)

	// MaxAttempts bounds the deliveries of one deliver_sm the ESME refuses
	// with an error status (each retried after a back-off of 250 ms, doubling
	// up to 30 s); connections that break do not count. Zero: 10.
	MaxAttempts int

	// MORate sends that many MO messages per second, in total, to the bound
	// receivers (MOSystemID, or every system_id bound). Zero: none.
	MORate float64
	// MOSystemID restricts MORate's messages to one system_id.
	MOSystemID string
	// MOFrom and MOTo are the addresses of MORate's messages. Empty:
	// "254700000000" + a counter, and "1000".
	MOFrom, MOTo string
	// MOText is the text of MORate's messages; "{n}" becomes a counter.
	// Empty: "MO message {n}".
	MOText string

	// DropAfter closes each connection, without a response, at its
	// (DropAfter+1)th submission, after answering DropAfter. Zero: never.
	DropAfter int
	// ThrottleEvery answers every ThrottleEvery-th submission of a connection
	// with ESME_RTHROTTLED. Zero: never.
	ThrottleEvery int
	// QueueFullEvery answers every QueueFullEvery-th submission of a
	// connection with ESME_RMSGQFUL. Zero: never.
	QueueFullEvery int
	// ResponseDelay delays every response to a submission; with
	// ResponseDelayMax above it, drawn from the range. Zero: none.
	ResponseDelay, ResponseDelayMax time.Duration

	// Window is the most deliver_sm in flight per session. Zero: 1000.
	Window int
	// InboundWindow is the most requests of a session handled at once
	// (delayed responses count). Zero: 10,000.
	InboundWindow int
	// EnquireLinkInterval, BindTimeout and ResponseTimeout are the sessions'
	// timers (see server.Server). Zero: the server's defaults.
	EnquireLinkInterval, BindTimeout, ResponseTimeout time.Duration
	// HandshakeTimeout bounds a TLS handshake (see server.Server): a
	// connection that does not finish it in time is closed. Zero: the
	// server's default (10 s).
	HandshakeTimeout time.Duration

	// Logger receives the simulator's and the server's logs. Nil: slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.SystemID == "" {
		c.SystemID = "SMSCSIM"
	}
	if c.StoreSize <= 0 {
		c.StoreSize = 1 << 20
	}
	if c.StoreTTL <= 0 {
		c.StoreTTL = 24 * time.Hour
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 200_000
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.Window <= 0 {
		c.Window = 1000
	}
	if c.InboundWindow <= 0 {
		c.InboundWindow = 10_000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MOText == "" {
		c.MOText = "MO message {n}"
	}
	if c.MOTo == "" {
		c.MOTo = "1000"
	}
}

// ParseOutcomes parses an outcome mix: comma-separated STAT[:ERR]=PERCENT,
// for example "DELIVRD=90,UNDELIV:001=5,EXPIRED=3,REJECTD:069=2". STAT is a
// receipt stat word (DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, ACCEPTD,
// UNKNOWN) or a state name (DELIVERED...).
func ParseOutcomes(s string) ([]Outcome, error) {
	var out []Outcome
	for _, part := range splitList(s) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("sim: outcome %q: want STAT[:ERR]=PERCENT", part)
		}
		o, err := parseOutcome(k)
		if err != nil {
			return nil, err
		}
		o.Percent, err = strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
		if err != nil || o.Percent < 0 {
			return nil, fmt.Errorf("sim: outcome %q: bad percentage", part)
		}
		out = append(out, o)
	}
	return out, nil
}

// ParsePrefixOutcomes parses comma-separated PREFIX=STAT[:ERR], for example
// "2547001=UNDELIV:001,2547002=REJECTD".
func ParsePrefixOutcomes(s string) ([]PrefixOutcome, error) {
	var out []PrefixOutcome
	for _, part := range splitList(s) {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("sim: prefix outcome %q: want PREFIX=STAT[:ERR]", part)
		}
		o, err := parseOutcome(v)
		if err != nil {
			return nil, err
		}
		out = append(out, PrefixOutcome{Prefix: strings.TrimPrefix(k, "+"), Outcome: o})
	}
	return out, nil
}

func parseOutcome(s string) (Outcome, error) {
	stat, errCode, hasErr := strings.Cut(strings.TrimSpace(s), ":")
	st, ok := pdu.StateFromStat([]byte(stat))
	if !ok {
		return Outcome{}, fmt.Errorf("sim: unknown receipt stat %q", stat)
	}
	o := Outcome{State: st}
	if hasErr {
		n, err := strconv.ParseUint(errCode, 10, 16)
		if err != nil {
			return Outcome{}, fmt.Errorf("sim: receipt err %q: want a number up to 65535", errCode)
		}
		o.Err = uint16(n)
	}
	return o, nil
}

// ParseDelayRange parses "D" or "MIN-MAX" durations ("2s", "100ms-3s").
func ParseDelayRange(s string) (lo, hi time.Duration, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = time.ParseDuration(strings.TrimSpace(a)); err != nil {
		return 0, 0, fmt.Errorf("sim: delay %q: %w", s, err)
	}
	hi = lo
	if isRange {
		if hi, err = time.ParseDuration(strings.TrimSpace(b)); err != nil {
			return 0, 0, fmt.Errorf("sim: delay %q: %w", s, err)
		}
	}
	if lo < 0 || hi < lo {
		return 0, 0, fmt.Errorf("sim: delay %q: want 0 ≤ MIN ≤ MAX", s)
	}
	return lo, hi, nil
}

// LoadAccounts reads accounts from a file: either JSON (an array of Account
// objects, or {"accounts": [...]}) or lines of
//
//	system_id password [rate=N] [burst=N] [max_binds=N] [modes=tx,rx,trx]
//
// with blank lines and lines starting with # ignored.
func LoadAccounts(path string) ([]Account, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{') {
		var list []Account
		if trimmed[0] == '{' {
			var wrap struct {
				Accounts []Account `json:"accounts"`
			}
			err = json.Unmarshal(trimmed, &wrap)
			list = wrap.Accounts
		} else {
			err = json.Unmarshal(trimmed, &list)
		}
		if err != nil {
			return nil, fmt.Errorf("sim: %s: %w", path, err)
		}
		for i, a := range list {
			if a.SystemID == "" {
				return nil, fmt.Errorf("sim: %s: account %d has no system_id", path, i+1)
			}
		}
		return list, nil
	}
	var list []Account
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("sim: %s:%d: want \"system_id password [key=value...]\"", path, line)
		}
		a := Account{SystemID: f[0], Password: f[1]}
		for _, kv := range f[2:] {
			k, v, _ := strings.Cut(kv, "=")
			var err error
			switch k {
			case "rate":
				a.Rate, err = strconv.ParseFloat(v, 64)
			case "burst":
				a.Burst, err = strconv.Atoi(v)
			case "max_binds":
				a.MaxBinds, err = strconv.Atoi(v)
			case "modes":
				a.Modes = splitList(v)
			default:
				err = errors.New("unknown key")
			}
			if err != nil {
				return nil, fmt.Errorf("sim: %s:%d: %q: %v", path, line, kv, err)
			}
		}
		list = append(list, a)
	}
	return list, sc.Err()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func modesOf(list []string) (server.BindMode, error) {
	var m server.BindMode
	for _, s := range list {
		switch strings.ToLower(s) {
		case "tx", "transmitter":
			m |= server.ModeTransmitter
		case "rx", "receiver":
			m |= server.ModeReceiver
		case "trx", "transceiver":
			m |= server.ModeTransceiver
		default:
			return 0, fmt.Errorf("sim: unknown bind mode %q (want tx, rx or trx)", s)
		}
	}
	return m, nil
}
