package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
)

// clientCA makes a CA and a client certificate with common name cn, signed by it.
func clientCA(t *testing.T, cn string) (caPEM []byte, cert tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestClientCertificateAndKeyLog: a verified client certificate whose common
// name an account lists binds that account without a password, one without a
// certificate does not; and SSLKEYLOGFILE receives the TLS secrets.
func TestClientCertificateAndKeyLog(t *testing.T) {
	dir := t.TempDir()
	keylog := filepath.Join(dir, "keys.log")
	t.Setenv("SSLKEYLOGFILE", keylog)
	caPEM, cert := clientCA(t, "certuser")
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	a := inproc(t, func(c *Config) {
		c.TLS.ClientCA = caFile
		c.Accounts = append(c.Accounts, AccountConfig{SystemID: "certuser", ClientCertCN: "certuser", Rate: 100})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	withCert := &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{cert}}
	c, err := client.Dial(ctx, a.Addr, client.Config{SystemID: "certuser", TLS: withCert, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("bind with the client certificate: %v", err)
	}
	if _, err := c.Submit(ctx, &pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte("by certificate")}); err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())
	_, err = client.Dial(ctx, a.Addr, client.Config{SystemID: "certuser", TLS: &tls.Config{InsecureSkipVerify: true}, Logger: quietLogger()})
	if !errors.Is(err, pdu.ESME_RINVPASWD) {
		t.Fatalf("bind without a certificate: %v", err)
	}
	b, err := os.ReadFile(keylog)
	if err != nil || !strings.Contains(string(b), "CLIENT_HANDSHAKE_TRAFFIC_SECRET") {
		t.Fatalf("SSLKEYLOGFILE not written: %v %q", err, b)
	}
}

// TestRouteFailover: a route lists an upstream that is down first; messages
// go to the next one and their receipts come back.
func TestRouteFailover(t *testing.T) {
	a := inproc(t, func(c *Config) {
		c.Routes = append([]RouteConfig{{Prefix: "888", Upstreams: []string{"dead", "sim"}}}, c.Routes...)
	})
	var d deliveries
	c := dialDemo(t, a, d.handler())
	resp, err := c.Submit(context.Background(), &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "8880001", ShortMessage: []byte("via the second upstream"), RegisteredDelivery: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := d.wait(t, 1, 15*time.Second)[0].Receipt
	if r == nil || r.ID != resp.MessageID || r.State != pdu.StateDelivered {
		t.Fatalf("receipt %+v", r)
	}
	m, err := a.gw.store.Get(resp.MessageID)
	if err != nil || m.Route != "sim" {
		t.Fatalf("routed to %q (%v)", m.Route, err)
	}
}

// trustPool reads the certificates of a PEM file into a pool.
func trustPool(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("%s holds no certificate", file)
	}
	return pool
}

// TestGeneratedCertificateIsLeaf: the certificate generated on first start is
// a leaf for server authentication only, verifies against the CA file the
// banner names, and a certificate signed with the served key (anyone who
// takes the key file could make one) verifies against nothing clients trust.
// The CA's key is in no file; a second start keeps the certificate.
func TestGeneratedCertificateIsLeaf(t *testing.T) {
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	tc, fp, trust, err := tlsConfig(cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cfg.DataDir, generatedCA); trust != want {
		t.Fatalf("clients are told to trust %q, want %q", trust, want)
	}
	served := tc.Certificates[0]
	leaf, err := x509.ParseCertificate(served.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if leaf.IsCA || !leaf.BasicConstraintsValid || leaf.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("served certificate: CA %v (constraints present %v), key usage %b; want CA:FALSE and digitalSignature only",
			leaf.IsCA, leaf.BasicConstraintsValid, leaf.KeyUsage)
	}
	if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth || len(leaf.UnknownExtKeyUsage) > 0 {
		t.Errorf("served certificate's extended key usage %v %v, want serverAuth only", leaf.ExtKeyUsage, leaf.UnknownExtKeyUsage)
	}
	sum := sha256.Sum256(leaf.Raw)
	if fp != fingerprint(sum[:]) {
		t.Errorf("fingerprint %s is not the served certificate's", fp)
	}
	roots := trustPool(t, trust)
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("served certificate against %s for %s: %v", generatedCA, host, err)
		}
	}

	key := served.PrivateKey.(*ecdsa.PrivateKey)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "bank.example"}, DNSNames: []string{"bank.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, leaf, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	chain := x509.NewCertPool()
	chain.AddCert(leaf)
	if _, err := forged.Verify(x509.VerifyOptions{Roots: roots, Intermediates: chain, DNSName: "bank.example"}); err == nil {
		t.Error("a certificate signed with the served key verifies against the file clients trust")
	}

	// Every private key written is the served one.
	files, err := os.ReadDir(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(cfg.DataDir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for block, rest := pem.Decode(b); block != nil; block, rest = pem.Decode(rest) {
			if !strings.Contains(block.Type, "PRIVATE KEY") {
				continue
			}
			k, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil || !k.PublicKey.Equal(leaf.PublicKey) {
				t.Errorf("%s holds a private key that is not the served certificate's (%v)", f.Name(), err)
			}
		}
	}

	_, fp2, _, err := tlsConfig(cfg, quietLogger())
	if err != nil || fp2 != fp {
		t.Fatalf("second start: certificate %s (%v), want the same %s", fp2, err, fp)
	}
}

// TestGeneratedCertificateVerifiedOnTheWire: an ESME that trusts the CA file
// the gateway names (and skips nothing) binds over TLS.
func TestGeneratedCertificateVerifiedOnTheWire(t *testing.T) {
	a := inproc(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tc := &tls.Config{RootCAs: trustPool(t, a.TrustFile)}
	c, err := client.Dial(ctx, a.Addr, client.Config{SystemID: "demo", Password: "demo1234", TLS: tc, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("bind over TLS verified with %s: %v", a.TrustFile, err)
	}
	c.Close(context.Background())
}

// writeCACert writes what gateways before the leaf certificate generated: a
// self-signed CA certificate with common name cn, and its key.
func writeCACert(t *testing.T, certFile, keyFile, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, Organization: []string{cn}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return der
}

// TestOldGeneratedCACertificateReplaced: a data folder holding the CA
// certificate an older gateway generated gets a leaf and a CA file, and the
// log says so; a generated leaf whose CA file was deleted is made again; a
// certificate the gateway did not make, in its place or as tls.cert_file, is
// served as it is, CA or not.
func TestOldGeneratedCACertificateReplaced(t *testing.T) {
	served := func(cfg *Config) (*x509.Certificate, string, string) {
		t.Helper()
		var logs strings.Builder
		tc, _, trust, err := tlsConfig(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(tc.Certificates[0].Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return c, trust, logs.String()
	}

	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	certFile, keyFile := filepath.Join(cfg.DataDir, generatedCert), filepath.Join(cfg.DataDir, generatedKey)
	writeCACert(t, certFile, keyFile, generatedName)
	c, trust, logs := served(cfg)
	if c.IsCA {
		t.Fatal("the CA certificate an older version generated is still served")
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: trustPool(t, trust), DNSName: "localhost"}); err != nil {
		t.Fatalf("the new certificate against %s: %v", trust, err)
	}
	if !strings.Contains(logs, "replaced the generated TLS certificate") || !strings.Contains(logs, "older version") {
		t.Errorf("the log does not say the certificate was replaced:\n%s", logs)
	}

	if err := os.Remove(trust); err != nil {
		t.Fatal(err)
	}
	again, trust, logs := served(cfg)
	if again.Equal(c) || !strings.Contains(logs, "CA file") {
		t.Errorf("a leaf without its CA file is still served (log %q)", logs)
	}
	if _, err := again.Verify(x509.VerifyOptions{Roots: trustPool(t, trust), DNSName: "localhost"}); err != nil {
		t.Fatalf("the new certificate against %s: %v", trust, err)
	}

	foreign := t.TempDir()
	for name, cfg := range map[string]*Config{
		"another certificate in the generated one's place": {DataDir: foreign},
		"tls.cert_file": {DataDir: t.TempDir(), TLS: TLSConfig{CertFile: filepath.Join(foreign, "op.pem"), KeyFile: filepath.Join(foreign, "op-key.pem")}},
	} {
		file, key := cfg.TLS.CertFile, cfg.TLS.KeyFile
		cn := "operator"
		if file == "" {
			file, key = filepath.Join(cfg.DataDir, generatedCert), filepath.Join(cfg.DataDir, generatedKey)
		} else {
			cn = generatedName // even with the generated name: the operator's file
		}
		der := writeCACert(t, file, key, cn)
		c, trust, logs := served(cfg)
		if !bytes.Equal(c.Raw, der) || logs != "" {
			t.Errorf("%s: not served as it is (log %q)", name, logs)
		}
		if trust != "" {
			t.Errorf("%s: clients are told to trust %s", name, trust)
		}
	}
}
