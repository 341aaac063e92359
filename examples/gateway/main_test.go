package main

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

// TestBannerHidesConfiguredPasswords: the start-up banner (which ends up in
// logs) never shows a password from a configuration file, not even one equal
// to the built-in demo account's, and still says how to connect: the address,
// the certificate's fingerprint, the file clients trust and a command to try.
// On the embedded defaults it shows the built-in demo password, which the
// README publishes, so that the command works as printed.
func TestBannerHidesConfiguredPasswords(t *testing.T) {
	a := &app{Addr: "[::]:2775", Cert: "AB:CD", TrustFile: "data/gateway-ca.pem", configPath: "gateway.yaml"}
	cfg := defaultConfig()
	cfg.Accounts = []AccountConfig{
		{SystemID: "acme", Password: "acme-pw7", Rate: 200},
		{SystemID: "demo", Password: "demo1234", Rate: 100},
		{SystemID: "hashed", PasswordHash: "$2a$04$7sYVCP0ZKXoSpVEYOAMbE.yNnsGJ4WvyGBlBCR5y0dCAbdBp3q0Oy", Rate: 100},
	}
	var b bytes.Buffer
	a.banner(&b, cfg)
	out := b.String()
	for _, secret := range []string{"acme-pw7", "demo1234", "$2a$"} {
		if strings.Contains(out, secret) {
			t.Errorf("the banner shows %q from the configuration:\n%s", secret, out)
		}
	}
	for _, want := range []string{"127.0.0.1:2775", "AB:CD", "data/gateway-ca.pem", "system_id=acme", "system_id=hashed",
		"-system-id acme -password 'PASSWORD'", "gateway.yaml"} {
		if !strings.Contains(out, want) {
			t.Errorf("the banner does not say %q:\n%s", want, out)
		}
	}

	a.configPath = ""
	b.Reset()
	a.banner(&b, defaultConfig())
	if out := b.String(); !strings.Contains(out, "-system-id demo -password demo1234 ") {
		t.Errorf("on the embedded defaults, no working command for the demo account:\n%s", out)
	}
}

// TestBannerDemoSaysLoopback: on the embedded defaults the banner shows the
// demo's published password together with why that is safe: the demo
// listens on loopback only.
func TestBannerDemoSaysLoopback(t *testing.T) {
	a := &app{Addr: "127.0.0.1:2775", Cert: "AB:CD"}
	var b bytes.Buffer
	a.banner(&b, defaultConfig())
	if out := b.String(); !strings.Contains(out, "loopback listeners only") {
		t.Errorf("the demo's banner does not say it is on loopback only:\n%s", out)
	}
}

// TestMainRefusesBeforeStarting: the gateway binary refuses, before it makes
// its data folder (so before the store is opened or an upstream bound), the
// built-in demo password on a listener -listen opens to the network, and a
// tls.cert_file that is not there, naming the key and never the password.
func TestMainRefusesBeforeStarting(t *testing.T) {
	gw := bin(t, "gateway")
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	cfgFile := filepath.Join(dir, "gw.yaml")
	os.WriteFile(cfgFile, []byte("listen: 127.0.0.1:0\nhttp_listen: \"\"\n"+
		"accounts:\n  - {system_id: acme, password: acme-pw7}\nsimulator: {}\n"+
		"tls:\n  cert_file: "+missing+"\n  key_file: "+missing+"\n"), 0o600)
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"demo on the network": {[]string{"-listen", "0.0.0.0:0", "-http", "off"}, "accounts[0].password: account demo has the built-in demo password"},
		"missing certificate": {[]string{"-config", cfgFile}, "tls.cert_file: open " + missing},
	} {
		t.Run(name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, gw, append(c.args, "-data", data)...)
			out, err := cmd.CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("the gateway did not refuse (%v):\n%s", err, out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("output does not say %q:\n%s", c.want, out)
			}
			for _, secret := range []string{"demo1234", "acme-pw7"} {
				if strings.Contains(string(out), secret) {
					t.Errorf("output shows the password %q:\n%s", secret, out)
				}
			}
			if _, err := os.Stat(data); err == nil {
				t.Errorf("the data folder was made before the refusal")
			}
		})
	}
}
