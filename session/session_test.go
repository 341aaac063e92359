package session_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// pair returns an SMSC-role and an ESME-role session joined by a pipe.
func pair(t *testing.T, smsc, esme session.Config) (*session.Session, *session.Session) {
	t.Helper()
	a, b := net.Pipe()
	smsc.Role = session.SMSC
	esme.Role = session.ESME
	srv := session.New(a, smsc)
	cli := session.New(b, esme)
	t.Cleanup(func() {
		cli.Close()
		srv.Close()
		srv.Wait()
		cli.Wait()
	})
	return srv, cli
}

func submitHandler(count *atomic.Int64) session.Handler {
	return session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
		sm, ok := r.PDU.(*pdu.SubmitSM)
		if !ok {
			w.Respond(nil, pdu.ESME_RINVCMDID)
			return
		}
		n := count.Add(1)
		w.Respond(&pdu.SubmitSMResp{MessageID: fmt.Sprintf("id-%d-%s", n, sm.ShortMessage)}, 0)
	})
}

func TestBindSubmitUnbind(t *testing.T) {
	var count atomic.Int64
	var bound string
	srv, cli := pair(t, session.Config{
		Handler: submitHandler(&count),
		OnBind: func(ctx context.Context, s *session.Session, b *pdu.Bind) (*pdu.BindResp, pdu.Status) {
			bound = b.SystemID
			if b.Password != "secret" {
				return nil, pdu.ESME_RINVPASWD
			}
			r := &pdu.BindResp{SystemID: "SMSC"}
			r.TLVs.SetScInterfaceVersion(0x34)
			return r, 0
		},
	}, session.Config{})
	ctx := context.Background()

	// Submitting before bind is refused locally.
	if _, err := cli.Send(ctx, &pdu.SubmitSM{DestinationAddr: "1"}); !errors.Is(err, session.ErrNotAllowed) {
		t.Fatalf("submit before bind: %v", err)
	}
	if _, err := cli.Bind(ctx, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "esme", Password: "wrong"}); !errors.Is(err, pdu.ESME_RINVPASWD) {
		t.Fatalf("bad password: %v", err)
	}
	if cli.State() != session.Open || srv.State() != session.Open {
		t.Fatalf("states after refused bind: %s %s", cli.State(), srv.State())
	}
	resp, err := cli.Bind(ctx, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "esme", Password: "secret", InterfaceVersion: 0x34})
	if err != nil || resp.SystemID != "SMSC" {
		t.Fatalf("bind: %v %+v", err, resp)
	}
	if cli.State() != session.BoundTRX || srv.State() != session.BoundTRX || bound != "esme" || srv.SystemID() != "esme" {
		t.Fatalf("states: %s %s %q", cli.State(), srv.State(), bound)
	}
	if cli.InterfaceVersion() != 0x34 {
		t.Fatalf("sc_interface_version %x", cli.InterfaceVersion())
	}
	r, err := cli.Send(ctx, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("hi")})
	if err != nil || r.PDU.(*pdu.SubmitSMResp).MessageID != "id-1-hi" {
		t.Fatalf("submit: %v %+v", err, r)
	}
	if err := cli.Unbind(ctx); err != nil {
		t.Fatalf("unbind: %v", err)
	}
	select {
	case <-srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server session did not end after unbind")
	}
}

func TestWindowExactlyOnce(t *testing.T) {
	var count atomic.Int64
	_, cli := pair(t, session.Config{Handler: submitHandler(&count)}, session.Config{Window: 10})
	ctx := context.Background()
	if _, err := cli.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "a"}); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	var wg sync.WaitGroup
	var completions atomic.Int64
	seen := sync.Map{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		cli.SendNotify(ctx, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("x")}, session.NotifierFunc(func(c *session.Call) {
			defer wg.Done()
			completions.Add(1)
			resp, err := c.Result()
			if err != nil {
				t.Errorf("call %d: %v", c.Sequence(), err)
				return
			}
			if _, dup := seen.LoadOrStore(resp.PDU.(*pdu.SubmitSMResp).MessageID, true); dup {
				t.Errorf("duplicate response")
			}
		}), nil)
		if cli.InFlight() > 10 {
			t.Fatalf("window exceeded: %d", cli.InFlight())
		}
	}
	wg.Wait()
	if completions.Load() != n || count.Load() != n {
		t.Fatalf("completions %d, handled %d", completions.Load(), count.Load())
	}
}

// goroutineID reads the running goroutine's number from its stack header.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	f := strings.Fields(string(buf))
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// Handlers run on reused goroutines: requests one after another are served
// by the same goroutine, not by a new one each.
func TestHandlerGoroutinesReused(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	a, b := net.Pipe()
	srv := session.New(a, session.Config{Role: session.SMSC, Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
		mu.Lock()
		seen[goroutineID()]++
		mu.Unlock()
		w.Respond(&pdu.SubmitSMResp{MessageID: "x"}, pdu.ESME_ROK)
	})})
	cli := session.New(b, session.Config{Role: session.ESME})
	ctx := context.Background()
	if _, err := cli.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "u"}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	for range n {
		if _, err := cli.Send(ctx, &pdu.SubmitSM{DestinationAddr: "1"}); err != nil {
			t.Fatal(err)
		}
	}
	cli.Unbind(ctx)
	srv.Wait()
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, c := range seen {
		total += c
	}
	if total != n {
		t.Fatalf("handler ran %d times, want %d", total, n)
	}
	// One at a time: after the first, each request finds the previous
	// request's goroutine waiting for work (a few may race past it).
	if len(seen) > n/5 {
		t.Fatalf("%d goroutines served %d sequential requests: not reused", len(seen), n)
	}
}

// Whoever sends a deliver_sm as soon as the SMSC side is bound (here, the
// state observer, at the very moment) sends it after the bind_resp on the
// wire: the ESME is bound when it reads it, and accepts it.
func TestBindRespPrecedesFirstDelivery(t *testing.T) {
	first := make(chan *session.Call, 1)
	var smsc session.Config
	smsc.Observer.StateChange = func(s *session.Session, from, to session.State) {
		if to == session.BoundRX {
			first <- s.SendAsync(context.Background(), &pdu.DeliverSM{SourceAddr: "1", DestinationAddr: "2"})
		}
	}
	got := make(chan struct{}, 1)
	_, cli := pair(t, smsc, session.Config{Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
		w.Respond(nil, pdu.ESME_ROK)
		got <- struct{}{}
	})})
	if _, err := cli.Bind(context.Background(), &pdu.Bind{ID: pdu.BindReceiverID, SystemID: "u"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := <-first
	if _, err := c.Wait(ctx); err != nil {
		t.Fatalf("the first deliver_sm: %v (it reached the ESME before the bind_resp)", err)
	}
	select {
	case <-got:
	case <-ctx.Done():
		t.Fatal("the ESME's handler never saw the deliver_sm")
	}
}

// A refused bind's bind_resp is header-only, as SMPP 3.4 has it, unless the
// OnBind hook returns a body with BodyOnError: then it carries the body's
// system_id, and the ESME still reads the status.
func TestBindRefusalBody(t *testing.T) {
	for _, tc := range []struct {
		name string
		resp *pdu.BindResp
		body string
	}{
		{"no body", nil, ""},
		{"a body without BodyOnError", &pdu.BindResp{SystemID: "SMSC"}, ""},
		{"BodyOnError", &pdu.BindResp{SystemID: "SMSC", BodyOnError: true}, "SMSC\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			srv := session.New(a, session.Config{Role: session.SMSC,
				OnBind: func(context.Context, *session.Session, *pdu.Bind) (*pdu.BindResp, pdu.Status) {
					return tc.resp, pdu.ESME_RINVPASWD
				}})
			defer func() { b.Close(); srv.Close() }()
			p := newRaw(t, b)
			p.send(7, 0, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "u", Password: "x"})
			f := p.read()
			if f.ID != pdu.BindTransceiverRespID || f.Status != pdu.ESME_RINVPASWD || f.Sequence != 7 || string(f.Body) != tc.body {
				t.Fatalf("got %s %s seq %d body %q, want ESME_RINVPASWD with body %q", f.ID, f.Status, f.Sequence, f.Body, tc.body)
			}
		})
	}
	// Our ESME reads either as the status.
	_, cli := pair(t, session.Config{OnBind: func(context.Context, *session.Session, *pdu.Bind) (*pdu.BindResp, pdu.Status) {
		return &pdu.BindResp{SystemID: "SMSC", BodyOnError: true}, pdu.ESME_RINVPASWD
	}}, session.Config{})
	if _, err := cli.Bind(context.Background(), &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "u"}); !errors.Is(err, pdu.ESME_RINVPASWD) {
		t.Fatalf("bind: %v, want ESME_RINVPASWD", err)
	}
}
