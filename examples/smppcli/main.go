// Command smppcli is an SMPP 3.4 ESME tool built on the client package.
//
//	smppcli send   -addr HOST:PORT -from 1000 -to +254700000001 -text "hello" [-dlr | -wait-dlr]
//	smppcli listen -addr HOST:PORT -bind rx [-json]
//	smppcli query  -addr HOST:PORT -id MESSAGE_ID [-from 1000]
//	smppcli cancel -addr HOST:PORT -id MESSAGE_ID [-from 1000]
//	smppcli bench  -addr HOST:PORT -n 100000 -binds 2 -window 1000 [-dlr] [-json] [-record FILE]
//
// Run "smppcli COMMAND -h" for the flags of a command, "smppcli help" for the
// exit codes.
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/pdu"
)

const usage = `smppcli: an SMPP 3.4 ESME tool

usage: smppcli COMMAND [flags]

commands:
  send     submit a message (text or hex); -dlr asks for a receipt, -wait-dlr
           also waits for it and prints it
  listen   bind and print receipts and MO messages as they arrive
  query    query_sm a message id
  cancel   cancel_sm a message id
  bench    load test: N messages or a duration, B binds, window W, rate R;
           -record FILE writes every answer and receipt as JSON lines

common flags: -addr -tls -ca FILE -fingerprint SHA256 -insecure-skip-verify
              -system-id -password -bind trx|tx|rx -window -rate -timeout -json -v
the password is read from $SMPP_PASSWORD when -password is not given.
run "smppcli COMMAND -h" for the rest.

` + exitCodesHelp

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errHelpShown) && !errors.Is(err, errFlagsPrinted) {
		fmt.Fprintln(os.Stderr, "smppcli:", err)
	}
	os.Exit(exitCode(err))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "send":
		return runSend(ctx, rest, stdout, stderr)
	case "listen":
		return runListen(ctx, rest, stdout, stderr)
	case "query":
		return runQuery(ctx, rest, stdout, stderr)
	case "cancel":
		return runCancel(ctx, rest, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageErrorf("unknown command %q", cmd)
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("smppcli "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: smppcli %s [flags]\n", name)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\n"+exitCodesHelp)
	}
	return fs
}

// errFlagsPrinted wraps a flag error the flag package printed already.
var errFlagsPrinted = errors.New("flags printed")

// parseFlags parses args: -h is errHelpShown (exit 0), a bad flag a usage
// error (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		if fs.NArg() > 0 {
			return usageErrorf("%s: unexpected argument %q (flags go before it? quote the text?)", fs.Name(), fs.Arg(0))
		}
		return nil
	case errors.Is(err, flag.ErrHelp):
		return errHelpShown
	}
	return withCode(exitUsage, fmt.Errorf("%w: %w", errFlagsPrinted, err))
}

// ---------------------------------------------------------------- send

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("send", stderr)
	var c common
	c.register(fs, "trx")
	from := fs.String("from", "1000", "source address (+digits: international; digits; else alphanumeric)")
	to := fs.String("to", "", "destination address (required)")
	text := fs.String("text", "", "message text (UTF-8); long texts are split")
	hexData := fs.String("hex", "", "binary message as hex, instead of -text")
	dc := fs.Int("dc", 4, "data_coding of the -hex message (4: binary); for -text choose the encoding with -encoding")
	enc := fs.String("encoding", "auto", "text encoding: auto, gsm7, latin1, ucs2, ascii")
	split := fs.String("split", "udh8", "long text split: udh8, udh16, sar, payload")
	dlr := fs.Bool("dlr", false, "request a delivery receipt and exit once the submit_sm_resp is in (the receipt goes to a listen, or waits at the SMSC)")
	waitDLR := fs.Bool("wait-dlr", false, "request a delivery receipt and wait for it on this bind (-bind trx), then print it")
	dlrTimeout := fs.Duration("dlr-timeout", 60*time.Second, "how long -wait-dlr waits for the receipts")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *to == "" {
		return usageErrorf("send: -to is required")
	}
	if (*text == "") == (*hexData == "") {
		return usageErrorf("send: give exactly one of -text and -hex")
	}
	if *text != "" && given(fs, "dc") {
		return usageErrorf("send: -dc is for -hex; with -text choose the encoding with -encoding")
	}
	if *waitDLR {
		*dlr = true
		if c.bind != "trx" && c.bind != "transceiver" {
			return usageErrorf("send: -wait-dlr needs -bind trx: the receipt comes back on the bind that sent the message")
		}
	}
	cfg, err := c.config(stderr)
	if err != nil {
		return err
	}
	switch *enc {
	case "auto":
	case "gsm7":
		cfg.Encoding.Force = encoding.GSM7
	case "latin1":
		cfg.Encoding.Force, cfg.Encoding.AllowLatin1 = encoding.Latin1, true
	case "ucs2":
		cfg.Encoding.Force = encoding.UCS2
	case "ascii":
		cfg.Encoding.Force = encoding.ASCII
	default:
		return usageErrorf("send: -encoding %q: want auto, gsm7, latin1, ucs2 or ascii", *enc)
	}
	switch *split {
	case "udh8":
		cfg.Split = client.SplitUDH8
	case "udh16":
		cfg.Split = client.SplitUDH16
	case "sar":
		cfg.Split = client.SplitSAR
	case "payload":
		cfg.Split = client.SplitPayload
	default:
		return usageErrorf("send: -split %q: want udh8, udh16, sar or payload", *split)
	}

	rc := newReceiptWaiter()
	if *dlr {
		cfg.RegisteredDelivery = 1
	}
	if *waitDLR {
		// Without a handler (-dlr alone) a receipt that reaches this bind
		// before it is closed is answered ESME_RX_T_APPN: the SMSC keeps it
		// for another bind (a listen) instead of losing it here.
		cfg.Handler = rc
	}
	cl, err := c.dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer cl.Close(context.Background())

	sctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var ids []string
	if *hexData != "" {
		data, err := hex.DecodeString(strings.ReplaceAll(*hexData, " ", ""))
		if err != nil {
			return usageErrorf("send: -hex: %w", err)
		}
		if *dc < 0 || *dc > 255 {
			return usageErrorf("send: -dc %d: want 0..255", *dc)
		}
		sm := &pdu.SubmitSM{DataCoding: uint8(*dc), ShortMessage: data}
		sm.SourceAddrTON, sm.SourceAddrNPI, sm.SourceAddr = client.ParseAddress(*from)
		sm.DestAddrTON, sm.DestAddrNPI, sm.DestinationAddr = client.ParseAddress(*to)
		if *dlr {
			sm.RegisteredDelivery = 1
		}
		if len(data) > 254 {
			sm.ShortMessage = nil
			sm.TLVs.SetMessagePayload(data)
		}
		resp, err := cl.Submit(sctx, sm)
		if err != nil {
			return requestError("submit_sm", err, c.timeout)
		}
		ids = []string{resp.MessageID}
	} else {
		ids, err = cl.SendText(sctx, *from, *to, *text)
		if err != nil {
			return requestError("submit_sm", err, c.timeout)
		}
	}
	for i, id := range ids {
		if c.json {
			printJSON(stdout, map[string]any{"type": "submit_sm_resp", "segment": i + 1, "segments": len(ids), "message_id": id})
		} else {
			fmt.Fprintf(stdout, "submitted segment %d/%d: message_id=%s\n", i+1, len(ids), id)
		}
	}
	if !*waitDLR {
		return nil
	}
	wctx, wcancel := context.WithTimeout(ctx, *dlrTimeout)
	defer wcancel()
	for _, id := range ids {
		r, err := rc.wait(wctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return withCode(exitTimeout, fmt.Errorf("no receipt for %s within %s (-dlr-timeout; did the SMSC send it to another bind of %s, a listen?)", id, *dlrTimeout, c.systemID))
		}
		if c.json {
			printJSON(stdout, r)
		} else {
			fmt.Fprintln(stdout, r.String())
		}
	}
	return nil
}

// receiptWaiter collects receipts by message id, whether they arrive before
// or after the submit_sm_resp.
type receiptWaiter struct {
	mu      sync.Mutex
	got     []receiptJSON
	changed chan struct{}
}

func newReceiptWaiter() *receiptWaiter { return &receiptWaiter{changed: make(chan struct{})} }

func (w *receiptWaiter) HandleDelivery(ctx context.Context, d *client.Delivery) error {
	if !d.IsReceipt() {
		return nil
	}
	r := receiptOf(d) // copies the strings out of the PDU
	w.mu.Lock()
	w.got = append(w.got, r)
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
	return nil
}

func (w *receiptWaiter) wait(ctx context.Context, id string) (receiptJSON, error) {
	for {
		w.mu.Lock()
		for _, r := range w.got {
			if r.ID == id || pdu.MessageIDEqual(r.ID, id) {
				w.mu.Unlock()
				return r, nil
			}
		}
		ch := w.changed
		w.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return receiptJSON{}, ctx.Err()
		}
	}
}

// ---------------------------------------------------------------- listen

func runListen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("listen", stderr)
	var c common
	c.register(fs, "rx")
	count := fs.Int("count", 0, "exit after this many deliveries (0: run until interrupted)")
	duration := fs.Duration("for", 0, "exit after this long (0: run until interrupted)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if c.bind == "tx" {
		return usageErrorf("listen: -bind tx cannot receive; use rx or trx")
	}
	cfg, err := c.config(stderr)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	n := 0
	done := make(chan struct{})
	cfg.Handler = client.HandlerFunc(func(_ context.Context, d *client.Delivery) error {
		mu.Lock()
		defer mu.Unlock()
		if *count > 0 && n >= *count {
			return errors.New("enough") // ESME_RX_T_APPN: the SMSC keeps it
		}
		printDelivery(stdout, d, c.json)
		n++
		if *count > 0 && n == *count {
			close(done)
		}
		return nil
	})
	cl, err := c.dial(ctx, cfg)
	if err != nil {
		return err
	}
	if !c.json {
		fmt.Fprintf(stderr, "bound to %s as %s (system_id %s); waiting for deliveries\n", c.addr, cfg.Mode, c.systemID)
	}
	var timer <-chan time.Time
	if *duration > 0 {
		timer = time.After(*duration)
	}
	select {
	case <-ctx.Done():
	case <-done:
	case <-timer:
	}
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return cl.Close(cctx)
}

func printDelivery(w io.Writer, d *client.Delivery, asJSON bool) {
	if d.IsReceipt() {
		r := receiptOf(d)
		if asJSON {
			printJSON(w, r)
		} else {
			fmt.Fprintln(w, r.String())
		}
		return
	}
	text, err := d.Text()
	m := map[string]any{"type": "mo", "from": d.Source, "to": d.Destination, "text": text}
	if d.Message != nil {
		m["data_coding"] = d.Message.DataCoding
		m["segments"] = d.Message.Total
		if d.Message.Partial {
			m["partial"] = true
		}
		if d.Message.Coding.Alphabet == encoding.Binary {
			m["hex"] = hex.EncodeToString(d.Message.Payload)
			delete(m, "text")
		}
	}
	if err != nil {
		m["decode_error"] = err.Error()
	}
	if asJSON {
		printJSON(w, m)
		return
	}
	if h, ok := m["hex"]; ok {
		fmt.Fprintf(w, "mo from=%s to=%s segments=%v hex=%s\n", d.Source, d.Destination, m["segments"], h)
		return
	}
	fmt.Fprintf(w, "mo from=%s to=%s segments=%v text=%q\n", d.Source, d.Destination, m["segments"], text)
}

// ---------------------------------------------------------------- query, cancel

func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("query", stderr)
	var c common
	c.register(fs, "trx")
	id := fs.String("id", "", "message id (required)")
	from := fs.String("from", "", "source address of the original message")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return usageErrorf("query: -id is required")
	}
	cfg, err := c.config(stderr)
	if err != nil {
		return err
	}
	if cfg.Mode == client.Receiver {
		return usageErrorf("query: -bind rx cannot send query_sm; use trx or tx")
	}
	cl, err := c.dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer cl.Close(context.Background())
	q := &pdu.QuerySM{MessageID: *id}
	q.SourceAddrTON, q.SourceAddrNPI, q.SourceAddr = client.ParseAddress(*from)
	qctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	r, err := cl.QuerySM(qctx, q)
	if err != nil {
		return requestError("query_sm", err, c.timeout)
	}
	final := ""
	if t, err := r.FinalTime(); err == nil && !t.IsZero() {
		final = t.UTC().Format(time.DateTime)
	}
	if c.json {
		printJSON(stdout, map[string]any{"type": "query_sm_resp", "message_id": r.MessageID, "state": r.MessageState.String(),
			"final_date": r.FinalDate, "final_time": final, "error_code": r.ErrorCode})
		return nil
	}
	fmt.Fprintf(stdout, "message_id=%s state=%s final_date=%q error_code=%d\n", r.MessageID, r.MessageState, r.FinalDate, r.ErrorCode)
	return nil
}

func runCancel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cancel", stderr)
	var c common
	c.register(fs, "trx")
	id := fs.String("id", "", "message id (required)")
	from := fs.String("from", "", "source address of the original message")
	to := fs.String("to", "", "destination address of the original message")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return usageErrorf("cancel: -id is required")
	}
	cfg, err := c.config(stderr)
	if err != nil {
		return err
	}
	if cfg.Mode == client.Receiver {
		return usageErrorf("cancel: -bind rx cannot send cancel_sm; use trx or tx")
	}
	cl, err := c.dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer cl.Close(context.Background())
	m := &pdu.CancelSM{MessageID: *id}
	m.SourceAddrTON, m.SourceAddrNPI, m.SourceAddr = client.ParseAddress(*from)
	m.DestAddrTON, m.DestAddrNPI, m.DestinationAddr = client.ParseAddress(*to)
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := cl.CancelSM(cctx, m); err != nil {
		return requestError("cancel_sm", err, c.timeout)
	}
	if c.json {
		printJSON(stdout, map[string]any{"type": "cancel_sm_resp", "message_id": *id, "status": "ESME_ROK"})
		return nil
	}
	fmt.Fprintf(stdout, "cancelled message_id=%s\n", *id)
	return nil
}
