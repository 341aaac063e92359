package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// TestConfigExampleLoads: the production template loads, with its operator
// upstream and no simulator, and the embedded defaults (the demo) validate.
func TestConfigExampleLoads(t *testing.T) {
	cfg, err := loadConfig("gateway.example.yaml")
	if err != nil {
		t.Fatalf("gateway.example.yaml: %v", err)
	}
	if cfg.Listen != "127.0.0.1:2775" || cfg.SystemID != "GATEWAY" || cfg.Retention.D() != 72*time.Hour {
		t.Errorf("unexpected values: listen %q system_id %q retention %v", cfg.Listen, cfg.SystemID, cfg.Retention.D())
	}
	if len(cfg.Accounts) != 1 || cfg.Accounts[0].SystemID != "demo" || cfg.Accounts[0].Rate != 100 || cfg.Accounts[0].Burst != 10 {
		t.Errorf("accounts: %+v", cfg.Accounts)
	}
	if len(cfg.Upstreams) != 1 || cfg.Upstreams[0].Name != "operator" || len(cfg.Upstreams[0].Addrs) != 1 || cfg.Upstreams[0].Binds != 2 {
		t.Errorf("upstreams: %+v", cfg.Upstreams)
	}
	// The production template runs no simulator.
	if cfg.Simulator != nil {
		t.Errorf("simulator: %+v", cfg.Simulator)
	}
	if _, err := loadAccounts(cfg.Accounts); err != nil {
		t.Errorf("accounts of the example: %v", err)
	}
	// The embedded defaults validate too.
	if _, err := loadConfig(""); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// TestConfigErrors: a bad configuration is refused with a message that says
// what is wrong.
func TestConfigErrors(t *testing.T) {
	// op is an upstream with its route, for the cases about something else.
	const op = "upstreams: [{name: op, addrs: [\"127.0.0.1:1\"]}]\nroutes: [{prefix: \"\", upstreams: [op]}]\n"
	base := func(extra string) string {
		return "accounts:\n  - {system_id: a, password: pw}\nupstreams:\n  - {name: sim, addrs: [\"127.0.0.1:1\"], system_id: g, password: p}\n" + extra
	}
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown upstream in a route", base("routes:\n  - {prefix: \"254\", upstreams: [nowhere]}\nmo_routes: [{prefix: \"\", account: a}]\n"), `unknown upstream "nowhere"`},
		{"route without upstream", base("routes:\n  - {prefix: \"254\", upstreams: []}\nmo_routes: [{prefix: \"\", account: a}]\n"), "lists no upstream"},
		{"rate too low", op + "accounts:\n  - {system_id: a, password: pw, rate: 10}\nmo_routes: [{prefix: \"\", account: a}]\n", "rate 10 msg/s outside 50..5000"},
		{"rate too high", op + "accounts:\n  - {system_id: a, password: pw, rate: 100000}\nmo_routes: [{prefix: \"\", account: a}]\n", "outside 50..5000"},
		{"unknown key", "listn: \":2775\"\n", "listn: unknown key (line 1); did you mean listen?"},
		{"unknown account key", "accounts:\n  - {system_id: a, password: pw, ratee: 100}\n", "accounts[0].ratee: unknown key (line 2); did you mean rate?"},
		{"bad duration", "bind_timeout: 30 seconds\n", "is not a duration"},
		{"bad bind mode", op + "accounts:\n  - {system_id: a, password: pw, bind_modes: [rxx]}\nmo_routes: [{prefix: \"\", account: a}]\n", `bind mode "rxx"`},
		{"no password", op + "accounts:\n  - {system_id: a}\nmo_routes: [{prefix: \"\", account: a}]\n", "needs password_hash"},
		{"mo route to unknown account", op + "accounts:\n  - {system_id: a, password: pw}\nmo_routes: [{prefix: \"\", account: demo}]\n", `unknown account "demo"`},
		{"upstream without addrs", "upstreams:\n  - {name: op}\nroutes: [{prefix: \"\", upstreams: [op]}]\n", "needs addrs"},
		{"sim upstream without simulator", "upstreams:\n  - {name: sim}\nroutes: [{prefix: \"\", upstreams: [sim]}]\n", "needs addrs"},
		{"no upstreams", "accounts:\n  - {system_id: a, password: pw}\nmo_routes: [{prefix: \"\", account: a}]\n", "no upstreams: add an upstreams: entry"},
		{"upstreams without routes", "upstreams:\n  - {name: op, addrs: [\"127.0.0.1:1\"]}\n", "no routes: add a routes: entry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "gw.yaml")
			os.WriteFile(f, []byte(c.yaml), 0o600)
			_, err := loadConfig(f)
			if err == nil {
				t.Fatalf("no error for:\n%s", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
			t.Logf("%v", err)
		})
	}
}

// TestConfigUnlimitedAndNullSimulator: an unlimited account keeps rate 0, and
// "simulator: null" means no simulator.
func TestConfigUnlimitedAndNullSimulator(t *testing.T) {
	f := filepath.Join(t.TempDir(), "gw.yaml")
	os.WriteFile(f, []byte("accounts:\n  - {system_id: load, password: pw, unlimited: true}\nupstreams:\n  - {name: op, addrs: [\"127.0.0.1:1\"]}\nroutes: [{prefix: \"\", upstreams: [op]}]\nmo_routes: [{prefix: \"\", account: load}]\nsimulator: null\n"), 0o600)
	cfg, err := loadConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Simulator != nil {
		t.Errorf("simulator: null left %+v", cfg.Simulator)
	}
	if a := cfg.Accounts[0]; a.Rate != 0 || !a.Unlimited {
		t.Errorf("unlimited account: %+v", a)
	}
}

// TestGCConfig: gc.memory_limit parses sizes and refuses the rest; gc.percent
// below -1 is refused.
func TestGCConfig(t *testing.T) {
	for in, want := range map[string]int64{"": 1 << 30, "512MiB": 512 << 20, "2GiB": 2 << 30, "1048576": 1 << 20, "64 MiB": 64 << 20,
		"512MB": 512e6, "512M": 512 << 20, "1.5GiB": 3 << 29, "2g": 2 << 30} {
		got, err := GCConfig{MemoryLimit: in}.memoryLimit()
		if err != nil || got != want {
			t.Errorf("memory_limit %q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"lots", "-1GiB", "0", "100KiB", "1.5 furlongs"} {
		if _, err := (GCConfig{MemoryLimit: in}).memoryLimit(); err == nil {
			t.Errorf("memory_limit %q accepted", in)
		}
	}
	cfg := defaultConfig()
	cfg.GC.Percent = -2
	if err := cfg.validate(); err == nil {
		t.Error("gc.percent -2 accepted")
	}
}

// TestStoreSyncInterval: the store's sync interval and memory table have
// their defaults and limits.
func TestStoreSyncInterval(t *testing.T) {
	cfg, err := loadConfig("gateway.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Store.syncInterval(); got != 500*time.Microsecond {
		t.Fatalf("example sync_interval %s, want 500µs", got)
	}
	if got := defaultConfig().Store.syncInterval(); got != 500*time.Microsecond {
		t.Fatalf("default sync_interval %s, want 500µs", got)
	}
	if n, err := cfg.Store.memTableSize(); err != nil || n != 64<<20 {
		t.Fatalf("example memtable_size %d, %v; want 64MiB", n, err)
	}
	for _, bad := range []string{"1MiB", "2GiB", "big"} {
		c := defaultConfig()
		c.Store.MemTableSize = bad
		if err := c.validate(); err == nil {
			t.Errorf("memtable_size %q accepted", bad)
		}
	}
	zero, slow := Duration(0), Duration(time.Second)
	cfg.Store.SyncInterval = &zero
	if err := cfg.validate(); err != nil || cfg.Store.syncInterval() != 0 {
		t.Fatalf("0s: %v", err)
	}
	cfg.Store.SyncInterval = &slow
	if err := cfg.validate(); err == nil {
		t.Fatal("1s accepted")
	}
}

// The gc settings reach the runtime, unless GOGC or GOMEMLIMIT say otherwise.
func TestGCApply(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	if did := (GCConfig{Percent: 700, MemoryLimit: "256MiB"}).apply(); did != "percent=700 memory_limit=256MiB" {
		t.Fatalf("apply said %q", did)
	}
	if p := debug.SetGCPercent(100); p != 700 {
		t.Fatalf("GC percent %d, want 700", p)
	}
	if l := debug.SetMemoryLimit(-1); l != 256<<20 {
		t.Fatalf("memory limit %d, want 256MiB", l)
	}

	t.Setenv("GOGC", "50")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(50)
	if did := (GCConfig{Percent: 700}).apply(); did != "" {
		t.Fatalf("apply with GOGC and GOMEMLIMIT set said %q", did)
	}
	if p := debug.SetGCPercent(50); p != 50 {
		t.Fatalf("GC percent %d, want GOGC's 50", p)
	}
}
