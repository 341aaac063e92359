// Package certgen makes TLS server certificates on the spot, for listeners
// nobody gave a certificate to: the reference gateway's generated certificate
// (examples/gateway/tls.go) and the operator simulator's (smsc-sim/sim). It is
// its own package so that the gateway can make one without linking the
// simulator.
package certgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"net"
	"time"
)

// ServerCert is a TLS server certificate made on the spot, for a listener
// nobody gave a certificate to.
//
// Leaf is what the listener serves: a leaf certificate (basic constraints
// CA:FALSE, key usage digitalSignature, extended key usage serverAuth), so that
// its key cannot vouch for anything else. It is signed by a CA made for it
// alone, whose private key is dropped as soon as the leaf is signed: a client
// that trusts CA trusts this leaf and nothing else, ever. The CA is there
// because OpenSSL-based clients (python ssl, Perl IO::Socket::SSL, node tls)
// want a CA certificate as their trust anchor; Go also accepts Leaf itself in
// a root pool, and anyone can pin Fingerprint.
type ServerCert struct {
	// Leaf is the certificate to serve (one DER certificate), with its
	// private key (*ecdsa.PrivateKey) and its parsed form.
	Leaf tls.Certificate
	// CA is the DER form of the certificate that signed Leaf: what clients
	// are given to trust.
	CA []byte
	// Fingerprint is the SHA-256 of Leaf's DER form, in hex, for clients that
	// pin the certificate.
	Fingerprint string
}

// New makes a ServerCert with name as the common name, valid from an
// hour ago for validity, for hosts: IP addresses or DNS names (empty ones are
// skipped; none means 127.0.0.1, ::1 and localhost). The keys are ECDSA P-256.
func New(name string, validity time.Duration, hosts ...string) (*ServerCert, error) {
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	notBefore, notAfter := time.Now().Add(-time.Hour), time.Now().Add(validity)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caSerial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          caSerial,
		Subject:               pkix.Name{CommonName: name + " CA", Organization: []string{name}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // it signs leaves only
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{name}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	// caKey goes out of scope here: nothing can be signed by the CA again.
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return &ServerCert{
		Leaf:        tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		CA:          caDER,
		Fingerprint: hex.EncodeToString(sum[:]),
	}, nil
}

// serialNumber is a random positive 127-bit certificate serial number.
func serialNumber() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	return n.Add(n, big.NewInt(1)), nil
}
