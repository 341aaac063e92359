package server_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
)

func TestAuthenticate(t *testing.T) {
	checkLeaks(t)
	var seen []*server.BindRequest
	var mu sync.Mutex
	srv := &server.Server{
		Handler:  okHandler,
		Logger:   quiet,
		SystemID: "TESTSMSC",
		Authenticate: func(ctx context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
			mu.Lock()
			seen = append(seen, r)
			mu.Unlock()
			switch {
			case r.Bind.SystemID != "alice" && r.Bind.SystemID != "rxonly":
				return nil, pdu.ESME_RINVSYSID
			case r.Bind.Password != "pw":
				return nil, pdu.ESME_RINVPASWD
			case r.Bind.SystemID == "rxonly":
				return &server.Account{Modes: server.ModeReceiver}, pdu.ESME_ROK
			}
			return &server.Account{MaxBinds: 2, Value: "alice-data"}, pdu.ESME_ROK
		},
	}
	addr := start(t, srv)

	for _, tc := range []struct {
		id                 pdu.CommandID
		systemID, password string
		version            uint8
		want               pdu.Status
	}{
		{pdu.BindTransmitterID, "mallory", "pw", 0x34, pdu.ESME_RINVSYSID},
		{pdu.BindTransmitterID, "alice", "nope", 0x34, pdu.ESME_RINVPASWD},
		{pdu.BindTransmitterID, "rxonly", "pw", 0x34, pdu.ESME_RBINDFAIL},
		{pdu.BindTransceiverID, "rxonly", "pw", 0x34, pdu.ESME_RBINDFAIL},
		{pdu.BindReceiverID, "rxonly", "pw", 0x34, pdu.ESME_ROK},
		{pdu.BindTransceiverID, "alice", "pw", 0x50, pdu.ESME_ROK}, // node-smpp binds with 0x50
		{pdu.BindTransmitterID, "alice", "pw", 0x33, pdu.ESME_ROK},
		{pdu.BindReceiverID, "alice", "pw", 0x34, pdu.ESME_RALYBND}, // MaxBinds 2
	} {
		c := dialRaw(t, addr)
		seq := c.send(&pdu.Bind{ID: tc.id, SystemID: tc.systemID, Password: tc.password, InterfaceVersion: tc.version})
		body := c.expect(tc.id.Response(), tc.want, seq)
		if tc.want != pdu.ESME_ROK {
			// A refused bind_transceiver carries the server's system_id and
			// nothing else (the same for every refusal), for ESMEs that read
			// it from every bind_transceiver_resp; the others are
			// header-only.
			want := ""
			if tc.id == pdu.BindTransceiverID {
				want = "TESTSMSC\x00"
			}
			if string(body) != want {
				t.Errorf("%s %s: refusal's body %q, want %q", tc.systemID, tc.id, body, want)
			}
			// The session stays OPEN: a bind may be retried; submit is refused.
			seq = c.send(&pdu.SubmitSM{DestinationAddr: "1"})
			c.expect(pdu.SubmitSMRespID, pdu.ESME_RINVBNDSTS, seq)
			c.c.Close()
			continue
		}
		var resp pdu.BindResp
		if err := resp.UnmarshalBinary(body); err != nil {
			t.Fatal(err)
		}
		v, ok := resp.TLVs.ScInterfaceVersion()
		if resp.SystemID != "TESTSMSC" || ok != (tc.version >= 0x34) || (ok && v != 0x34) {
			t.Errorf("bind %s v%#x: system_id %q sc_interface_version %#x %v", tc.systemID, tc.version, resp.SystemID, v, ok)
		}
	}
	waitFor(t, "two alice sessions", func() bool { return len(srv.Conns("alice")) == 2 })
	if got := srv.Receivers("alice"); len(got) != 1 || got[0].State() != session.BoundTRX {
		t.Errorf("receivers of alice: %v", got)
	}
	for _, c := range srv.Conns("alice") {
		if a := c.Account(); a == nil || a.Value != "alice-data" {
			t.Errorf("account on the connection: %+v", a)
		}
	}
	mu.Lock()
	r := seen[0]
	mu.Unlock()
	if r.RemoteAddr == nil || r.TLS != nil || r.Mode != server.ModeTransmitter || r.Conn == nil {
		t.Errorf("bind request: %+v", r)
	}
	if st := srv.Stats(); st.Binds != 3 || st.BindsRefused != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestMaxBindsFreedOnClose(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler, Logger: quiet, Authenticate: func(ctx context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
		return &server.Account{MaxBinds: 1}, pdu.ESME_ROK
	}}
	addr := start(t, srv)
	a := bindESME(t, addr, pdu.BindTransceiverID, "x")
	e := dialESME(t, addr, nil)
	if _, err := e.BindAs(bg, pdu.BindTransmitterID, "x", "pw"); !errors.Is(err, pdu.ESME_RALYBND) {
		t.Fatalf("second bind: %v", err)
	}
	if err := a.Unbind(bg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bind slot to be freed", func() bool { return srv.Stats().Bound == 0 })
	if _, err := e.BindAs(bg, pdu.BindTransmitterID, "x", "pw"); err != nil {
		t.Fatalf("bind after the first unbound: %v", err)
	}
}

func TestMaxConns(t *testing.T) {
	checkLeaks(t)
	var rejected atomic.Int32
	srv := &server.Server{Handler: okHandler, Logger: quiet, MaxConns: 2, Observer: server.Observer{
		ConnRejected: func(net.Addr, error) { rejected.Add(1) },
	}}
	addr := start(t, srv)
	bindESME(t, addr, pdu.BindTransceiverID, "a")
	bindESME(t, addr, pdu.BindTransceiverID, "b")
	c := dialRaw(t, addr)
	c.expectClosed()
	if rejected.Load() != 1 {
		t.Fatalf("rejected %d", rejected.Load())
	}
}
