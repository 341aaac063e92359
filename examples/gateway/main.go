// Command gateway is the reference SMPP gateway: what a commercial SMPP
// service offers an ESME, on one host, composed from this module's packages.
//
// Run it with no flags and it starts the demo on embedded defaults: a TLS 1.3
// listener on :2775 with a self-signed certificate generated on first start,
// a demo account, a durable store in ./gateway-data and an embedded operator
// simulator as the upstream (a simulated operator: nothing reaches a real
// network). It prints how to connect. With -config the gateway runs the
// upstreams the file names, and the simulator only if the file has a
// simulator: section (demo.go; a build with -tags nosimulator has none).
//
//	go run ./examples/gateway
//	go run ./examples/gateway -config gateway.yaml
//
// See gateway.example.yaml for every setting, and the README for the crash
// policy (what happens to a message whose upstream submit was in flight).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/esmsafrica/smpp/examples/gateway/httpapi/jskeeper"
	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
)

func main() {
	var (
		configPath = flag.String("config", "", "YAML configuration file (default: embedded defaults)")
		dataDir    = flag.String("data", "", "data folder for the store and certificate (default ./gateway-data)")
		listen     = flag.String("listen", "", "TLS listener address (default :2775)")
		plain      = flag.String("plaintext-listen", "", "also listen without TLS on this address (for local tests and captures only)")
		httpAddr   = flag.String("http", "", "metrics and status page address (default 127.0.0.1:8080; \"off\" disables)")
		logLevel   = flag.String("log-level", "info", "debug, info, warn or error")
		hashPW     = flag.String("hash-password", "", "print the bcrypt hash of a password for the config file, and exit")
		httpAPI    = flag.String("http-api", "", "HTTP API address (the demo's default 127.0.0.1:8081; \"off\" disables)")
		natsOnly   = flag.Bool("nats-only", false, "run only the NATS server of the config's cluster: section (a third server for the quorum), no gateway")
	)
	flag.Parse()
	if *hashPW != "" {
		h, err := bcrypt.GenerateFromPassword([]byte(*hashPW), bcrypt.DefaultCost)
		if err != nil {
			fatal(err)
		}
		fmt.Println(string(h))
		return
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		fatal(fmt.Errorf("-log-level: %w", err))
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	slog.SetDefault(log)

	if *natsOnly {
		cfg, err := loadNATSOnlyConfig(*configPath)
		if err == nil {
			err = runNATSOnly(cfg, log)
		}
		if err != nil {
			fatal(err)
		}
		return
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fatal(err)
	}
	if did := cfg.GC.apply(); did != "" {
		log.Info("garbage collector", "policy", did)
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *plain != "" {
		cfg.PlaintextListen = *plain
	}
	if *httpAddr == "off" {
		cfg.HTTPListen = ""
	} else if *httpAddr != "" {
		cfg.HTTPListen = *httpAddr
	}
	if err := cfg.checkExposure(); err != nil { // -listen may have opened the demo to the network
		fatal(err)
	}
	if *configPath == "" {
		cfg.HTTPAPI.Listen = demoHTTPAPIListen // the demo's HTTP API (README: HTTP API and webhooks)
	}
	if *httpAPI == "off" {
		cfg.HTTPAPI.Listen = ""
	} else if *httpAPI != "" {
		cfg.HTTPAPI.Listen = *httpAPI
	}
	if err := cfg.validateHTTP(); err != nil { // -http-api may have opened it to the network
		fatal(err)
	}
	app, err := start(cfg, log, *configPath)
	if err != nil {
		fatal(err)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			if err := app.reload(); err != nil {
				log.Error("reload failed; keeping the running configuration", "err", err)
			}
			continue
		}
		log.Info("shutting down", "signal", sig.String())
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		app.shutdown(ctx)
		cancel()
		return
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gateway:", err)
	os.Exit(1)
}

// app is a running gateway with its listeners.
type app struct {
	gw         *Gateway
	sim        *embeddedSimulator // nil unless the configuration has a simulator: section
	cluster    *clusterNode       // nil unless the configuration has a cluster: section
	listeners  []net.Listener
	httpSrv    *http.Server
	http       *httpSide // the HTTP API and the webhooks (http_api_listener.go)
	configPath string
	log        *slog.Logger
	Addr       string // the TLS listener's address
	PlainAddr  string // the plaintext listener's address, if any
	HTTPAddr   string
	SimAddr    string // the embedded simulator's address, if it runs
	Cert       string // certificate fingerprint
	TrustFile  string // the CA file clients should trust, for a generated certificate
	stopOnce   sync.Once
}

// start opens the store, starts the simulator (if configured), the upstream
// clients, the listeners and the background loops, and prints how to connect.
func start(cfg *Config, log *slog.Logger, configPath string) (*app, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	memtable, err := cfg.Store.memTableSize()
	if err != nil {
		return nil, err // validate refuses it first; start may be called without it
	}
	var st store.Store
	var cn *clusterNode
	if cfg.Cluster != nil {
		// A node of a cluster: the parts on JetStream (cluster.go).
		cn, st, err = openCluster(cfg, log)
		if err != nil {
			return nil, err
		}
	} else {
		st, err = store.OpenPebble(filepath.Join(cfg.DataDir, "store"), store.PebbleOptions{
			SyncInterval: cfg.Store.syncInterval(), MemTableSize: memtable,
			Queue: queue.PebbleOptions{Options: queue.Options{Lease: claimLease, MaxLen: maxQueued}},
		})
		if err != nil {
			return nil, fmt.Errorf("opening the store in %s: %w (is another gateway running on it?)", cfg.DataDir, err)
		}
	}
	m := newMetrics()
	gw, err := newGateway(cfg, st, log, m)
	if err != nil {
		st.Close()
		cn.close(log)
		return nil, err
	}
	if cn != nil {
		// The registry of accounts is applied to the cluster's limits at
		// the first bind or submission (limitsNow).
		gw.limits = &accountLimits{lim: cn.limits}
		fenceGateway(gw, cn.quorum)
		// Each node binds its share of the upstreams' binds, and renews
		// the short lease of a ticket while its upstream answers.
		gw.up = gw.newDispatcher(cn.slots, clusterClaimExtend)
	} else {
		gw.up = gw.newDispatcher(nil, 0)
	}
	a := &app{gw: gw, cluster: cn, configPath: configPath, log: log}
	fail := func(err error) (*app, error) {
		a.shutdown(context.Background())
		return nil, err
	}

	// The embedded operator simulator, only when the configuration asks for it.
	if cfg.Simulator != nil {
		if err := a.startSimulator(cfg.Simulator, log); err != nil {
			return fail(err)
		}
	}

	// Upstreams, then routing.
	for _, uc := range cfg.Upstreams {
		if err := gw.addUpstream(uc, a.SimAddr); err != nil {
			return fail(err)
		}
	}
	gw.run()

	// Listeners.
	tc, fp, trust, err := tlsConfig(cfg, log)
	if err != nil {
		return fail(err)
	}
	a.Cert, a.TrustFile = fp, trust
	tl, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fail(fmt.Errorf("listening on %s: %w", cfg.Listen, err))
	}
	a.listeners = append(a.listeners, tl)
	a.Addr = tl.Addr().String()
	gw.srv.TLSConfig = tc
	go gw.srv.ServeTLS(tl, "", "")
	if cfg.PlaintextListen != "" {
		pl, err := net.Listen("tcp", cfg.PlaintextListen)
		if err != nil {
			return fail(fmt.Errorf("listening on %s: %w", cfg.PlaintextListen, err))
		}
		a.listeners = append(a.listeners, pl)
		a.PlainAddr = pl.Addr().String()
		go gw.srv.Serve(pl)
		log.Warn("plaintext SMPP listener open: for local tests and captures only", "addr", a.PlainAddr)
	}
	if cfg.HTTPListen != "" {
		hl, err := net.Listen("tcp", cfg.HTTPListen)
		if err != nil {
			return fail(fmt.Errorf("http listener %s: %w", cfg.HTTPListen, err))
		}
		a.HTTPAddr = hl.Addr().String()
		a.httpSrv = &http.Server{Handler: gw.httpHandler(), ReadHeaderTimeout: 5 * time.Second}
		go a.httpSrv.Serve(hl)
	}
	var shared *jskeeper.Keeper
	if cn != nil {
		shared = cn.http
	}
	hs, err := startHTTPSide(gw, cfg, shared)
	if err != nil {
		return fail(err)
	}
	a.http = hs
	a.banner(bannerOut, cfg)
	return a, nil
}

// bannerOut receives the start-up banner (tests silence it).
var bannerOut io.Writer = os.Stdout

// banner writes how to connect. It never prints a password from a
// configuration file (the banner ends up in logs and terminals' scrollback):
// only the built-in demo account's, which the README publishes, when the
// gateway runs on its embedded defaults, and so on loopback only (validate
// and checkExposure refuse that password on a listener open to the network).
func (a *app) banner(w io.Writer, cfg *Config) {
	printf := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	printf("SMPP gateway ready\n")
	printf("  SMPP over TLS 1.3:  %s   (certificate SHA-256 %s)\n", a.Addr, a.Cert)
	if a.TrustFile != "" {
		printf("  TLS trust:          clients verify the gateway with %s (the CA of this one certificate)\n", a.TrustFile)
	}
	if a.PlainAddr != "" {
		printf("  SMPP plaintext:     %s   (tests and captures only)\n", a.PlainAddr)
	}
	if a.HTTPAddr != "" {
		printf("  status page:        http://%s/   metrics: http://%s/metrics\n", a.HTTPAddr, a.HTTPAddr)
	}
	if a.http != nil && a.http.Addr != "" {
		scheme := "http"
		if a.http.TLS {
			scheme = "https"
		}
		printf("  HTTP API:           %s://%s/v1/messages   (OpenAPI: %s://%s/v1/openapi.json)\n", scheme, a.http.Addr, scheme, a.http.Addr)
	}
	if a.SimAddr != "" {
		printf("  upstream simulator: %s   (simulated operator in this process: nothing reaches a real network)\n", a.SimAddr)
		if a.configPath == "" {
			printf("  DEMO:               no -config given, so this is a demo against a simulated operator.\n" +
				"                      For real traffic: copy examples/gateway/gateway.example.yaml, set your upstreams\n" +
				"                      (the operator's addrs), accounts and routes, and run with -config FILE.\n")
		}
	}
	printf("  data folder:        %s\n", cfg.DataDir)
	demo := a.builtinDemo(cfg)
	var try *AccountConfig
	for i, ac := range cfg.Accounts {
		if ac.SystemID == demo {
			printf("  account:            system_id=%s password=%s (%.0f msg/s; the built-in demo account, whose password the README\n"+
				"                      publishes: loopback listeners only; -config FILE replaces it)\n", ac.SystemID, ac.Password, ac.Rate)
		} else {
			printf("  account:            system_id=%s (%.0f msg/s)\n", ac.SystemID, ac.Rate)
		}
		if try == nil && (ac.Password != "" || ac.PasswordHash != "") {
			try = &cfg.Accounts[i]
		}
	}
	if try == nil {
		return
	}
	_, port, err := net.SplitHostPort(a.Addr)
	if err != nil {
		port = "2775"
	}
	pw := "'PASSWORD'"
	if try.SystemID == demo {
		pw = try.Password
	}
	printf("try:\n  go run ./examples/smppcli send -addr 127.0.0.1:%s -tls -insecure-skip-verify -system-id %s -password %s -from 12345 -to 254700000001 -text 'Hello' -wait-dlr\n",
		port, try.SystemID, pw)
	if try.SystemID != demo {
		from := "the configuration"
		if a.configPath != "" {
			from = a.configPath
		}
		printf("  (PASSWORD: the password of %s in %s; the gateway does not print it)\n", try.SystemID, from)
	}
}

// builtinDemo is the system_id of the built-in demo account when the gateway
// runs on its embedded defaults with that account as it is, or "".
func (a *app) builtinDemo(cfg *Config) string {
	if a.configPath != "" {
		return ""
	}
	def := defaultConfig().Accounts[0]
	for _, ac := range cfg.Accounts {
		if ac.SystemID == def.SystemID && ac.Password == def.Password && ac.PasswordHash == "" {
			return ac.SystemID
		}
	}
	return ""
}

// reload re-reads the configuration file and applies accounts and routes
// without dropping binds.
func (a *app) reload() error {
	cfg, err := loadConfig(a.configPath)
	if err != nil {
		return err
	}
	as, err := loadAccounts(cfg.Accounts)
	if err != nil {
		return err
	}
	old := a.gw.cfg.Load()
	cfg.DataDir, cfg.Listen, cfg.PlaintextListen, cfg.HTTPListen = old.DataDir, old.Listen, old.PlaintextListen, old.HTTPListen
	for _, uc := range cfg.Upstreams {
		if a.gw.up.SMSC(uc.Name) == nil {
			if err := a.gw.addUpstream(uc, a.SimAddr); err != nil {
				return err
			}
		}
	}
	a.gw.accounts.Store(as)
	a.gw.cfg.Store(cfg)
	if a.http != nil {
		a.http.reload(cfg)
	}
	a.log.Info("configuration reloaded", "accounts", len(cfg.Accounts), "routes", len(cfg.Routes))
	return nil
}

// shutdown unbinds every ESME, stops routing, closes the upstreams and the
// store. Only the first call does anything.
func (a *app) shutdown(ctx context.Context) {
	a.stopOnce.Do(func() { a.stop(ctx) })
}

func (a *app) stop(ctx context.Context) {
	a.cluster.stopQuorum()
	for _, l := range a.listeners {
		l.Close()
	}
	if a.gw != nil {
		a.gw.srv.Shutdown(ctx)
	}
	if a.httpSrv != nil {
		a.httpSrv.Shutdown(ctx)
	}
	if a.http != nil {
		a.http.stop(ctx)
	}
	if a.gw != nil {
		a.gw.stop(ctx)
	}
	a.stopSimulator(ctx)
	if a.gw != nil {
		if err := a.gw.store.Close(); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("closing the store", "err", err)
		}
	}
	a.cluster.close(a.log)
}
