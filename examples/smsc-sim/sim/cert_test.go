package sim

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"testing"
)

// TestSelfSignedCertIsLeaf: the simulator's own listener serves the same shape.
func TestSelfSignedCertIsLeaf(t *testing.T) {
	cert, fp, err := SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	if cert.Leaf.IsCA || cert.Leaf.KeyUsage&x509.KeyUsageCertSign != 0 {
		t.Fatalf("the simulator's certificate can sign certificates (CA %v, key usage %b)", cert.Leaf.IsCA, cert.Leaf.KeyUsage)
	}
	if sum := sha256.Sum256(cert.Certificate[0]); hex.EncodeToString(sum[:]) != fp {
		t.Fatalf("fingerprint %s is not the certificate's", fp)
	}
}
