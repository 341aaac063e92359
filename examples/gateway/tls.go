package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/esmsafrica/smpp/examples/internal/certgen"
)

// The certificate the gateway makes for itself in the data folder when
// tls.cert_file is not set (see certgen.ServerCert): a leaf, its key, and the
// certificate of the CA that signed it, whose key was thrown away.
const (
	generatedCert = "gateway-cert.pem" // the leaf, served
	generatedKey  = "gateway-key.pem"  // the leaf's key
	generatedCA   = "gateway-ca.pem"   // what clients are told to trust
	generatedName = "smpp-gateway"     // the leaf's common name
)

// tlsConfig returns the listener's TLS configuration: TLS 1.3 only, the
// configured certificate or one generated on first start and kept in the data
// folder, served whatever the SNI (python smpplib sends none), optional client
// certificates, and SSLKEYLOGFILE honoured for packet captures. It also
// returns the SHA-256 fingerprint of the served certificate and, for a
// generated one, the CA file clients should trust.
func tlsConfig(cfg *Config, log *slog.Logger) (tc *tls.Config, fp, trustFile string, err error) {
	certFile, keyFile := cfg.TLS.CertFile, cfg.TLS.KeyFile
	if certFile == "" {
		certFile = filepath.Join(cfg.DataDir, generatedCert)
		keyFile = filepath.Join(cfg.DataDir, generatedKey)
		trustFile = filepath.Join(cfg.DataDir, generatedCA)
		if err := ensureGenerated(certFile, keyFile, trustFile, log); err != nil {
			return nil, "", "", fmt.Errorf("generating the TLS certificate: %w", err)
		}
		if _, err := os.Stat(trustFile); err != nil {
			trustFile = "" // someone else's certificate in the generated one's place
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, "", "", fmt.Errorf("loading the TLS certificate: %w", err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	tc = &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
	}
	if cfg.TLS.ClientCA != "" {
		pemBytes, err := os.ReadFile(cfg.TLS.ClientCA)
		if err != nil {
			return nil, "", "", fmt.Errorf("reading client_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, "", "", fmt.Errorf("client_ca %s holds no PEM certificate", cfg.TLS.ClientCA)
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
			return nil, "", "", fmt.Errorf("SSLKEYLOGFILE: %w", err)
		}
		tc.KeyLogWriter = f
	}
	return tc, fingerprint(sum[:]), trustFile, nil
}

func fingerprint(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var out []string
	for i := 0; i < len(h); i += 2 {
		out = append(out, h[i:i+2])
	}
	return strings.Join(out, ":")
}

// ensureGenerated makes the gateway's own certificate when there is none, and
// makes it again, saying so in the log, when the one found must not be served:
// a CA certificate (what versions before this one made: its key could sign a
// certificate for any name, which every client trusting it would accept), or
// a leaf whose CA file is gone (its clients would have nothing to trust). It
// replaces only what the gateway made itself (by its common name): another
// certificate found in its place is served as it is.
func ensureGenerated(certFile, keyFile, caFile string, log *slog.Logger) error {
	b, err := os.ReadFile(certFile)
	if errors.Is(err, os.ErrNotExist) {
		return writeGenerated(certFile, keyFile, caFile)
	}
	if err != nil {
		return err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil // not PEM: loading it says so
	}
	old, err := x509.ParseCertificate(block.Bytes)
	if err != nil || old.Subject.CommonName != generatedName {
		return nil // not one the gateway made: served (or refused) as it is
	}
	var why string
	switch _, err := os.Stat(caFile); {
	case old.IsCA && bytes.Equal(old.RawIssuer, old.RawSubject):
		why = "the certificate is a CA (made by an older version): its key could sign certificates that clients trusting it would accept"
	case errors.Is(err, os.ErrNotExist):
		why = "the CA file that clients trust is missing"
	case err != nil:
		return err
	default:
		return nil
	}
	if err := writeGenerated(certFile, keyFile, caFile); err != nil {
		return err
	}
	oldSum := sha256.Sum256(old.Raw)
	log.Warn("replaced the generated TLS certificate; clients that pinned the old one must now trust "+caFile,
		"reason", why, "old_sha256", fingerprint(oldSum[:]), "cert", certFile)
	return nil
}

// writeGenerated writes a new certificate for this host and loopback, valid
// five years, with its key and its CA's certificate, as PEM files. Each file
// is written whole before it replaces the old one, the certificate last.
func writeGenerated(certFile, keyFile, caFile string) error {
	host, err := os.Hostname()
	if err != nil {
		host = "" // loopback only
	}
	c, err := certgen.New(generatedName, 5*365*24*time.Hour, "127.0.0.1", "::1", "localhost", host)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(c.Leaf.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return err
	}
	if err := writeFileAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	if err := writeFileAtomic(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.CA}), 0o644); err != nil {
		return err
	}
	return writeFileAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Leaf.Certificate[0]}), 0o644)
}

// writeFileAtomic writes b to a new file next to path and renames it to path.
func writeFileAtomic(path string, b []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
