package server_test

import (
	"crypto/tls"
	"log/slog"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

var quiet = slog.New(slog.DiscardHandler)

func dialESME(t testing.TB, addr string, tlsCfg *tls.Config) *smpptest.ESME {
	t.Helper()
	e, err := smpptest.Dial(bg, addr, smpptest.ESMEOptions{TLS: tlsCfg, Config: session.Config{Logger: quiet}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func bindESME(t testing.TB, addr string, id pdu.CommandID, systemID string) *smpptest.ESME {
	t.Helper()
	e := dialESME(t, addr, nil)
	if _, err := e.BindAs(bg, id, systemID, "pw"); err != nil {
		t.Fatalf("bind %s as %s: %v", systemID, id, err)
	}
	return e
}
