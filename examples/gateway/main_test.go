package main

import (
	"bytes"
	"strings"
	"testing"
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
