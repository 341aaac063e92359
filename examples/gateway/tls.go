package main

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
)

// tlsConfig returns the listener's TLS configuration: TLS 1.3 only, the
// configured certificate or one generated on first start and kept in the data
// folder, served whatever the SNI (python smpplib sends none), optional client
// certificates, and SSLKEYLOGFILE honoured for packet captures.
func tlsConfig(cfg *Config) (*tls.Config, string, error) {
	certFile, keyFile := cfg.TLS.CertFile, cfg.TLS.KeyFile
	if certFile == "" {
		certFile = filepath.Join(cfg.DataDir, "gateway-cert.pem")
		keyFile = filepath.Join(cfg.DataDir, "gateway-key.pem")
		if _, err := os.Stat(certFile); errors.Is(err, os.ErrNotExist) {
			if err := writeSelfSigned(certFile, keyFile); err != nil {
				return nil, "", fmt.Errorf("generating the self-signed certificate: %w", err)
			}
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("loading the TLS certificate: %w", err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	tc := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
	}
	if cfg.TLS.ClientCA != "" {
		pemBytes, err := os.ReadFile(cfg.TLS.ClientCA)
		if err != nil {
			return nil, "", fmt.Errorf("reading client_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, "", fmt.Errorf("client_ca %s holds no PEM certificate", cfg.TLS.ClientCA)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
		if cfg.TLS.RequireClientCert {
			tc.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	if path := os.Getenv("SSLKEYLOGFILE"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, "", fmt.Errorf("SSLKEYLOGFILE: %w", err)
		}
		tc.KeyLogWriter = f
	}
	return tc, fingerprint(sum[:]), nil
}

func fingerprint(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var out []string
	for i := 0; i < len(h); i += 2 {
		out = append(out, h[i:i+2])
	}
	return strings.Join(out, ":")
}

// writeSelfSigned writes a new self-signed certificate for this host and
// loopback, valid five years, and its key as PEM files.
func writeSelfSigned(certFile, keyFile string) error {
	host, _ := os.Hostname()
	cert, _, err := sim.NewSelfSigned("smpp-gateway", 5*365*24*time.Hour, "127.0.0.1", "::1", "localhost", host)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644)
}
