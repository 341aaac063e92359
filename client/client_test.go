package client_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/smpptest"
)

// guard bounds waits that must not hang a broken test; no assertion depends on it.
const guard = 60 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, addr string, cfg client.Config) *client.Client {
	t.Helper()
	if cfg.SystemID == "" {
		cfg.SystemID, cfg.Password = "esme", "secret"
	}
	if cfg.MaxBackoff == 0 {
		cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 20*time.Millisecond
	}
	c, err := client.Dial(testCtx(t), addr, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func TestBindModes(t *testing.T) {
	for _, tc := range []struct {
		mode  client.Mode
		binds []pdu.CommandID
	}{
		{client.Transceiver, []pdu.CommandID{pdu.BindTransceiverID}},
		{client.Transmitter, []pdu.CommandID{pdu.BindTransmitterID}},
		{client.Receiver, []pdu.CommandID{pdu.BindReceiverID}},
		{client.Pair, []pdu.CommandID{pdu.BindTransmitterID, pdu.BindReceiverID}},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			ts := smpptest.NewServer(t, smpptest.Options{Credentials: map[string]string{"esme": "secret"}})
			c := dial(t, ts.Addr, client.Config{Mode: tc.mode})
			binds, err := ts.WaitBinds(len(tc.binds), guard)
			if err != nil {
				t.Fatal(err)
			}
			got := map[pdu.CommandID]bool{}
			for _, b := range binds {
				if b.Status != pdu.ESME_ROK {
					t.Fatalf("bind refused: %v", b.Status)
				}
				got[b.Request.CommandID()] = true
			}
			for _, id := range tc.binds {
				if !got[id] {
					t.Fatalf("no %s among %v", id, binds)
				}
			}
			ctx := testCtx(t)
			if tc.mode == client.Receiver {
				short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
				_, err := c.Submit(short, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("x")})
				if !errors.Is(err, client.ErrNotBound) || !client.NotSent(err) {
					t.Fatalf("submit on a receiver: %v", err)
				}
				return
			}
			resp, err := c.Submit(ctx, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("hello")})
			if err != nil || resp.MessageID == "" {
				t.Fatalf("submit: %v %v", resp, err)
			}
		})
	}
}

func TestBindRefused(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{Credentials: map[string]string{"esme": "secret"}})
	_, err := client.Dial(testCtx(t), ts.Addr, client.Config{SystemID: "esme", Password: "wrong"})
	if !errors.Is(err, pdu.ESME_RINVPASWD) {
		t.Fatalf("Dial with a wrong password: %v", err)
	}
}

func TestTLS(t *testing.T) {
	ts := smpptest.NewTLSServer(t, smpptest.Options{})
	// Verification is on: a client that does not trust the certificate fails.
	_, err := client.Dial(testCtx(t), ts.Addr, client.Config{SystemID: "esme", DialTimeout: time.Second})
	if err == nil {
		t.Fatal("plaintext client bound to a TLS server")
	}
	untrusted := ts.ClientTLSConfig().Clone()
	untrusted.RootCAs = nil
	if _, err := client.Dial(testCtx(t), ts.Addr, client.Config{SystemID: "esme", TLS: untrusted}); err == nil {
		t.Fatal("bound although the certificate is not trusted")
	}
	c := dial(t, ts.Addr, client.Config{TLS: ts.ClientTLSConfig()})
	if _, err := c.Submit(testCtx(t), &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("tls")}); err != nil {
		t.Fatal(err)
	}
}

func TestFailover(t *testing.T) {
	down := smpptest.NewServer(t, smpptest.Options{})
	downAddr := down.Addr
	down.Close()
	up := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, downAddr, client.Config{Endpoints: []client.Endpoint{{Addr: up.Addr}}})
	if _, err := c.Submit(testCtx(t), &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("f")}); err != nil {
		t.Fatal(err)
	}
	if len(up.Submits()) != 1 {
		t.Fatal("submit did not go to the live endpoint")
	}

	// Two live endpoints: the first is preferred; when it goes, the second
	// takes over.
	a := smpptest.NewServer(t, smpptest.Options{})
	b := smpptest.NewServer(t, smpptest.Options{})
	aDown := make(chan struct{})
	var once sync.Once
	c2 := dial(t, a.Addr, client.Config{Endpoints: []client.Endpoint{{Addr: b.Addr}}, OnStateChange: func(e client.StateEvent) {
		if e.Endpoint == a.Addr && e.State == client.Disconnected {
			once.Do(func() { close(aDown) })
		}
	}})
	// Dial returns once one bind is up, which may be b's: wait for both.
	deadline := time.Now().Add(guard)
	for st := c2.Stats(); !st[0].Up || !st[1].Up; st = c2.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("binds not up: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
	submitAll(t, c2, 50, "a")
	if len(a.Submits()) != 50 || len(b.Submits()) != 0 {
		t.Fatalf("a %d b %d", len(a.Submits()), len(b.Submits()))
	}
	a.Close()
	<-aDown // requests in flight on a when it goes may be lost ("maybe sent")
	_, errs := submitAll(t, c2, 50, "b")
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(b.Submits()) != 50 {
		t.Fatalf("b got %d", len(b.Submits()))
	}
}

func TestSpread(t *testing.T) {
	a := smpptest.NewServer(t, smpptest.Options{})
	b := smpptest.NewServer(t, smpptest.Options{})
	c := dial(t, a.Addr, client.Config{Spread: true, Endpoints: []client.Endpoint{{Addr: b.Addr}}})
	if _, err := b.WaitBinds(1, guard); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitBinds(1, guard); err != nil {
		t.Fatal(err)
	}
	for c.Stats()[0].Up != true || c.Stats()[1].Up != true {
		time.Sleep(time.Millisecond)
	}
	submitAll(t, c, 100, "s")
	if len(a.Submits()) == 0 || len(b.Submits()) == 0 || len(a.Submits())+len(b.Submits()) != 100 {
		t.Fatalf("a %d b %d", len(a.Submits()), len(b.Submits()))
	}
}

// Two binds to the same address are told apart in state events by Slot.
func TestStateEventSlots(t *testing.T) {
	ts := smpptest.NewServer(t, smpptest.Options{})
	var mu sync.Mutex
	bound := map[int]string{}
	c := dial(t, ts.Addr, client.Config{
		Endpoints: []client.Endpoint{{Addr: ts.Addr}},
		Mode:      client.Pair,
		OnStateChange: func(e client.StateEvent) {
			if e.State == client.Bound {
				mu.Lock()
				bound[e.Slot] = e.Endpoint + " " + e.Bind.String()
				mu.Unlock()
			}
		},
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(bound)
		mu.Unlock()
		if n == 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	// Pair mode: a transmitter and a receiver to each of the two endpoints,
	// both the same address.
	if len(bound) != 4 {
		t.Fatalf("bound slots %v, want 4 distinct", bound)
	}
	for i := range 4 {
		if _, ok := bound[i]; !ok {
			t.Fatalf("slot %d missing: %v", i, bound)
		}
	}
	_ = c
}
