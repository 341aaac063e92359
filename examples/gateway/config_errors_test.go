package main

// Configuration errors name the key's path and the line, suggest the key an
// unknown one was meant to be, read sizes in any common unit, check the
// files the configuration names at load, and never show a password.

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// loadYAML loads yaml from a file in a temporary folder.
func loadYAML(t *testing.T, yaml string) (*Config, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "gw.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return loadConfig(f)
}

// opYAML is an upstream with its route, for the cases about something else.
const opYAML = "upstreams:\n  - {name: op, addrs: [\"127.0.0.1:1\"], system_id: gw, password: up-s3cret}\nroutes: [{prefix: \"\", upstreams: [op]}]\n"

// TestConfigErrorsNameKeyAndLine: a value of the wrong kind or an unknown
// key is refused with the key's path and line (not a Go type), an unknown
// key with the known one it was probably meant to be; the checks of
// validate say the path and line too.
func TestConfigErrorsNameKeyAndLine(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"not a number", opYAML + "window: lots\n", `window: "lots" is not a number (line 4)`},
		{"nested not a number", "upstreams:\n  - name: op\n    addrs: [\"127.0.0.1:1\"]\n    window: lots\nroutes: [{prefix: \"\", upstreams: [op]}]\n",
			`upstreams[0].window: "lots" is not a number (line 4)`},
		{"not a whole number", opYAML + "node_id: 1.5\n", `node_id: "1.5" is not a whole number (line 4)`},
		{"not a bool", opYAML + "accounts:\n  - system_id: a\n    password: pw\n    unlimited: sure\n", `accounts[0].unlimited: "sure" is not true or false (line 7)`},
		{"tag out of range", opYAML + "simulator: {dedupe_tlv: 70000}\n", `simulator.dedupe_tlv: "70000" is not a whole number from 0 to 65535`},
		{"duration", opYAML + "bind_timeout: 30 seconds\n", `bind_timeout: "30 seconds" is not a duration like 30s or 500ms (line 4)`},
		{"list for a section", opYAML + "tls: [a]\n", "tls: want keys (key: value), not a list (line 4)"},
		{"value for a list", opYAML + "accounts: demo\n", `accounts: want a list`},
		{"unknown top-level key", opYAML + "windw: 100\n", "windw: unknown key (line 4); did you mean window?"},
		{"unknown nested key", "upstreams:\n  - name: op\n    addrs: [\"127.0.0.1:1\"]\n    windw: 100\n", "upstreams[0].windw: unknown key (line 4); did you mean window?"},
		{"unknown account key", opYAML + "accounts:\n  - {system_id: a, password: pw, ratee: 100}\n", "accounts[0].ratee: unknown key (line 5); did you mean rate?"},
		{"transposed key", opYAML + "store: {memtabel_size: 64MiB}\n", "store.memtabel_size: unknown key (line 4); did you mean memtable_size?"},
		{"unknown key far from any", opYAML + "gc: {colour: blue}\n", "gc.colour: unknown key (line 4); the keys here are: memory_limit, percent"},
		{"validate: rate", opYAML + "accounts:\n  - {system_id: a, password: pw}\n  - {system_id: b, password: pw,\n     rate: 10}\nmo_routes: []\n",
			"accounts[1].rate: account b: rate 10 msg/s outside 50..5000"},
		{"validate: node_id", opYAML + "node_id: 300\n", "node_id: 300: want 0 to 255 (line 4)"},
		{"validate: route", "upstreams: [{name: op, addrs: [\"127.0.0.1:1\"]}]\nroutes:\n  - prefix: \"\"\n    upstreams: [nowhere]\n",
			`routes[0].upstreams: route (prefix ""): unknown upstream "nowhere" (line 4)`},
		{"validate: mo_route", opYAML + "mo_routes: [{prefix: \"\", account: nobody}]\n", `mo_routes[0].account: mo_route prefix "": unknown account "nobody" (line 4)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadYAML(t, c.yaml)
			if err == nil {
				t.Fatalf("accepted:\n%s", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q\ndoes not say %q", err, c.want)
			}
			if strings.Contains(err.Error(), "main.") || strings.Contains(err.Error(), "!!") {
				t.Errorf("error %q names a Go type or a YAML tag", err)
			}
		})
	}
}

// TestConfigRateErrorMentionsUnlimited: the rate error says how to lift
// the range, and an unlimited account is accepted with any rate.
func TestConfigRateErrorMentionsUnlimited(t *testing.T) {
	_, err := loadYAML(t, opYAML+"accounts:\n  - {system_id: a, password: pw, rate: 20000}\nmo_routes: []\n")
	if err == nil || !strings.Contains(err.Error(), "unlimited: true") || !strings.Contains(err.Error(), "(line 5)") {
		t.Fatalf("rate error %v: want the line and unlimited: true", err)
	}
	cfg, err := loadYAML(t, opYAML+"accounts:\n  - {system_id: a, password: pw, rate: 20000, unlimited: true}\nmo_routes: []\n")
	if err != nil || cfg.Accounts[0].Rate != 20000 {
		t.Fatalf("unlimited account: %v", err)
	}
}

// TestConfigSizesInAnyUnit: a size is read in the unit it is written in,
// and one out of range is refused with the range in that unit.
func TestConfigSizesInAnyUnit(t *testing.T) {
	for in, want := range map[string]uint64{
		"64MiB": 64 << 20, "64MB": 64e6, "64M": 64 << 20, "64mb": 64e6, "64 MiB": 64 << 20, "67108864": 64 << 20,
		"67108864B": 64 << 20, "65536KiB": 64 << 20, "65536K": 64 << 20, "65536kB": 65536e3, "1GiB": 1 << 30, "0.5GiB": 1 << 29,
	} {
		cfg, err := loadYAML(t, opYAML+"store: {memtable_size: "+in+"}\n")
		if err != nil {
			t.Errorf("memtable_size %s: %v", in, err)
			continue
		}
		if n, err := cfg.Store.memTableSize(); err != nil || n != want {
			t.Errorf("memtable_size %s: %d, %v; want %d", in, n, err, want)
		}
	}
	for in, want := range map[string]string{
		"2GB":        "store.memtable_size: 2GB is out of range: want 0.004GB to 1.074GB (line 4)",
		"2048M":      "store.memtable_size: 2048M is out of range: want 4M to 1024M (line 4)",
		"1MiB":       "store.memtable_size: 1MiB is out of range: want 4MiB to 1024MiB (line 4)",
		"1MB":        "want 4.194MB to 1073.742MB",
		"1048576":    "want 4194304 to 1073741824 bytes",
		"big":        `store.memtable_size: "big" is not a size like 64MiB, 64MB, 64M or a number of bytes (line 4)`,
		"0x10MiB":    "is not a size",
		"-64MiB":     "is not a positive size",
		"64 parsecs": "is not a size",
	} {
		_, err := loadYAML(t, opYAML+"store: {memtable_size: "+in+"}\n")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("memtable_size %s: %v; want %q", in, err, want)
		}
	}
	cfg, err := loadYAML(t, opYAML+"gc: {memory_limit: 512MB}\n")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := cfg.GC.memoryLimit(); err != nil || n != 512e6 {
		t.Fatalf("gc.memory_limit 512MB: %d, %v", n, err)
	}
}

// TestConfigSizeKeysAllChecked: every key of the configuration that takes a
// size (a string key named *_size or *_limit) is read with checkSize: 64MB
// is accepted, "lots" refused with the key named.
func TestConfigSizeKeysAllChecked(t *testing.T) {
	checked := 0
	defer func() {
		if checked < 2 { // store.memtable_size and gc.memory_limit at least
			t.Errorf("%d size keys found", checked)
		}
	}()
	for _, p := range configKeyPaths(reflect.TypeOf(Config{}), "") {
		last := p.path[strings.LastIndex(p.path, ".")+1:]
		if p.typ.Kind() != reflect.String || !(strings.HasSuffix(last, "_size") || strings.HasSuffix(last, "_limit")) {
			continue
		}
		checked++
		section, key, _ := strings.Cut(p.path, ".")
		for value, ok := range map[string]bool{"64MB": true, "lots": false} {
			_, err := loadYAML(t, fmt.Sprintf("%s%s: {%s: %s}\n", opYAML, section, key, value))
			if ok && err != nil {
				t.Errorf("%s: %s refused: %v", p.path, value, err)
			}
			if !ok && (err == nil || !strings.Contains(err.Error(), p.path+": ")) {
				t.Errorf("%s: %s: %v, want refused naming the key", p.path, value, err)
			}
		}
	}
}

// TestConfigFilesCheckedAtLoad: a file the configuration names that is
// missing or wrong is refused at load, with its key and line, before the data
// folder is made (and so before the store is opened or an upstream bound).
func TestConfigFilesCheckedAtLoad(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := writeTestPair(t, dir)
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	missing := filepath.Join(dir, "missing.pem")
	cases := []struct{ name, tls, want string }{
		{"missing certificate", fmt.Sprintf("{cert_file: %q, key_file: %q}", missing, keyPEM), "tls.cert_file: open " + missing},
		{"missing key", fmt.Sprintf("{cert_file: %q, key_file: %q}", certPEM, missing), "tls.key_file: open " + missing},
		{"key without certificate", fmt.Sprintf("{key_file: %q}", keyPEM), "tls.key_file: set without tls.cert_file"},
		{"not a pair", fmt.Sprintf("{cert_file: %q, key_file: %q}", certPEM, notPEM), "tls.cert_file: " + certPEM + " with tls.key_file"},
		{"missing client CA", fmt.Sprintf("{client_ca: %q}", missing), "tls.client_ca: open " + missing},
		{"client CA not PEM", fmt.Sprintf("{client_ca: %q}", notPEM), "tls.client_ca: " + notPEM + " holds no PEM certificate"},
		{"client cert required without CA", "{require_client_cert: true}", "tls.require_client_cert: true without tls.client_ca"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			_, err := loadYAML(t, fmt.Sprintf("%sdata_dir: %q\ntls:\n  %s\n", opYAML, data, c.tls))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "(line 6)") {
				t.Fatalf("error %v\nwant %q at line 6", err, c.want)
			}
			if _, err := os.Stat(data); err == nil {
				t.Errorf("the data folder was made before the error")
			}
		})
	}
	if _, err := loadYAML(t, fmt.Sprintf("%stls: {cert_file: %q, key_file: %q, client_ca: %q}\n", opYAML, certPEM, keyPEM, certPEM)); err != nil {
		t.Fatalf("a good pair and CA: %v", err)
	}
	_, err := loadYAML(t, fmt.Sprintf("%sdata_dir: %q\n", opYAML, notPEM))
	if err == nil || !strings.Contains(err.Error(), "data_dir: "+notPEM+" is a file") {
		t.Fatalf("data_dir a file: %v", err)
	}
}

// writeTestPair writes a certificate and its key (the generated kind) in dir.
func writeTestPair(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := writeGenerated(certFile, keyFile, filepath.Join(dir, "ca.pem")); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestConfigReplacedListDropsDefaultsReferringToIt: a file that replaces
// accounts: loads without the default MO route to the demo account; one that
// gives mo_routes: keeps them, and one that leaves accounts alone keeps the
// default route to demo.
func TestConfigReplacedListDropsDefaultsReferringToIt(t *testing.T) {
	cfg, err := loadYAML(t, opYAML+"accounts:\n  - {system_id: acme, password: pw}\n")
	if err != nil {
		t.Fatalf("accounts replaced: %v", err)
	}
	if len(cfg.MORoutes) != 0 {
		t.Errorf("mo_routes %+v: the default names the replaced demo account", cfg.MORoutes)
	}
	cfg, err = loadYAML(t, opYAML+"accounts:\n  - {system_id: acme, password: pw}\nmo_routes: [{prefix: \"1\", account: acme}]\n")
	if err != nil || len(cfg.MORoutes) != 1 || cfg.MORoutes[0].Account != "acme" {
		t.Fatalf("given mo_routes: %v %+v", err, cfg)
	}
	cfg, err = loadYAML(t, opYAML)
	if err != nil || len(cfg.MORoutes) != 1 || cfg.MORoutes[0].Account != "demo" {
		t.Fatalf("accounts kept: %v %+v", err, cfg)
	}
}

// keyPath is a key of the configuration, "accounts.rate" for a list's.
type keyPath struct {
	path string
	typ  reflect.Type
}

// configKeyPaths lists every key path of struct type t, by its yaml tags.
func configKeyPaths(t reflect.Type, prefix string) []keyPath {
	var out []keyPath
	for _, k := range yamlKeys(t) {
		p := joinPath(prefix, k.key)
		ft := k.typ
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		out = append(out, keyPath{p, ft})
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(Duration(0)) {
			out = append(out, configKeyPaths(ft, p)...)
		}
	}
	return out
}

// TestConfigExampleListsEveryKey: gateway.example.yaml sets every key of
// the Config struct (walked by its yaml tags), but for the simulator's and
// the cluster's, which it lists in commented-out simulator: and cluster:
// sections (the template runs one node and no simulator) that are
// themselves valid sections.
func TestConfigExampleListsEveryKey(t *testing.T) {
	b, err := os.ReadFile("gateway.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	set := keyLines{}
	if err := checkYAML(&doc, set); err != nil {
		t.Fatal(err)
	}
	// The commented-out sections: "# simulator:" or "# cluster:" and the
	// "#   key:" lines after each.
	for _, section := range []string{"simulator", "cluster"} {
		var block []string
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "# "+section+":") || (len(block) > 0 && strings.HasPrefix(line, "#   ")) {
				block = append(block, strings.TrimPrefix(line, "# "))
			} else if len(block) > 0 {
				break
			}
		}
		if len(block) == 0 {
			t.Errorf("gateway.example.yaml has no commented-out %s: section", section)
			continue
		}
		var sec yaml.Node
		if err := yaml.Unmarshal([]byte(strings.Join(block, "\n")), &sec); err != nil {
			t.Fatalf("the commented-out %s section: %v", section, err)
		}
		if err := checkYAML(&sec, set); err != nil {
			t.Fatalf("the commented-out %s section: %v", section, err)
		}
	}
	index := regexp.MustCompile(`\[\d+\]`)
	have := map[string]bool{}
	for p := range set {
		have[index.ReplaceAllString(p, "")] = true
	}
	paths := configKeyPaths(reflect.TypeOf(Config{}), "")
	for _, p := range paths {
		if !have[p.path] {
			t.Errorf("gateway.example.yaml does not list %s", p.path)
		}
	}
	for _, must := range []string{"unlimited", "node_id", "accounts.unlimited", "store.memtable_size"} {
		if !have[must] && !have["accounts."+must] {
			t.Errorf("gateway.example.yaml does not list %s", must)
		}
	}
	if len(paths) < 60 {
		t.Fatalf("only %d key paths walked: the walk is broken", len(paths))
	}
}

// TestConfigErrorsShowNoPassword: no error about a configuration file shows
// a password it holds, whatever is wrong next to it.
func TestConfigErrorsShowNoPassword(t *testing.T) {
	const secret = "Zq9-secret"
	for _, y := range []string{
		"accounts:\n  - {system_id: a, pasword: " + secret + "}\n",
		"accounts:\n  - {system_id: a, password: " + secret + ", rate: 1}\n" + opYAML,
		"accounts:\n  - {system_id: a, password: " + secret + ", rate: lots}\n",
		"upstreams:\n  - {name: op, password: " + secret + "}\nroutes: [{prefix: \"\", upstreams: [op]}]\n",
		"upstreams:\n  - {name: op, addrs: [x], password: [" + secret + "]}\n",
		"simulator: {password: {" + secret + ": 1}}\n",
		"listen: \":2775\"\naccounts:\n  - {system_id: a, password: demo1234}\n" + opYAML,
	} {
		_, err := loadYAML(t, y)
		if err == nil {
			t.Errorf("accepted:\n%s", y)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), demoPassword) {
			t.Errorf("the error shows a password: %v", err)
		}
	}
}

// TestDemoPasswordLoopbackOnly: the embedded defaults listen on loopback
// only, and the built-in demo password is refused on a listener open to the
// network (naming the key, not the password), whether a file or a flag opens
// it; an account with a password of its own may listen anywhere.
func TestDemoPasswordLoopbackOnly(t *testing.T) {
	def := defaultConfig()
	if !loopbackAddr(def.Listen) || def.PlaintextListen != "" || !loopbackAddr(def.HTTPListen) {
		t.Fatalf("default listeners %q %q %q: want loopback only", def.Listen, def.PlaintextListen, def.HTTPListen)
	}
	for _, listen := range []string{":2775", "0.0.0.0:2775", "[::]:2775", "10.1.2.3:2775", "gateway.example:2775"} {
		_, err := loadYAML(t, fmt.Sprintf("listen: %q\n%s", listen, opYAML))
		if err == nil || !strings.Contains(err.Error(), "accounts[0].password: account demo has the built-in demo password") {
			t.Errorf("listen %s with the demo account: %v", listen, err)
		}
		_, err = loadYAML(t, fmt.Sprintf("plaintext_listen: %q\n%s", listen, opYAML))
		if err == nil || !strings.Contains(err.Error(), "plaintext_listen") {
			t.Errorf("plaintext_listen %s with the demo account: %v", listen, err)
		}
	}
	for _, listen := range []string{"127.0.0.1:2775", "[::1]:0", "localhost:2775"} {
		if _, err := loadYAML(t, fmt.Sprintf("listen: %q\n%s", listen, opYAML)); err != nil {
			t.Errorf("listen %s: %v", listen, err)
		}
	}
	if _, err := loadYAML(t, "listen: \":2775\"\naccounts:\n  - {system_id: demo, password: s3cret-own}\n"+opYAML); err != nil {
		t.Errorf("an own password on :2775: %v", err)
	}
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ":2775" // what -listen :2775 does after loading
	if err := cfg.checkExposure(); err == nil || strings.Contains(err.Error(), demoPassword) {
		t.Errorf("-listen :2775 on the defaults: %v", err)
	}
}
