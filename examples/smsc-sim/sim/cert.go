package sim

import (
	"crypto/tls"
	"time"

	"github.com/esmsafrica/smpp/examples/internal/certgen"
)

// SelfSignedCert returns a certificate for hosts (IP addresses or DNS names;
// none means 127.0.0.1, ::1 and localhost) valid for a year, and the SHA-256
// fingerprint of its DER form (hex), to print for clients that pin it. Despite
// the name, it is the Leaf of a certgen.ServerCert named "smsc-sim" (a leaf for
// server authentication only, signed by a one-off CA whose key is discarded),
// whose CA is not kept: the simulator's clients pin the fingerprint or skip
// verification.
func SelfSignedCert(hosts ...string) (tls.Certificate, string, error) {
	c, err := certgen.New("smsc-sim", 365*24*time.Hour, hosts...)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	return c.Leaf, c.Fingerprint, nil
}
