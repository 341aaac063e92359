package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/esmsafrica/smpp/server"
	"gopkg.in/yaml.v3"
)

// Config is the gateway's configuration. Without -config the gateway runs
// the demo of defaultConfig (the embedded simulator as its operator). A YAML
// file given with -config replaces the fields it sets over the same defaults
// less the demo's upstream, route and simulator (see loadConfig): it must
// name its upstreams, or ask for the simulator with a simulator: section.
// gateway.example.yaml documents each field.
type Config struct {
	Listen          string           `yaml:"listen"`           // TLS 1.3 listener, ":2775"
	PlaintextListen string           `yaml:"plaintext_listen"` // optional plaintext listener; empty = off
	HTTPListen      string           `yaml:"http_listen"`      // metrics and status page; empty = off
	DataDir         string           `yaml:"data_dir"`         // store and generated certificate
	SystemID        string           `yaml:"system_id"`        // the gateway's system_id in bind responses
	NodeID          int              `yaml:"node_id"`          // this node's number in message ids, 0..255, unique per node; read at start
	TLS             TLSConfig        `yaml:"tls"`
	BindTimeout     Duration         `yaml:"bind_timeout"`
	EnquireLink     Duration         `yaml:"enquire_link"`
	Window          int              `yaml:"window"`           // inbound window per bind
	DeliverWindow   int              `yaml:"deliver_window"`   // deliver_sm in flight per ESME bind; 0 = window
	DeliverTimeout  Duration         `yaml:"deliver_timeout"`  // wait for an ESME's deliver_sm_resp; 0 = 30 s
	DefaultValidity Duration         `yaml:"default_validity"` // when submit_sm has no validity_period
	Retention       Duration         `yaml:"retention"`        // how long final messages stay queryable
	Accounts        []AccountConfig  `yaml:"accounts"`
	Upstreams       []UpstreamConfig `yaml:"upstreams"`
	Routes          []RouteConfig    `yaml:"routes"`
	MORoutes        []MORouteConfig  `yaml:"mo_routes"`
	Simulator       *SimConfig       `yaml:"simulator"` // embedded operator simulator (demo, bench, tests); nil = none
	FailedBinds     RateConfig       `yaml:"failed_binds"`
	Unbound         UnboundConfig    `yaml:"unbound"`
	GC              GCConfig         `yaml:"gc"`
	Store           StoreConfig      `yaml:"store"`
	HTTPAPI         HTTPAPIConfig    `yaml:"http_api"` // the JSON send API's listener (config_http.go); off unless listen is set
	Cluster         *ClusterConfig   `yaml:"cluster"`  // active-active nodes on NATS JetStream; nil = one node on its own store

	lines keyLines // where the file set each key, for errors; nil on the embedded defaults
}

// StoreConfig tunes the durable store.
type StoreConfig struct {
	// SyncInterval is the shortest time from one sync of the store's
	// write-ahead log to the next: accepted messages that arrive within it
	// share the next sync; under heavy load (64 writes or more a sync, as
	// at 20,000 messages a second on two cores) the wait grows to twice the
	// interval. Default 500µs; "0s" syncs again as soon as a sync ends (more
	// syncs and more CPU under load, a lower median); a longer one the other
	// way (fewer syncs and less CPU under load, each answer later by up to
	// the interval, or twice it under heavy load).
	SyncInterval *Duration `yaml:"sync_interval"`
	// MemTableSize is the size of the store's in-memory table ("64MiB" by
	// default; up to two are held while one is written out). Larger means
	// fewer flushes, and the short-lived entries of a message's life (its
	// queue mark, its receipt for the ESME) more often cancel out in memory
	// before they reach the disk.
	MemTableSize string `yaml:"memtable_size"`
}

// syncInterval returns the configured interval or the default.
func (s StoreConfig) syncInterval() time.Duration {
	if s.SyncInterval == nil {
		return 500 * time.Microsecond
	}
	return s.SyncInterval.D()
}

// GCConfig trades memory for latency. The Go garbage collector's mark phase
// takes CPU from everything else while it runs; with the default GOGC=100
// and the gateway's small live heap it would run several times a second,
// and submits caught in it wait. The gateway's default runs it when the heap
// has grown by Percent (1000: to 11 times the live heap) or reaches
// MemoryLimit, whichever comes first. The GOGC and GOMEMLIMIT environment
// variables, when set, win over both.
type GCConfig struct {
	Percent     int    `yaml:"percent"`      // like GOGC; -1 = off (MemoryLimit alone); 0 = default 1000
	MemoryLimit string `yaml:"memory_limit"` // like GOMEMLIMIT: "1GiB", "512MiB"; default 1GiB
}

// apply sets the collector's policy, leaving alone what GOGC or GOMEMLIMIT
// set, and says what it did.
func (g GCConfig) apply() string {
	var said []string
	if os.Getenv("GOGC") == "" {
		p := g.Percent
		if p == 0 {
			p = 1000
		}
		debug.SetGCPercent(p)
		said = append(said, fmt.Sprintf("percent=%d", p))
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		n, _ := g.memoryLimit()
		debug.SetMemoryLimit(n)
		said = append(said, fmt.Sprintf("memory_limit=%dMiB", n>>20))
	}
	return strings.Join(said, " ")
}

// TLSConfig selects the listener's certificate and client-certificate policy.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"` // empty: a self-signed certificate kept in data_dir
	KeyFile  string `yaml:"key_file"`
	// ClientCA, when set, asks clients for a certificate signed by this CA;
	// RequireClientCert makes one mandatory. A verified certificate whose
	// common name is an account's client_cert_cn binds without password.
	ClientCA          string `yaml:"client_ca"`
	RequireClientCert bool   `yaml:"require_client_cert"`
}

// AccountConfig is one ESME account.
type AccountConfig struct {
	SystemID     string   `yaml:"system_id"`
	PasswordHash string   `yaml:"password_hash"` // bcrypt; generate with: gateway -hash-password
	Password     string   `yaml:"password"`      // plaintext, hashed at load (demo only)
	BindModes    []string `yaml:"bind_modes"`    // trx, tx, rx; empty = all
	MaxBinds     int      `yaml:"max_binds"`     // 0 = unlimited
	AllowIPs     []string `yaml:"allow_ips"`     // CIDRs or addresses; empty = any
	Rate         float64  `yaml:"rate"`          // msg/s across all binds: default 100, 50..5000
	Burst        int      `yaml:"burst"`         // default = rate/10, at least 10
	ClientCertCN string   `yaml:"client_cert_cn"`
	// Unlimited lifts the 50..5000 msg/s range (rate 0 = no limit): for load tests only.
	Unlimited bool `yaml:"unlimited"`
	// Shaping (default true) holds a submission over the rate until the
	// rate allows it, for at most ShapingMaxWait (default 3s), instead of
	// answering ESME_RTHROTTLED at once: a client that does not pace
	// itself gets its whole window. Past the bound (at most rate ×
	// shaping_max_wait held per account) it is ESME_RTHROTTLED. false:
	// ESME_RTHROTTLED at once (policing). See limits_wiring.go.
	Shaping        *bool    `yaml:"shaping"`
	ShapingMaxWait Duration `yaml:"shaping_max_wait"`
	// The HTTP side (config_http.go): where receipts and MO go (smpp,
	// webhook or both; default smpp), the webhook, and the SHA-256 of the
	// account's HTTP API keys ("sha256:<hex>"; the password works too, by
	// HTTP Basic).
	DeliverTo string         `yaml:"deliver_to"`
	Webhook   *WebhookConfig `yaml:"webhook"`
	APIKeys   []string       `yaml:"api_keys"`
}

// UpstreamConfig is one operator SMSC connection (a client with its binds).
type UpstreamConfig struct {
	Name               string   `yaml:"name"`
	Addrs              []string `yaml:"addrs"` // several = active-active endpoints
	TLS                bool     `yaml:"tls"`
	InsecureSkipVerify bool     `yaml:"insecure_skip_verify"`
	SystemID           string   `yaml:"system_id"`
	Password           string   `yaml:"password"`
	Binds              int      `yaml:"binds"`  // transceiver binds per endpoint; default 1
	Window             int      `yaml:"window"` // default 100
	Rate               float64  `yaml:"rate"`   // msg/s; 0 = unlimited
	// DedupeTLV is a vendor TLV tag the upstream treats as an idempotency key
	// (the embedded simulator does). With it, a message whose submit_sm was sent
	// but not answered before a crash is sent again safely; without it such a
	// message is marked UNKNOWN and never sent twice. See README "Crash policy".
	DedupeTLV uint16 `yaml:"dedupe_tlv"`
}

// RouteConfig sends destinations with a prefix to upstreams, in failover order.
type RouteConfig struct {
	Prefix    string   `yaml:"prefix"`  // "" matches everything
	Account   string   `yaml:"account"` // optional: only this account
	Source    string   `yaml:"source"`  // optional: only this source_addr prefix
	Upstreams []string `yaml:"upstreams"`
}

// MORouteConfig sends MO messages whose destination has a prefix to an account.
type MORouteConfig struct {
	Prefix  string `yaml:"prefix"`
	Account string `yaml:"account"`
}

// SimConfig configures the embedded operator simulator, which runs in the
// gateway's process and delivers nothing to a real network: for the demo,
// the benchmark and tests. An upstream named "sim" without addrs binds to
// it. A build with -tags nosimulator has no simulator and refuses the
// section (see demo.go).
type SimConfig struct {
	Listen    string   `yaml:"listen"` // default 127.0.0.1:0
	SystemID  string   `yaml:"system_id"`
	Password  string   `yaml:"password"`
	DLRDelay  Duration `yaml:"dlr_delay"`
	DedupeTLV uint16   `yaml:"dedupe_tlv"`
}

// UnboundConfig limits the connections that have not bound yet (in their
// TLS handshake or waiting to bind), so that unauthenticated peers cannot
// exhaust the gateway; bind_timeout closes each after 30 s at the latest.
// The defaults are the server package's.
type UnboundConfig struct {
	HandshakeTimeout Duration `yaml:"handshake_timeout"` // TLS handshake; default 10s
	MaxConns         int      `yaml:"max_conns"`         // at once, in all; default 1024; -1 = no limit
	MaxPerAddr       int      `yaml:"max_per_addr"`      // at once, from one IP address (IPv6: one /64); default 64; -1 = no limit
}

// RateConfig is a rate with a burst.
type RateConfig struct {
	PerMinute float64 `yaml:"per_minute"`
	Burst     int     `yaml:"burst"`
}

// Duration is a time.Duration written as "30s" in YAML.
type Duration time.Duration

// UnmarshalYAML reads "30s", "5m"...
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 30s: %w", n.Line, n.Value, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as "30s".
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

const defaultDedupeTag = 0x1501

// demoPassword is the built-in demo account's password, which the README
// publishes: validate refuses it on a listener open to the network.
const demoPassword = "demo1234"

// defaultConfig is the demo the gateway runs when no file is given: a TLS
// listener on 127.0.0.1:2775 (loopback only: the demo account's password is
// public) with a self-signed certificate, a demo account, the
// embedded store in ./gateway-data and the embedded simulator as the only
// upstream (a simulated operator: nothing reaches a real network).
func defaultConfig() *Config {
	return &Config{
		Listen:          "127.0.0.1:2775",
		HTTPListen:      "127.0.0.1:8080",
		DataDir:         "gateway-data",
		SystemID:        "GATEWAY",
		BindTimeout:     Duration(30 * time.Second),
		EnquireLink:     Duration(30 * time.Second),
		Window:          1000,
		DefaultValidity: Duration(48 * time.Hour),
		Retention:       Duration(72 * time.Hour),
		Accounts: []AccountConfig{{
			SystemID: "demo", Password: demoPassword, Rate: 100,
		}},
		Upstreams: []UpstreamConfig{{
			Name: "sim", SystemID: "gateway", Password: "sim", Binds: 2, Window: 1000, DedupeTLV: defaultDedupeTag,
		}},
		Routes:   []RouteConfig{{Prefix: "", Upstreams: []string{"sim"}}},
		MORoutes: []MORouteConfig{{Prefix: "", Account: "demo"}},
		Simulator: &SimConfig{
			Listen: "127.0.0.1:0", SystemID: "gateway", Password: "sim",
			DLRDelay: Duration(100 * time.Millisecond), DedupeTLV: defaultDedupeTag,
		},
		FailedBinds: RateConfig{PerMinute: 20, Burst: 10},
		Unbound: UnboundConfig{
			HandshakeTimeout: Duration(server.DefaultHandshakeTimeout),
			MaxConns:         server.DefaultMaxUnboundConns,
			MaxPerAddr:       server.DefaultMaxUnboundPerAddr,
		},
	}
}

// errNoUpstreams says what a configuration without upstreams lacks.
var errNoUpstreams = errors.New("no upstreams: add an upstreams: entry with the operator's addrs " +
	"(and a routes: entry that uses it; see examples/gateway/gateway.example.yaml), " +
	"or a simulator: section to try the gateway against the embedded operator simulator (a demo: nothing reaches a real network)")

// loadConfig reads the configuration. Without a path it is the demo of
// defaultConfig. A YAML file is read over the same defaults less the demo's
// upstream, route and simulator: the gateway runs the simulator only when
// the file has a simulator: section (whose unset keys keep the demo's
// values), and a file with such a section but no upstreams: gets the demo's
// "sim" upstream (and, without routes:, the demo's route to it). Lists in the
// file (accounts, upstreams, routes, mo_routes) replace the default lists
// whole, and a default list that refers to a replaced one goes with it: a
// file with accounts: and no mo_routes: has no MO routes (the default one
// names the demo account). The file is checked key by key first (see
// checkYAML): an error names the key's path and line.
func loadConfig(path string) (*Config, error) {
	cfg := defaultConfig()
	if path == "" {
		if !simulatorBuiltIn {
			return nil, errors.New("no -config given, and this gateway was built with -tags nosimulator: " +
				"it has no embedded simulator for the demo; run it with -config FILE " +
				"(start from examples/gateway/gateway.example.yaml)")
		}
		return cfg, cfg.validate()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg.lines = keyLines{}
	if err := checkYAML(&doc, cfg.lines); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	demoUpstreams, demoRoutes := cfg.Upstreams, cfg.Routes
	cfg.Upstreams, cfg.Routes = nil, nil
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	set := func(key string) bool { _, ok := cfg.lines[key]; return ok }
	if !set("simulator") {
		cfg.Simulator = nil
	}
	if !set("upstreams") && cfg.Simulator != nil {
		cfg.Upstreams = demoUpstreams
		if !set("routes") {
			cfg.Routes = demoRoutes
		}
	}
	if set("accounts") && !set("mo_routes") {
		cfg.MORoutes = nil // the default one names the demo account
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}
