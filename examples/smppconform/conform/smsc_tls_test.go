package conform_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/internal/certgen"
	"github.com/esmsafrica/smpp/examples/smppconform/conform"
	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
)

// simTLSKnown are the failures of smsc-sim over TLS beyond simKnown: none
// since sim.Config has HandshakeTimeout (smsc.timers.5 found it missing).
var simTLSKnown = map[string]string{}

// simTimers are the short timers the TLS run gives the simulator and declares
// in the profile, so that the timer cases take seconds.
const (
	simBindTimeout = time.Second
	simRate        = 50
)

// clientTLS trusts the certificate's CA only, for 127.0.0.1.
func clientTLS(t *testing.T, c *certgen.ServerCert) *tls.Config {
	t.Helper()
	ca, err := x509.ParseCertificate(c.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// TestSMSCAgainstSimTLS runs every SMSC case against smsc-sim serving TLS,
// with a short bind timer and a rate limit, declaring the capabilities the
// simulator has: tls, timers (session_init_timer only: the simulator has no
// inactivity timer, so smsc.timers.2 skips) and throttling.
func TestSMSCAgainstSimTLS(t *testing.T) {
	cert, err := certgen.New("conform-sim", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := sim.New(sim.Config{
		Accounts:     []sim.Account{{SystemID: "conform", Password: "secret", Rate: simRate}},
		ReceiptDelay: 10 * time.Millisecond,
		TLS:          &tls.Config{Certificates: []tls.Certificate{cert.Leaf}},
		BindTimeout:  simBindTimeout,
		// The session_init_timer holds before the TLS handshake too.
		HandshakeTimeout: simBindTimeout,
		Logger:           slog.New(slog.DiscardHandler),
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	defer s.Shutdown(context.Background())
	rs := runSMSC(t, &conform.Config{Addr: l.Addr().String(), TLS: clientTLS(t, cert),
		Profile: conform.Profile{"transceiver": true, "receipts": true, "data_sm": true,
			"submit_multi": true, "query_sm": true, "cancel_sm": true, "replace_sm": true, "message_payload": true,
			"scheduled": true, "tls": true, "timers": true, "throttling": true},
		SessionInitTimer: simBindTimeout, Rate: simRate}, simKnown, simTLSKnown)
	mustHaveRun(t, rs, "smsc.tls.1", "smsc.tls.2", "smsc.tls.3", "smsc.tls.4", "smsc.timers.1", "smsc.window.4", "smsc.window.5")
}

// mustHaveRun fails the test when one of the cases was skipped: the profile
// declared what they need, so they must have run.
func mustHaveRun(t *testing.T, rs []conform.Result, ids ...string) {
	t.Helper()
	for _, r := range rs {
		for _, id := range ids {
			if r.Case.ID == id && r.Status == conform.Skip {
				t.Errorf("%s skipped: %s", id, r.Reason)
			}
		}
	}
}
