package server_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
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

// TestThrottlePerSystemID checks that the rate of a system_id is shared by its
// binds, that excess submissions get ESME_RTHROTTLED (none dropped), and that
// another system_id is not affected.
func TestThrottlePerSystemID(t *testing.T) {
	checkLeaks(t)
	var handled atomic.Int64
	srv := &server.Server{
		Logger: quiet,
		Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
			if r.Header.ID != pdu.SubmitSMID {
				w.Respond(nil, session.DefaultStatus(session.SMSC, r.Header.ID))
				return
			}
			handled.Add(1)
			w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
		}),
		Authenticate: func(ctx context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
			if r.Bind.SystemID == "slow" {
				// A burst of 10 and then 1 a minute: the test sees the burst only.
				return &server.Account{Rate: 1.0 / 60, Burst: 10}, pdu.ESME_ROK
			}
			return nil, pdu.ESME_ROK
		},
	}
	addr := start(t, srv)
	a := bindESME(t, addr, pdu.BindTransmitterID, "slow")
	b := bindESME(t, addr, pdu.BindTransceiverID, "slow")
	other := bindESME(t, addr, pdu.BindTransmitterID, "fast")
	var ok, throttled atomic.Int64
	var wg sync.WaitGroup
	for _, e := range []*smpptest.ESME{a, b} {
		for range 15 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, pdu.ESME_RTHROTTLED):
					throttled.Add(1)
				default:
					t.Errorf("submit: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	if ok.Load() != 10 || throttled.Load() != 20 || handled.Load() != 10 {
		t.Fatalf("accepted %d, throttled %d, handled %d; want 10, 20, 10", ok.Load(), throttled.Load(), handled.Load())
	}
	for range 50 {
		if _, err := other.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"}); err != nil {
			t.Fatalf("unlimited account: %v", err)
		}
	}
	// query_sm is not a submission: not throttled.
	if _, err := a.Send(bg, &pdu.QuerySM{MessageID: "1"}); !errors.Is(err, pdu.ESME_RQUERYFAIL) {
		t.Fatalf("query_sm: %v", err)
	}
	if st := srv.Stats(); st.Throttled != 20 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestServeMux(t *testing.T) {
	checkLeaks(t)
	mux := server.NewServeMux()
	mux.HandleFunc(pdu.SubmitSMID, func(w server.ResponseWriter, r *server.Request) {
		w.Respond(&pdu.SubmitSMResp{MessageID: "m-" + r.PDU.(*pdu.SubmitSM).DestinationAddr}, pdu.ESME_ROK)
	})
	mux.HandleFunc(pdu.QuerySMID, func(w server.ResponseWriter, r *server.Request) {
		w.Respond(&pdu.QuerySMResp{MessageID: r.PDU.(*pdu.QuerySM).MessageID, MessageState: pdu.StateDelivered}, pdu.ESME_ROK)
	})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("duplicate Handle did not panic")
			}
		}()
		mux.Handle(pdu.SubmitSMID, okHandler)
	}()
	addr := start(t, &server.Server{Handler: mux, Logger: quiet})
	e := bindESME(t, addr, pdu.BindTransceiverID, "a")
	r, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "42"})
	if err != nil || r.MessageID != "m-42" {
		t.Fatalf("submit: %v %+v", err, r)
	}
	q, err := e.Send(bg, &pdu.QuerySM{MessageID: "m-42"})
	if err != nil || q.PDU.(*pdu.QuerySMResp).MessageState != pdu.StateDelivered {
		t.Fatalf("query: %v", err)
	}
	for _, tc := range []struct {
		p    pdu.PDU
		want pdu.Status
	}{
		{&pdu.CancelSM{MessageID: "1"}, pdu.ESME_RCANCELFAIL},
		{&pdu.ReplaceSM{MessageID: "1"}, pdu.ESME_RREPLACEFAIL},
		{&pdu.DataSM{DestinationAddr: "1"}, pdu.ESME_RSUBMITFAIL},
		{&pdu.SubmitMulti{Dests: []pdu.DestAddress{{DestinationAddr: "1"}}}, pdu.ESME_RSUBMITFAIL},
	} {
		if _, err := e.Send(bg, tc.p); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %s", tc.p.CommandID(), err, tc.want)
		}
	}
}

func TestNilHandler(t *testing.T) {
	checkLeaks(t)
	addr := start(t, &server.Server{Logger: quiet})
	e := bindESME(t, addr, pdu.BindTransceiverID, "a")
	if _, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"}); !errors.Is(err, pdu.ESME_RSUBMITFAIL) {
		t.Fatalf("submit to a nil handler: %v", err)
	}
}

func TestHandlerPanic(t *testing.T) {
	checkLeaks(t)
	addr := start(t, &server.Server{Logger: quiet, Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		if r.PDU.(*pdu.SubmitSM).DestinationAddr == "boom" {
			panic("boom")
		}
		w.Respond(&pdu.SubmitSMResp{MessageID: "ok"}, pdu.ESME_ROK)
	})})
	e := bindESME(t, addr, pdu.BindTransmitterID, "a")
	if _, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "boom"}); !errors.Is(err, pdu.ESME_RSYSERR) {
		t.Fatalf("panicking handler: %v", err)
	}
	if r, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"}); err != nil || r.MessageID != "ok" {
		t.Fatalf("after the panic: %v", err)
	}
}

// TestInboundWindowOverflow holds every request in the handler: past the
// inbound window the ESME gets ESME_RTHROTTLED at once.
func TestInboundWindowOverflow(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	var held atomic.Int32
	addr := start(t, &server.Server{Logger: quiet, Session: session.Config{InboundWindow: 5}, Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		held.Add(1)
		<-release
		w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
	})})
	c := dialRaw(t, addr)
	c.bind(pdu.BindTransmitterID, "a")
	var seqs []uint32
	for range 5 {
		seqs = append(seqs, c.send(&pdu.SubmitSM{DestinationAddr: "1"}))
	}
	waitFor(t, "five handlers", func() bool { return held.Load() == 5 })
	for range 3 {
		seq := c.send(&pdu.SubmitSM{DestinationAddr: "1"})
		c.expect(pdu.SubmitSMRespID, pdu.ESME_RTHROTTLED, seq)
	}
	// enquire_link is answered by the session, not the handlers.
	seq := c.send(&pdu.EnquireLink{})
	c.expect(pdu.EnquireLinkRespID, pdu.ESME_ROK, seq)
	close(release)
	got := map[uint32]bool{}
	for range 5 {
		h, _, err := c.read()
		if err != nil || h.ID != pdu.SubmitSMRespID || h.Status != pdu.ESME_ROK {
			t.Fatalf("held response: %v %s %s", err, h.ID, h.Status)
		}
		got[h.Sequence] = true
	}
	for _, s := range seqs {
		if !got[s] {
			t.Fatalf("no response for %d", s)
		}
	}
}

// TestLoadExactlyOnce pushes 10,000 submissions through a window of 100 on
// each of two binds and checks that each completes once, with a unique id.
func TestLoadExactlyOnce(t *testing.T) {
	checkLeaks(t)
	var next atomic.Int64
	addr := start(t, &server.Server{Logger: quiet, Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		w.Respond(&pdu.SubmitSMResp{MessageID: strconv.FormatInt(next.Add(1), 10)}, pdu.ESME_ROK)
	})})
	const n = 10000
	var ids sync.Map
	var done atomic.Int64
	var wg sync.WaitGroup
	for b := range 2 {
		e, err := smpptest.Dial(bg, addr, smpptest.ESMEOptions{Config: session.Config{Window: 100, Logger: quiet}})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		if _, err := e.BindAs(bg, pdu.BindTransmitterID, "load", "pw"); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var calls sync.WaitGroup
			for i := range n / 2 {
				calls.Add(1)
				c := new(session.Call)
				e.SendNotify(bg, &pdu.SubmitSM{DestinationAddr: fmt.Sprint(b, "-", i)}, session.NotifierFunc(func(c *session.Call) {
					defer calls.Done()
					done.Add(1)
					resp, err := c.Result()
					if err != nil {
						t.Errorf("submit: %v", err)
						return
					}
					if _, dup := ids.LoadOrStore(resp.PDU.(*pdu.SubmitSMResp).MessageID, true); dup {
						t.Errorf("duplicate id")
					}
				}), c)
				if _, err := c.Result(); err != nil {
					t.Errorf("send: %v", err)
					return
				}
				if e.InFlight() > 100 {
					t.Errorf("window exceeded: %d", e.InFlight())
				}
			}
			calls.Wait()
		}()
	}
	wg.Wait()
	if done.Load() != n || next.Load() != n {
		t.Fatalf("completed %d, handled %d, want %d", done.Load(), next.Load(), n)
	}
}

// TestDeliverRoundRobin pushes receipts to two receivers of one system_id.
func TestDeliverRoundRobin(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler, Logger: quiet}
	addr := start(t, srv)
	if _, err := srv.Deliver(bg, "nobody", &pdu.DeliverSM{}); !errors.Is(err, server.ErrNoReceiver) {
		t.Fatalf("no receiver: %v", err)
	}
	tx := bindESME(t, addr, pdu.BindTransmitterID, "acme")
	if _, err := srv.Deliver(bg, "acme", &pdu.DeliverSM{}); !errors.Is(err, server.ErrNoReceiver) {
		t.Fatalf("only a transmitter bound: %v", err)
	}
	rx := bindESME(t, addr, pdu.BindReceiverID, "acme")
	trx := bindESME(t, addr, pdu.BindTransceiverID, "acme")
	for i := range 10 {
		d := &pdu.DeliverSM{SourceAddr: "1", DestinationAddr: "2", ESMClass: 0x04, ShortMessage: []byte(fmt.Sprint("id:", i, " stat:DELIVRD"))}
		if _, err := srv.Deliver(bg, "acme", d); err != nil {
			t.Fatalf("deliver %d: %v", i, err)
		}
	}
	if a, b := len(rx.Received()), len(trx.Received()); a != 5 || b != 5 || len(tx.Received()) != 0 {
		t.Fatalf("receivers got %d and %d, transmitter %d", a, b, len(tx.Received()))
	}
	// data_sm too; an ESME answering with an error status is reported.
	if _, err := srv.DataSM(bg, "acme", &pdu.DataSM{DestinationAddr: "2"}); err != nil {
		t.Fatalf("data_sm: %v", err)
	}
	// A receiver that went away is skipped.
	rx.Close()
	waitFor(t, "one receiver", func() bool { return len(srv.Receivers("acme")) == 1 })
	for range 3 {
		if _, err := srv.Deliver(bg, "acme", &pdu.DeliverSM{}); err != nil {
			t.Fatalf("deliver after a receiver left: %v", err)
		}
	}
}

func TestDeliverRefused(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler, Logger: quiet}
	addr := start(t, srv)
	e, err := smpptest.Dial(bg, addr, smpptest.ESMEOptions{Config: session.Config{Logger: quiet, Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
		w.Respond(nil, pdu.ESME_RX_T_APPN)
	})}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.BindAs(bg, pdu.BindReceiverID, "r", "pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Deliver(bg, "r", &pdu.DeliverSM{}); !errors.Is(err, pdu.ESME_RX_T_APPN) {
		t.Fatalf("deliver refused: %v", err)
	}
}

// TestShutdownUnderLoad shuts the server down while ESMEs submit through a slow
// handler: every submission sent gets an answer (accepted before the
// shutdown, or ESME_RTHROTTLED / ESME_RINVBNDSTS after it), the sessions are
// unbound, Serve returns ErrServerClosed and nothing leaks.
func TestShutdownUnderLoad(t *testing.T) {
	checkLeaks(t)
	var handled atomic.Int64
	srv := &server.Server{Logger: quiet, Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		time.Sleep(time.Millisecond)
		handled.Add(1)
		w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	addr := l.Addr().String()

	var accepted, refused, lost atomic.Int64
	var wg sync.WaitGroup
	var esmes []*smpptest.ESME
	for i := range 4 {
		e := bindESME(t, addr, pdu.BindTransceiverID, fmt.Sprint("e", i%2))
		esmes = append(esmes, e)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var calls sync.WaitGroup
			for {
				calls.Add(1)
				c := new(session.Call)
				e.SendNotify(bg, &pdu.SubmitSM{DestinationAddr: "1"}, session.NotifierFunc(func(c *session.Call) {
					defer calls.Done()
					_, err := c.Result()
					var le *session.LostError
					switch {
					case err == nil:
						accepted.Add(1)
					case errors.Is(err, pdu.ESME_RTHROTTLED), errors.Is(err, pdu.ESME_RINVBNDSTS):
						refused.Add(1)
					case errors.As(err, &le):
						// Failed locally when our side saw the unbind: never sent,
						// or sent after the server's last answer.
						lost.Add(1)
					default:
						t.Errorf("submit: %v", err)
					}
				}), c)
				var le *session.LostError
				if _, err := c.Result(); errors.As(err, &le) || errors.Is(err, session.ErrNotAllowed) {
					break // the session is gone or unbinding: done was told
				}
			}
			calls.Wait()
		}()
	}
	waitFor(t, "some load", func() bool { return handled.Load() > 200 })
	ctx, cancel := context.WithTimeout(bg, 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	wg.Wait()
	if accepted.Load() != handled.Load() {
		t.Fatalf("handled %d but the ESMEs saw %d accepted", handled.Load(), accepted.Load())
	}
	for _, e := range esmes {
		<-e.Done()
		if err := e.Err(); err != nil && !errors.Is(err, io.EOF) {
			t.Errorf("ESME session ended with %v, want a clean unbind", err)
		}
	}
	if st := srv.Stats(); st.Open != 0 || st.Bound != 0 {
		t.Fatalf("after shutdown: %+v", st)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still accepting")
	}
	t.Logf("accepted %d, refused %d, lost locally %d", accepted.Load(), refused.Load(), lost.Load())
}

// TestShutdownDeadline: a handler that never answers; Shutdown gives up at
// the deadline and closes the connection.
func TestShutdownDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	handling := make(chan struct{})
	srv := &server.Server{Logger: quiet, Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		close(handling)
		<-release
	})}
	addr := start(t, srv)
	c := dialRaw(t, addr)
	c.bind(pdu.BindTransmitterID, "a")
	c.send(&pdu.SubmitSM{DestinationAddr: "1"})
	<-handling
	ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	c.expectClosed()
}

func TestServeAfterClose(t *testing.T) {
	srv := &server.Server{}
	srv.Close()
	if err := srv.ListenAndServe(); !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("ListenAndServe after Close: %v", err)
	}
}

func TestOutbind(t *testing.T) {
	checkLeaks(t)
	srv := &server.Server{Handler: okHandler, Logger: quiet}
	start(t, srv) // so that Close runs at the end
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// The ESME: on outbind, bind as receiver on the same connection.
	esme := make(chan *smpptest.ESME, 1)
	got := make(chan *pdu.Outbind, 1)
	go func() {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		var e *smpptest.ESME
		ready := make(chan struct{})
		e = smpptest.NewESME(nc, session.Config{Logger: quiet, OnOutbind: func(s *session.Session, o *pdu.Outbind) {
			got <- o
			go func() {
				<-ready
				e.BindAs(bg, pdu.BindReceiverID, "out", "pw")
			}()
		}})
		close(ready)
		esme <- e
	}()
	conn, err := srv.Outbind(bg, l.Addr().String(), &pdu.Outbind{SystemID: "SMSC", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	e := <-esme
	defer e.Close()
	if o := <-got; o.SystemID != "SMSC" || o.Password != "pw" {
		t.Fatalf("outbind: %+v", o)
	}
	if conn.State() != session.BoundRX || conn.SystemID() != "out" {
		t.Fatalf("connection %s %q", conn.State(), conn.SystemID())
	}
	if _, err := srv.Deliver(bg, "out", &pdu.DeliverSM{DestinationAddr: "1"}); err != nil {
		t.Fatalf("deliver over the outbound session: %v", err)
	}
}
