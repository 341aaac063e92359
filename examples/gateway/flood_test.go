package main

// The gateway under a flood of connections that never bind: the unbound
// limits of the config (unbound.max_per_addr, unbound.max_conns) hold the
// flood to a few connections, and an ESME from another address binds and
// submits while it lasts.

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
)

// floodDial dials addr from the loopback address ip.
func floodDial(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		// Linux routes all of 127.0.0.0/8 to loopback; elsewhere the
		// address must be added (e.g. ifconfig lo0 alias 127.0.0.2).
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestUnboundFlood(t *testing.T) {
	const perAddr, flood = 16, 200
	a := inproc(t, func(c *Config) {
		c.Unbound.MaxPerAddr = perAddr
		c.Unbound.MaxConns = 100
	})
	srv := a.gw.srv
	if srv.HandshakeTimeout != 10*time.Second || srv.MaxUnboundConns != 100 || srv.MaxUnboundPerAddr != perAddr {
		t.Fatalf("server limits %s %d %d: not the config's", srv.HandshakeTimeout, srv.MaxUnboundConns, srv.MaxUnboundPerAddr)
	}
	before := srv.Stats()

	// The flood from 127.0.0.1, on both listeners: connections that say
	// nothing, and connections that announce a 70,000-octet PDU.
	var conns []net.Conn
	for i := range flood {
		addr := a.PlainAddr
		if i%4 == 3 {
			addr = a.Addr // the TLS listener counts against the same limits
		}
		conns = append(conns, floodDial(t, "127.0.0.1", addr))
	}
	waitUntil(t, "the flood to be accepted or refused", func() bool {
		st := srv.Stats()
		return st.Unbound-before.Unbound == perAddr && st.RejectedUnbound-before.RejectedUnbound == flood-perAddr
	})
	big := floodDial(t, "127.0.0.1", a.PlainAddr) // refused too: the address is at its limit
	big.Write(pdu.Header{Length: 70000, ID: pdu.BindTransceiverID, Sequence: 5}.AppendBinary(nil))

	// Every connection beyond the limit is closed; those within stay open.
	var mu sync.Mutex
	open, closed := 0, 0
	var wg sync.WaitGroup
	for _, c := range append(conns, big) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetReadDeadline(time.Now().Add(time.Second))
			_, err := c.Read(make([]byte, 16))
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				open++
			} else {
				closed++
			}
		}()
	}
	wg.Wait()
	if open != perAddr || closed != flood+1-perAddr {
		t.Fatalf("%d flood connections open and %d closed, want %d and %d", open, closed, perAddr, flood+1-perAddr)
	}
	// The operator sees them in the metrics.
	if got := testutil.ToFloat64(a.gw.metrics.connsRefused.WithLabelValues("unbound_per_addr")); got != flood+1-perAddr {
		t.Fatalf("smpp_gateway_connections_refused_total{reason=unbound_per_addr} = %v, want %d", got, flood+1-perAddr)
	}

	// Meanwhile an ESME from 127.0.0.2 binds (plaintext and TLS) and submits.
	for _, useTLS := range []bool{false, true} {
		addr, cfg := a.PlainAddr, (*tls.Config)(nil)
		if useTLS {
			addr, cfg = a.Addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
		c, err := client.Dial(ctx, addr, client.Config{SystemID: "demo", Password: "demo1234", TLS: cfg,
			DialContext: d.DialContext, Logger: quietLogger()})
		if err != nil {
			t.Fatalf("bind from 127.0.0.2 (TLS %v) during the flood: %v", useTLS, err)
		}
		t.Logf("bind from 127.0.0.2 (TLS %v) during the flood in %s", useTLS, time.Since(start).Round(time.Millisecond))
		if _, err := c.Submit(ctx, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("through the flood")}); err != nil {
			t.Fatalf("submit during the flood: %v", err)
		}
		c.Close(context.Background())
	}
	// A peer that announces a large PDU before binding, from an address
	// with room, is answered generic_nack ESME_RINVCMDLEN and disconnected.
	c := floodDial(t, "127.0.0.3", a.PlainAddr)
	c.Write(pdu.Header{Length: 70000, ID: pdu.BindTransceiverID, Sequence: 6}.AppendBinary(nil))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [16]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatalf("waiting for generic_nack: %v", err)
	}
	if h, _ := pdu.ParseHeader(b[:]); h.ID != pdu.GenericNackID || h.Status != pdu.ESME_RINVCMDLEN || h.Sequence != 6 {
		t.Fatalf("got %s %s seq %d", h.ID, h.Status, h.Sequence)
	}
	if _, err := c.Read(b[:]); err == nil {
		t.Fatal("not disconnected after generic_nack")
	}
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// The example configuration shows the defaults of the unbound limits, and
// they are the server package's.
func TestUnboundConfigDefaults(t *testing.T) {
	cfg, err := loadConfig("gateway.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := UnboundConfig{HandshakeTimeout: Duration(10 * time.Second), MaxConns: 1024, MaxPerAddr: 64}
	if cfg.Unbound != want || defaultConfig().Unbound != want {
		t.Fatalf("example %+v, defaults %+v, want %+v", cfg.Unbound, defaultConfig().Unbound, want)
	}
	cfg.Unbound.HandshakeTimeout = Duration(-time.Second)
	if err := cfg.validate(); err == nil {
		t.Fatal("a negative handshake_timeout accepted")
	}
}
