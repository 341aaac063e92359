// Command smppcli is an SMPP 3.4 ESME tool built on the client package.
//
//	smppcli send   -addr HOST:PORT -from 1000 -to +254700000001 -text "hello" -dlr
//	smppcli listen -addr HOST:PORT -bind rx [-json]
//	smppcli query  -addr HOST:PORT -id MESSAGE_ID [-from 1000]
//	smppcli cancel -addr HOST:PORT -id MESSAGE_ID [-from 1000]
//	smppcli bench  -addr HOST:PORT -n 100000 -binds 2 -window 1000 [-dlr] [-json] [-record FILE]
//
// Run "smppcli COMMAND -h" for the flags of a command.
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
  send     submit a message (text or hex), optionally wait for its receipt
  listen   bind and print receipts and MO messages as they arrive
  query    query_sm a message id
  cancel   cancel_sm a message id
  bench    load test: N messages or a duration, B binds, window W, rate R;
           -record FILE writes every answer and receipt as JSON lines

common flags: -addr -tls -insecure-skip-verify -system-id -password -bind trx|tx|rx
              -window -rate -timeout -json -v
run "smppcli COMMAND -h" for the rest.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "smppcli:", err)
		os.Exit(1)
	}
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
	return fmt.Errorf("unknown command %q", cmd)
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("smppcli "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
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
	dc := fs.Int("dc", -1, "data_coding for -hex (default 4, binary); with -text it forces nothing, use -encoding")
	enc := fs.String("encoding", "auto", "text encoding: auto, gsm7, latin1, ucs2, ascii")
	split := fs.String("split", "udh8", "long text split: udh8, udh16, sar, payload")
	dlr := fs.Bool("dlr", false, "request a delivery receipt and wait for it")
	dlrTimeout := fs.Duration("dlr-timeout", 60*time.Second, "how long to wait for the receipts with -dlr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("send: -to is required")
	}
	if (*text == "") == (*hexData == "") {
		return errors.New("send: give exactly one of -text and -hex")
	}
	if *dlr && c.bind == "tx" {
		return errors.New("send: -dlr needs a bind that can receive (-bind trx)")
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
		return fmt.Errorf("send: -encoding %q: want auto, gsm7, latin1, ucs2 or ascii", *enc)
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
		return fmt.Errorf("send: -split %q: want udh8, udh16, sar or payload", *split)
	}

	rc := newReceiptWaiter()
	if *dlr {
		cfg.RegisteredDelivery = 1
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
			return fmt.Errorf("send: -hex: %w", err)
		}
		sm := &pdu.SubmitSM{DataCoding: 4, ShortMessage: data}
		if *dc >= 0 {
			sm.DataCoding = uint8(*dc)
		}
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
	if !*dlr {
		return nil
	}
	wctx, wcancel := context.WithTimeout(ctx, *dlrTimeout)
	defer wcancel()
	for _, id := range ids {
		r, err := rc.wait(wctx, id)
		if err != nil {
			return fmt.Errorf("no receipt for %s within %s", id, *dlrTimeout)
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.bind == "tx" {
		return errors.New("listen: -bind tx cannot receive; use rx or trx")
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" {
		return errors.New("query: -id is required")
	}
	cfg, err := c.config(stderr)
	if err != nil {
		return err
	}
	if cfg.Mode == client.Receiver {
		return errors.New("query: -bind rx cannot send query_sm; use trx or tx")
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *id == "" {
		return errors.New("cancel: -id is required")
	}
	cfg, err := c.config(stderr)
	if err != nil {
		return err
	}
	if cfg.Mode == client.Receiver {
		return errors.New("cancel: -bind rx cannot send cancel_sm; use trx or tx")
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
