// Command smsc-sim is an operator SMSC simulator: it accepts SMPP 3.4 binds,
// answers submissions with message ids, sends delivery receipts after a delay
// with a configurable outcome mix, answers query_sm / cancel_sm / replace_sm
// from its own message store, sends MO messages on demand, and injects
// faults. The logic lives in package sim; this is a flag-parsing wrapper.
//
//	go run ./examples/smsc-sim -listen 127.0.0.1:2776 -system-id test -password secret
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/tlv"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "smsc-sim:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("smsc-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		listen       = fs.String("listen", "127.0.0.1:2776", "`address` to listen on")
		systemID     = fs.String("system-id", "", "accept this system_id (with -password); with neither it nor -accounts, any credentials are accepted")
		password     = fs.String("password", "", "password of -system-id")
		accounts     = fs.String("accounts", "", "`file` of accounts: JSON [{system_id, password, rate, burst, max_binds, modes}] or lines \"system_id password [rate=N] [max_binds=N] [modes=tx,rx,trx]\"")
		rate         = fs.Float64("rate", 0, "throughput window per system_id, messages/s (excess gets ESME_RTHROTTLED); 0 = unlimited")
		smscID       = fs.String("smsc-id", "SMSCSIM", "system_id of the simulator in bind responses")
		tlsCert      = fs.String("tls-cert", "", "serve TLS 1.3 with this PEM certificate `file` (and -tls-key)")
		tlsKey       = fs.String("tls-key", "", "PEM key `file` for -tls-cert")
		selfSigned   = fs.Bool("tls-self-signed", false, "serve TLS 1.3 with a generated self-signed certificate")
		idFormat     = fs.String("id-format", "hex", "message id format: hex, dec or uuid")
		dlrDelay     = fs.String("dlr-delay", "0", "delay before the final state and receipt: D or MIN-MAX (\"1s\", \"200ms-3s\")")
		outcomes     = fs.String("outcomes", "", "outcome mix, STAT[:ERR]=PERCENT,... (\"DELIVRD=90,UNDELIV:001=5,EXPIRED=3,REJECTD:069=2\"); default all DELIVRD")
		prefixOut    = fs.String("outcome-prefix", "", "outcomes forced by destination prefix, PREFIX=STAT[:ERR],... (\"2547001=UNDELIV:001\")")
		dlrSeconds   = fs.Bool("dlr-seconds", false, "receipt dates with seconds (12 digits) instead of 10")
		dlrTLVs      = fs.Bool("dlr-tlvs", true, "receipts carry receipted_message_id, message_state and network_error_code")
		storeSize    = fs.Int("store-size", 1<<20, "messages kept for query_sm/cancel_sm/replace_sm (oldest overwritten)")
		storeTTL     = fs.Duration("store-ttl", 24*time.Hour, "how long messages stay queryable")
		queueSize    = fs.Int("queue-size", 200_000, "receipts/MO held per system_id while none of its binds can receive")
		moRate       = fs.Float64("mo-rate", 0, "MO messages per second to bound receivers; 0 = none")
		moSystem     = fs.String("mo-system-id", "", "system_id the MO messages go to (default: the first account, or every bound one)")
		moFrom       = fs.String("mo-from", "", "source address of -mo-rate messages (default random 2547xxxxxxxx)")
		moTo         = fs.String("mo-to", "1000", "destination address of MO messages")
		moText       = fs.String("mo-text", "MO message {n}", "text of -mo-rate messages; {n} is a counter")
		httpAddr     = fs.String("http", "", "`address` of the HTTP API (POST /mo, GET /stats, GET /messages/ID); empty = none")
		stdinCmds    = fs.Bool("stdin", false, "read commands from stdin: \"mo FROM TO TEXT\", \"mo@SYSTEM_ID FROM TO TEXT\", \"stats\"")
		dropAfter    = fs.Int("drop-after", 0, "fault: close each connection after answering N submissions")
		throttleK    = fs.Int("throttle-every", 0, "fault: answer every Kth submission of a connection with ESME_RTHROTTLED")
		qfullK       = fs.Int("queue-full-every", 0, "fault: answer every Kth submission of a connection with ESME_RMSGQFUL")
		respDelay    = fs.String("resp-delay", "0", "fault: delay every submission response: D or MIN-MAX")
		window       = fs.Int("window", 1000, "deliver_sm in flight per session")
		enquire      = fs.Duration("enquire-link", 30*time.Second, "enquire_link interval on idle sessions (negative: never)")
		logLevel     = fs.String("log-level", "info", "log level: debug, info, warn, error")
		logJSON      = fs.Bool("log-json", false, "logs as JSON lines")
		statsEvery   = fs.Duration("stats-every", 0, "log the counters this often (0: never)")
		cpuProfile   = fs.String("cpuprofile", "", "write a CPU profile to `file` until exit")
		dedupeTLV    = fs.String("dedupe-tlv", "0", "TLV `tag` (e.g. 0x1501) whose value is an idempotency key: a submission repeating a key is answered with the id it got, not stored again; 0 = none")
		journal      = fs.String("journal", "", "append one JSON line per accepted submission {\"ev\":\"submit\",t,key,id,dup,text} and per acknowledged receipt {\"ev\":\"receipt\",t,id,stat} to `file` (tests)")
		maxProcsHint = fs.Bool("gomaxprocs", false, "print GOMAXPROCS at start")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(stderr, hopts)
	if *logJSON {
		h = slog.NewJSONHandler(stderr, hopts)
	}
	log := slog.New(h)

	cfg := sim.Config{
		Rate:                *rate,
		SystemID:            *smscID,
		ReceiptSeconds:      *dlrSeconds,
		NoReceiptTLVs:       !*dlrTLVs,
		StoreSize:           *storeSize,
		StoreTTL:            *storeTTL,
		QueueSize:           *queueSize,
		MORate:              *moRate,
		MOSystemID:          *moSystem,
		MOFrom:              *moFrom,
		MOTo:                *moTo,
		MOText:              *moText,
		DropAfter:           *dropAfter,
		ThrottleEvery:       *throttleK,
		QueueFullEvery:      *qfullK,
		Window:              *window,
		EnquireLinkInterval: *enquire,
		Logger:              log,
	}
	var err error
	tag, err := strconv.ParseUint(*dedupeTLV, 0, 16)
	if err != nil {
		return fmt.Errorf("-dedupe-tlv: %w", err)
	}
	cfg.DedupeTLV = tlv.Tag(tag)
	if *journal != "" {
		// Not closed: handlers still running when a graceful shutdown
		// times out keep writing until the process exits.
		j, err := openJournal(*journal)
		if err != nil {
			return fmt.Errorf("-journal: %w", err)
		}
		cfg.OnSubmit, cfg.OnReceipt = j.submit, j.receipt
	}
	if cfg.IDFormat, err = sim.ParseIDFormat(*idFormat); err != nil {
		return err
	}
	if cfg.ReceiptDelay, cfg.ReceiptDelayMax, err = sim.ParseDelayRange(*dlrDelay); err != nil {
		return fmt.Errorf("-dlr-delay: %w", err)
	}
	if cfg.ResponseDelay, cfg.ResponseDelayMax, err = sim.ParseDelayRange(*respDelay); err != nil {
		return fmt.Errorf("-resp-delay: %w", err)
	}
	if cfg.Outcomes, err = sim.ParseOutcomes(*outcomes); err != nil {
		return fmt.Errorf("-outcomes: %w", err)
	}
	if cfg.PrefixOutcomes, err = sim.ParsePrefixOutcomes(*prefixOut); err != nil {
		return fmt.Errorf("-outcome-prefix: %w", err)
	}
	if *accounts != "" {
		if cfg.Accounts, err = sim.LoadAccounts(*accounts); err != nil {
			return err
		}
	}
	if *systemID != "" {
		cfg.Accounts = append(cfg.Accounts, sim.Account{SystemID: *systemID, Password: *password})
	} else if *password != "" {
		return errors.New("-password needs -system-id")
	}
	scheme := "plaintext"
	var fingerprint string
	switch {
	case *tlsCert != "" || *tlsKey != "":
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			return fmt.Errorf("loading -tls-cert/-tls-key: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
		scheme = "TLS 1.3"
	case *selfSigned:
		host, _, _ := net.SplitHostPort(*listen)
		hosts := []string{"127.0.0.1", "::1", "localhost"}
		if host != "" && host != "0.0.0.0" && host != "::" && host != "127.0.0.1" && host != "localhost" {
			hosts = append(hosts, host)
		}
		cert, fp, err := sim.SelfSignedCert(hosts...)
		if err != nil {
			return err
		}
		fingerprint = fp
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
		scheme = "TLS 1.3, self-signed"
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}

	s := sim.New(cfg)
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.Serve(l) }()

	var hs *http.Server
	if *httpAddr != "" {
		hl, err := net.Listen("tcp", *httpAddr)
		if err != nil {
			return err
		}
		hs = &http.Server{Handler: s.HTTPHandler(), ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(hl)
		*httpAddr = hl.Addr().String()
	}

	printBanner(stdout, l.Addr().String(), scheme, fingerprint, cfg, *httpAddr)
	if *maxProcsHint {
		fmt.Fprintf(stdout, "GOMAXPROCS=%d\n", runtime.GOMAXPROCS(0))
	}
	if *stdinCmds {
		go readCommands(stdin, stdout, s, log)
	}
	var tick <-chan time.Time
	if *statsEvery > 0 {
		t := time.NewTicker(*statsEvery)
		defer t.Stop()
		tick = t.C
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	for {
		select {
		case <-tick:
			st := s.Stats()
			log.Info("stats", "submitted", st.Submitted, "dedupe_hits", st.DedupeHits, "receipts_sent", st.ReceiptsSent, "mo_sent", st.MOSent,
				"pending", st.Pending, "throttled", st.Throttled, "bound", st.Bound, "dropped", st.Dropped)
			continue
		case err := <-serveErr:
			if errors.Is(err, server.ErrServerClosed) {
				return nil
			}
			return err
		case got := <-sig:
			log.Info("shutting down", "signal", got.String())
		}
		break
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if hs != nil {
		hs.Shutdown(ctx)
	}
	err = s.Shutdown(ctx)
	st := s.Stats()
	log.Info("stopped", "submitted", st.Submitted, "receipts_sent", st.ReceiptsSent, "mo_sent", st.MOSent, "pending", st.Pending)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

func printBanner(w io.Writer, addr, scheme, fingerprint string, cfg sim.Config, httpAddr string) {
	fmt.Fprintf(w, "smsc-sim listening on %s (%s)\n", addr, scheme)
	if fingerprint != "" {
		fmt.Fprintf(w, "  certificate SHA-256: %s\n", fingerprint)
	}
	id, pw := "any", "any"
	if len(cfg.Accounts) > 0 {
		id, pw = cfg.Accounts[0].SystemID, cfg.Accounts[0].Password
		if len(cfg.Accounts) > 1 {
			fmt.Fprintf(w, "  %d accounts\n", len(cfg.Accounts))
		}
	} else {
		fmt.Fprintln(w, "  any system_id and password are accepted")
	}
	tlsFlags := ""
	if cfg.TLS != nil {
		tlsFlags = " -tls -insecure-skip-verify"
	}
	if id == "any" {
		id, pw = "test", "secret"
	}
	fmt.Fprintf(w, "  connect: smppcli send -addr %s%s -system-id %s -password %s -from 1000 -to 254700000001 -text hello -wait-dlr\n", addr, tlsFlags, id, pw)
	fmt.Fprintf(w, "  bench:   smppcli bench -addr %s%s -system-id %s -password %s -n 100000 -binds 2 -window 1000\n", addr, tlsFlags, id, pw)
	if httpAddr != "" {
		fmt.Fprintf(w, "  http:    curl -d from=254700000001 -d to=1000 -d text=hi http://%s/mo ; curl http://%s/stats\n", httpAddr, httpAddr)
	}
}

// readCommands reads "mo FROM TO TEXT", "mo@SYSTEM_ID FROM TO TEXT" and
// "stats" lines.
func readCommands(r io.Reader, w io.Writer, s *sim.Simulator, log *slog.Logger) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		cmd, rest, _ := strings.Cut(line, " ")
		switch {
		case cmd == "stats":
			b, _ := json.Marshal(s.Stats())
			fmt.Fprintln(w, string(b))
		case cmd == "mo" || strings.HasPrefix(cmd, "mo@"):
			f := strings.SplitN(strings.TrimSpace(rest), " ", 3)
			if len(f) < 3 {
				fmt.Fprintln(w, "usage: mo[@SYSTEM_ID] FROM TO TEXT")
				continue
			}
			_, sys, _ := strings.Cut(cmd, "@")
			n, err := s.SendMO(sim.MO{SystemID: sys, From: f[0], To: f[1], Text: f[2]})
			if err != nil {
				log.Warn("mo", "err", err)
				continue
			}
			log.Info("mo queued", "from", f[0], "to", f[1], "segments", n)
		default:
			fmt.Fprintln(w, "commands: mo[@SYSTEM_ID] FROM TO TEXT | stats")
		}
	}
}
