package main

// The embedded simulator runs only when asked for: on the embedded defaults
// (the demo, no -config) or with a simulator: section; a configuration file
// without one runs its own upstreams, and one without upstreams is refused
// with what to add. A build with -tags nosimulator has no simulator at all.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeConfig writes yaml to a file in a temporary folder and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// startLoaded starts the configuration cfg loaded from path ("" = the
// embedded defaults) in this process on loopback ports and a temporary data
// folder, and returns it with its banner.
func startLoaded(t *testing.T, cfg *Config, path string) (*app, string) {
	t.Helper()
	cfg.Listen, cfg.PlaintextListen, cfg.HTTPListen, cfg.DataDir = "127.0.0.1:0", "", "", t.TempDir()
	var banner bytes.Buffer
	old := bannerOut
	bannerOut = &banner
	a, err := start(cfg, quietLogger(), path)
	bannerOut = old
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.shutdown(ctx)
	})
	return a, banner.String()
}

// TestConfigFileRunsNoSimulator: a configuration file without a simulator:
// section gets neither the simulator nor the demo's "sim" upstream and route,
// and the gateway it starts runs no simulator and says nothing of one.
func TestConfigFileRunsNoSimulator(t *testing.T) {
	dead := freePort(t) // nothing listens there: the upstream stays down, which is fine here
	path := writeConfig(t, "accounts:\n  - {system_id: acme, password: acme-pw7}\n"+
		"upstreams:\n  - {name: op, addrs: [\""+dead+"\"], system_id: gw, password: pw}\n"+
		"routes:\n  - {prefix: \"\", upstreams: [op]}\nmo_routes:\n  - {prefix: \"\", account: acme}\n")
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Simulator != nil {
		t.Fatalf("a file without simulator: got the simulator %+v", cfg.Simulator)
	}
	if len(cfg.Upstreams) != 1 || cfg.Upstreams[0].Name != "op" || len(cfg.Routes) != 1 || cfg.Routes[0].Upstreams[0] != "op" {
		t.Fatalf("upstreams %+v, routes %+v: want only the file's", cfg.Upstreams, cfg.Routes)
	}
	a, banner := startLoaded(t, cfg, path)
	if a.sim != nil || a.SimAddr != "" {
		t.Fatalf("a simulator runs on %q", a.SimAddr)
	}
	sim := a.gw.up.SMSC("sim") != nil
	n := len(a.gw.up.SMSCs())
	if sim || n != 1 {
		t.Fatalf("%d upstreams running, sim among them: %v", n, sim)
	}
	for _, no := range []string{"simulator", "DEMO"} {
		if strings.Contains(banner, no) {
			t.Errorf("the banner speaks of %q:\n%s", no, banner)
		}
	}
}

// TestConfigWithoutUpstreamsRefused: a configuration file with neither
// upstreams nor a simulator: section (an empty one too) is refused at load
// with what to add.
func TestConfigWithoutUpstreamsRefused(t *testing.T) {
	for name, yaml := range map[string]string{
		"empty file":        "",
		"accounts only":     "accounts:\n  - {system_id: a, password: pw}\nmo_routes: [{prefix: \"\", account: a}]\n",
		"routes to nothing": "routes: [{prefix: \"\", upstreams: [sim]}]\n",
		"simulator: null":   "simulator: null\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(writeConfig(t, yaml))
			if err == nil {
				t.Fatalf("accepted:\n%s", yaml)
			}
			for _, want := range []string{"no upstreams", "upstreams: entry", "addrs", "simulator: section"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// TestDemoWithoutConfig: with no configuration file the gateway runs the
// demo, the embedded simulator as its only upstream, and its banner says it
// is a demo against a simulated operator and how to run a real one.
func TestDemoWithoutConfig(t *testing.T) {
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Simulator == nil || len(cfg.Upstreams) != 1 || cfg.Upstreams[0].Name != "sim" || len(cfg.Upstreams[0].Addrs) != 0 {
		t.Fatalf("defaults: simulator %+v, upstreams %+v", cfg.Simulator, cfg.Upstreams)
	}
	a, banner := startLoaded(t, cfg, "")
	if a.sim == nil || a.SimAddr == "" {
		t.Fatal("the demo runs no simulator")
	}
	for _, want := range []string{"upstream simulator: " + a.SimAddr, "DEMO", "simulated operator", "gateway.example.yaml", "-config FILE",
		"-system-id demo -password demo1234 "} {
		if !strings.Contains(banner, want) {
			t.Errorf("the demo's banner does not say %q:\n%s", want, banner)
		}
	}
}

// TestSimulatorSection: a file asks for the simulator with a simulator:
// section, whose unset keys keep the demo's values; without upstreams: it gets
// the demo's "sim" upstream and route, with upstreams: only its own. Its
// banner names the simulator but is no demo's.
func TestSimulatorSection(t *testing.T) {
	path := writeConfig(t, "simulator: {dlr_delay: 10ms}\n")
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := cfg.Simulator
	if sc == nil || sc.DLRDelay.D() != 10*time.Millisecond || sc.Listen != "127.0.0.1:0" || sc.SystemID != "gateway" || sc.DedupeTLV != defaultDedupeTag {
		t.Fatalf("simulator %+v", sc)
	}
	if len(cfg.Upstreams) != 1 || cfg.Upstreams[0].Name != "sim" || len(cfg.Routes) != 1 || cfg.Routes[0].Upstreams[0] != "sim" {
		t.Fatalf("upstreams %+v, routes %+v: want the demo's sim", cfg.Upstreams, cfg.Routes)
	}
	a, banner := startLoaded(t, cfg, path)
	if a.sim == nil || !strings.Contains(banner, "upstream simulator: "+a.SimAddr) || strings.Contains(banner, "DEMO") {
		t.Errorf("simulator %v, banner:\n%s", a.sim != nil, banner)
	}

	cfg, err = loadConfig(writeConfig(t, "simulator: {}\nupstreams: [{name: op, addrs: [\"127.0.0.1:1\"]}]\nroutes: [{prefix: \"\", upstreams: [op]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Simulator == nil || len(cfg.Upstreams) != 1 || cfg.Upstreams[0].Name != "op" {
		t.Fatalf("simulator %+v, upstreams %+v: want the file's", cfg.Simulator, cfg.Upstreams)
	}
}

// TestBuildWithoutSimulator: `go build -tags nosimulator` builds a gateway
// that links no simulator package, refuses a simulator: section and the demo,
// naming the tag, and runs a configuration with its own upstreams.
func TestBuildWithoutSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway")
	}
	gw := filepath.Join(t.TempDir(), "gateway-nosimulator")
	if out, err := exec.Command("go", "build", "-tags", "nosimulator", "-o", gw, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags nosimulator: %v\n%s", err, out)
	}
	deps, err := exec.Command("go", "list", "-deps", "-tags", "nosimulator", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps -tags nosimulator: %v", err)
	}
	if strings.Contains(string(deps), "/smsc-sim") {
		t.Errorf("the nosimulator build links the simulator:\n%s", deps)
	}
	refused := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, gw, append(args, "-data", t.TempDir(), "-http", "off")...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "nosimulator") {
			t.Errorf("gateway %s: %v; want a refusal naming the tag:\n%s", strings.Join(args, " "), err, out)
		}
	}
	refused("-config", "bench.yaml")
	refused() // the demo
	g := startGatewayBin(t, gw, "-config", writeConfig(t, "listen: 127.0.0.1:0\nhttp_listen: \"\"\n"+
		"upstreams: [{name: op, addrs: [\""+freePort(t)+"\"]}]\nroutes: [{prefix: \"\", upstreams: [op]}]\n"), "-data", t.TempDir())
	if g.SimAddr != "" {
		t.Fatalf("a simulator in a build without it:\n%s", g.stdout.String())
	}
}
