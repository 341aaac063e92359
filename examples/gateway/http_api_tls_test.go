package main

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/internal/certgen"
)

// TestHTTPAPITLS13: with http_api.cert_file and key_file the API is HTTPS
// with TLS 1.3 only: a TLS 1.2 client is refused at the handshake, a TLS
// 1.3 client that trusts the CA sends; an API key authenticates.
func TestHTTPAPITLS13(t *testing.T) {
	t.Parallel()
	sc, err := certgen.New("gateway-http-test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	keyDER, err := x509.MarshalPKCS8PrivateKey(sc.Leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: sc.Leaf.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := gwConf{Accounts: "  - {system_id: test, password: secret, rate: 5000, api_keys: [\"" + apiKeyLine("tls-test-key-0123456789") + "\"]}\n"}.yaml(t) +
		"http_api: {listen: \"127.0.0.1:0\", cert_file: " + certFile + ", key_file: " + keyFile + "}\n"
	g := startGatewayConfig(t, conf)
	if !strings.Contains(g.stdout.String(), "HTTP API:           https://") {
		t.Fatalf("banner: %s", g.stdout.String())
	}
	addr := g.apiAddr(t)
	ca, err := x509.ParseCertificate(sc.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12}); err == nil {
		t.Error("a TLS 1.2 client was accepted")
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("POST", "https://"+addr+"/v1/messages", strings.NewReader(`{"from":"1000","to":"254700000001","text":"over TLS"}`))
	req.Header.Set("Authorization", "Bearer tls-test-key-0123456789")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 {
		t.Errorf("POST over TLS: %d, TLS %+v", resp.StatusCode, resp.TLS)
	}
}

// apiKeyLine is the api_keys entry of a key.
func apiKeyLine(key string) string {
	h := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(h[:])
}
