package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
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
