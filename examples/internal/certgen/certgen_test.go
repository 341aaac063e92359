package certgen

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"slices"
	"testing"
	"time"
)

// TestServerCertIsLeaf: the served certificate is a leaf for server
// authentication only, it verifies against its CA for every host asked for,
// and a certificate signed with its key verifies against nothing a client
// is given to trust: neither the CA nor the leaf itself pinned as a root.
func TestServerCertIsLeaf(t *testing.T) {
	c, err := New("test", time.Hour, "127.0.0.1", "localhost", "")
	if err != nil {
		t.Fatal(err)
	}
	leaf := c.Leaf.Leaf
	if leaf.IsCA || !leaf.BasicConstraintsValid {
		t.Errorf("leaf basic constraints: valid %v CA %v, want a present CA:FALSE", leaf.BasicConstraintsValid, leaf.IsCA)
	}
	if leaf.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("leaf key usage %b, want digitalSignature only", leaf.KeyUsage)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || len(leaf.UnknownExtKeyUsage) > 0 {
		t.Errorf("leaf extended key usage %v %v, want serverAuth only", leaf.ExtKeyUsage, leaf.UnknownExtKeyUsage)
	}
	if sum := sha256.Sum256(c.Leaf.Certificate[0]); hex.EncodeToString(sum[:]) != c.Fingerprint {
		t.Errorf("fingerprint %s is not the leaf's", c.Fingerprint)
	}
	ca, err := x509.ParseCertificate(c.CA)
	if err != nil {
		t.Fatal(err)
	}
	if !ca.IsCA || ca.MaxPathLen != 0 || !ca.MaxPathLenZero || ca.KeyUsage != x509.KeyUsageCertSign {
		t.Errorf("CA: IsCA %v pathlen %d (zero %v) key usage %b, want a CA for leaves only", ca.IsCA, ca.MaxPathLen, ca.MaxPathLenZero, ca.KeyUsage)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("leaf against its CA for %s: %v", host, err)
		}
	}
	pinned := x509.NewCertPool()
	pinned.AddCert(leaf)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pinned, DNSName: "localhost"}); err != nil {
		t.Errorf("leaf pinned as a root: %v", err)
	}

	forged := signWith(t, leaf, c.Leaf.PrivateKey.(*ecdsa.PrivateKey), "bank.example")
	leafPool := x509.NewCertPool()
	leafPool.AddCert(leaf)
	for name, opts := range map[string]x509.VerifyOptions{
		"the CA":                     {Roots: roots, DNSName: "bank.example"},
		"the CA, leaf intermediate":  {Roots: roots, Intermediates: leafPool, DNSName: "bank.example"},
		"the leaf pinned as a root":  {Roots: pinned, DNSName: "bank.example"},
		"the leaf pinned, any usage": {Roots: pinned, DNSName: "bank.example", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}},
	} {
		if _, err := forged.Verify(opts); err == nil {
			t.Errorf("a certificate signed with the leaf's key verifies against %s", name)
		}
	}
}

// signWith makes a server certificate for host, issued by parent with key.
func signWith(t *testing.T, parent *x509.Certificate, key *ecdsa.PrivateKey, host string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(99), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
