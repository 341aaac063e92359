package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"time"
)

// errorf is an error about the key at path: its path, what is wrong, and
// the line of the file that sets it (or the nearest enclosing key).
func (c *Config) errorf(path, format string, args ...any) error {
	return fmt.Errorf("%s: %s%s", path, fmt.Sprintf(format, args...), c.lines.at(path))
}

// validate checks the configuration and fills in the defaults that depend on
// other fields (an account's rate and burst, an upstream's binds and window,
// the windows) and sorts the routes, most specific first. It reads every
// file the configuration names (checkFiles), so that a missing certificate
// is reported at load, before the store is opened or an upstream bound.
func (c *Config) validate() error {
	if c.NodeID < 0 || c.NodeID > maxNodeID {
		return c.errorf("node_id", "%d: want 0 to %d", c.NodeID, maxNodeID)
	}
	c.clusterDefaults()
	if err := c.validateCluster(); err != nil {
		return err
	}
	if _, err := c.GC.memoryLimit(); err != nil {
		return fmt.Errorf("%w%s", err, c.lines.at("gc.memory_limit"))
	}
	if _, err := c.Store.memTableSize(); err != nil {
		return fmt.Errorf("%w%s", err, c.lines.at("store.memtable_size"))
	}
	if d := c.Store.syncInterval(); d < 0 || d > 100*time.Millisecond {
		return c.errorf("store.sync_interval", "%s: want 0s to 100ms", d)
	}
	if c.GC.Percent < -1 {
		return c.errorf("gc.percent", "%d: want -1 (off), 0 (default) or a percentage", c.GC.Percent)
	}
	if d := c.Unbound.HandshakeTimeout.D(); d < 0 {
		return c.errorf("unbound.handshake_timeout", "%s: want a positive duration (0: 10s)", d)
	}
	if err := c.checkFiles(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range c.Accounts {
		a, p := &c.Accounts[i], fmt.Sprintf("accounts[%d]", i)
		if a.SystemID == "" || len(a.SystemID) > maxSystemID {
			return c.errorf(p+".system_id", "%q: want 1 to 15 characters", a.SystemID)
		}
		if seen[a.SystemID] {
			return c.errorf(p+".system_id", "account %s listed twice", a.SystemID)
		}
		seen[a.SystemID] = true
		if a.Rate == 0 && !a.Unlimited {
			a.Rate = 100
		}
		if !a.Unlimited && (a.Rate < 50 || a.Rate > 5000) {
			return c.errorf(p+".rate", "account %s: rate %v msg/s outside 50..5000; "+
				"for a load test, unlimited: true lifts the range (and rate 0 means no limit)", a.SystemID, a.Rate)
		}
		if a.Burst == 0 {
			a.Burst = max(10, int(a.Rate/10))
		}
		for _, m := range a.BindModes {
			if m != "trx" && m != "tx" && m != "rx" {
				return c.errorf(p+".bind_modes", "bind mode %q is not trx, tx or rx", m)
			}
		}
		if a.PasswordHash == "" && a.Password == "" && a.ClientCertCN == "" {
			return c.errorf(p, "account %s needs password_hash (or password, or client_cert_cn)", a.SystemID)
		}
	}
	if err := c.checkExposure(); err != nil {
		return err
	}
	if err := c.validateHTTP(); err != nil {
		return err
	}
	if c.Simulator != nil && !simulatorBuiltIn {
		return c.errorf("simulator", "this gateway was built with -tags nosimulator and has no embedded simulator; "+
			"remove the simulator: section and give upstreams: with the operator's addrs, or build without the tag")
	}
	if len(c.Upstreams) == 0 {
		return errNoUpstreams
	}
	ups := map[string]bool{}
	for i := range c.Upstreams {
		u, p := &c.Upstreams[i], fmt.Sprintf("upstreams[%d]", i)
		if u.Name == "" {
			return c.errorf(p+".name", "the upstream needs a name")
		}
		if len(u.Addrs) == 0 && !(u.Name == "sim" && c.Simulator != nil) {
			return c.errorf(p+".addrs", "upstream %s needs addrs (or name \"sim\" with a simulator section)", u.Name)
		}
		if u.Binds <= 0 {
			u.Binds = 1
		}
		if u.Window <= 0 {
			u.Window = 100
		}
		ups[u.Name] = true
	}
	if len(c.Routes) == 0 {
		return fmt.Errorf("no routes: add a routes: entry that sends destinations to an upstream, e.g. {prefix: \"\", upstreams: [%s]}", c.Upstreams[0].Name)
	}
	for i, r := range c.Routes {
		p := fmt.Sprintf("routes[%d].upstreams", i)
		if len(r.Upstreams) == 0 {
			return c.errorf(p, "route (prefix %q) lists no upstream", r.Prefix)
		}
		for _, u := range r.Upstreams {
			if !ups[u] {
				return c.errorf(p, "route (prefix %q): unknown upstream %q", r.Prefix, u)
			}
		}
	}
	for i, r := range c.MORoutes {
		if !seen[r.Account] {
			return c.errorf(fmt.Sprintf("mo_routes[%d].account", i), "mo_route prefix %q: unknown account %q", r.Prefix, r.Account)
		}
	}
	// Longest prefix first, so the first match is the most specific.
	sort.SliceStable(c.Routes, func(i, j int) bool { return len(c.Routes[i].Prefix) > len(c.Routes[j].Prefix) })
	sort.SliceStable(c.MORoutes, func(i, j int) bool { return len(c.MORoutes[i].Prefix) > len(c.MORoutes[j].Prefix) })
	if c.Window <= 0 {
		c.Window = 100
	}
	if c.DeliverWindow <= 0 {
		c.DeliverWindow = c.Window
	}
	return nil
}

// checkFiles reads every file the configuration names, so that a missing or
// unreadable one is reported at load with its key, before anything starts:
// the TLS certificate and key (which must make a pair) and the client CA;
// data_dir, when it exists, must be a folder.
func (c *Config) checkFiles() error {
	t := c.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		if t.CertFile == "" {
			return c.errorf("tls.key_file", "set without tls.cert_file: give both, or neither for a generated certificate")
		}
		return c.errorf("tls.cert_file", "set without tls.key_file: give both, or neither for a generated certificate")
	}
	if t.CertFile != "" {
		cert, err := os.ReadFile(t.CertFile)
		if err != nil {
			return c.errorf("tls.cert_file", "%v", err)
		}
		key, err := os.ReadFile(t.KeyFile)
		if err != nil {
			return c.errorf("tls.key_file", "%v", err)
		}
		if _, err := tls.X509KeyPair(cert, key); err != nil {
			return c.errorf("tls.cert_file", "%s with tls.key_file %s: %v", t.CertFile, t.KeyFile, err)
		}
	}
	if t.ClientCA != "" {
		b, err := os.ReadFile(t.ClientCA)
		if err != nil {
			return c.errorf("tls.client_ca", "%v", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(b) {
			return c.errorf("tls.client_ca", "%s holds no PEM certificate", t.ClientCA)
		}
	} else if t.RequireClientCert {
		return c.errorf("tls.require_client_cert", "true without tls.client_ca: give the CA that signs the clients' certificates")
	}
	if fi, err := os.Stat(c.DataDir); err == nil && !fi.IsDir() {
		return c.errorf("data_dir", "%s is a file, not a folder", c.DataDir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return c.errorf("data_dir", "%v", err)
	}
	return nil
}

// checkExposure refuses the built-in demo password, which the README
// publishes, on a listener that other hosts can reach: the demo listens on
// loopback only, and a gateway opened to the network must give its accounts
// passwords of its own. main calls it again once the flags (-listen,
// -plaintext-listen) have changed the listeners. It never says the password.
func (c *Config) checkExposure() error {
	for i, a := range c.Accounts {
		if a.Password != demoPassword {
			continue
		}
		for _, l := range []struct{ key, addr string }{{"listen", c.Listen}, {"plaintext_listen", c.PlaintextListen}} {
			if l.addr == "" || loopbackAddr(l.addr) {
				continue
			}
			return c.errorf(fmt.Sprintf("accounts[%d].password", i),
				"account %s has the built-in demo password, which the README publishes, and %s %q is open to the network: "+
					"give the account a password_hash of its own (go run ./examples/gateway -hash-password 'secret'), "+
					"or listen on 127.0.0.1 only", a.SystemID, l.key, l.addr)
		}
	}
	return nil
}

// loopbackAddr says whether a listen address is on loopback only.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
