package session_test

import (
	"context"
	"encoding/hex"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// sample returns a valid body for a request id.
func sample(id pdu.CommandID) pdu.PDU {
	switch id {
	case pdu.SubmitSMID:
		return &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("x")}
	case pdu.DeliverSMID:
		return &pdu.DeliverSM{DestinationAddr: "1", ShortMessage: []byte("x")}
	case pdu.DataSMID:
		return &pdu.DataSM{DestinationAddr: "1"}
	case pdu.SubmitMultiID:
		return &pdu.SubmitMulti{Dests: []pdu.DestAddress{{DestinationAddr: "1"}}}
	case pdu.QuerySMID:
		return &pdu.QuerySM{MessageID: "1"}
	case pdu.CancelSMID:
		return &pdu.CancelSM{MessageID: "1"}
	case pdu.ReplaceSMID:
		return &pdu.ReplaceSM{MessageID: "1"}
	case pdu.AlertNotificationID:
		return &pdu.AlertNotification{SourceAddr: "1"}
	case pdu.OutbindID:
		return &pdu.Outbind{SystemID: "s"}
	}
	return pdu.New(id)
}

// TestStateTable sends every request in every state to a session of each role
// and checks the answer: allowed requests reach the handler (which answers
// ESME_ROK), the others get ESME_RINVBNDSTS (ESME_RALYBND for a second bind).
func TestStateTable(t *testing.T) {
	requests := []pdu.CommandID{
		pdu.BindTransmitterID, pdu.BindReceiverID, pdu.BindTransceiverID, pdu.SubmitSMID, pdu.SubmitMultiID,
		pdu.QuerySMID, pdu.CancelSMID, pdu.ReplaceSMID, pdu.DataSMID, pdu.DeliverSMID, pdu.EnquireLinkID,
		pdu.UnbindID,
	}
	states := []struct {
		name string
		bind pdu.CommandID // 0 = stay OPEN
	}{{"OPEN", 0}, {"BOUND_TX", pdu.BindTransmitterID}, {"BOUND_RX", pdu.BindReceiverID}, {"BOUND_TRX", pdu.BindTransceiverID}}
	for _, role := range []session.Role{session.SMSC, session.ESME} {
		for _, st := range states {
			for _, id := range requests {
				name := role.String() + "/" + st.name + "/" + id.String()
				t.Run(name, func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						a, b := net.Pipe()
						var handled atomic.Int32
						s := session.New(a, session.Config{Role: role, EnquireLinkInterval: -1, BindTimeout: -1,
							Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
								handled.Add(1)
								w.Respond(nil, pdu.ESME_ROK)
							})})
						p := newRaw(t, b)
						go func() {
							// An ESME-role session's bind is driven from its side.
							if role == session.ESME && st.bind != 0 {
								f := p.read()
								p.send(f.Sequence, 0, &pdu.BindResp{ID: f.ID.Response()})
							}
						}()
						if st.bind != 0 {
							if role == session.SMSC {
								p.send(1, 0, &pdu.Bind{ID: st.bind, SystemID: "x"})
								if f := p.read(); f.Status != 0 {
									t.Fatalf("bind refused: %s", f.Status)
								}
							} else if _, err := s.Bind(context.Background(), &pdu.Bind{ID: st.bind}); err != nil {
								t.Fatal(err)
							}
						}
						state := s.State()
						peer := session.ESME
						if role == session.ESME {
							peer = session.SMSC
						}
						allowed := session.Allowed(peer, state, id)
						p.send(77, 0, sample(id))
						f := p.read()
						if f.Sequence != 77 {
							t.Fatalf("answer has sequence %d", f.Sequence)
						}
						if f.ID != id.Response() {
							t.Fatalf("answered %s, want %s", f.ID, id.Response())
						}
						want := pdu.ESME_ROK
						switch {
						case !allowed && id.IsBind() && state.Bound():
							want = pdu.ESME_RALYBND
						case !allowed:
							want = pdu.ESME_RINVBNDSTS
						}
						if f.Status != want {
							t.Fatalf("status %s, want %s (allowed=%v in %s)", f.Status, want, allowed, state)
						}
						if want != pdu.ESME_ROK && f.Length != pdu.HeaderLen {
							t.Fatalf("error response with a body (%d octets)", f.Length)
						}
						viaHandler := allowed && !id.IsBind() && id != pdu.EnquireLinkID && id != pdu.UnbindID
						synctest.Wait()
						if got := handled.Load() == 1; got != viaHandler {
							t.Fatalf("handler called=%v, want %v", got, viaHandler)
						}
						s.Close()
						b.Close()
						s.Wait()
					})
				})
			}
		}
	}
}

func TestAllowedMatchesSpec(t *testing.T) {
	// Spot checks of the practical table (smpp34-pdus.md §4.3).
	cases := []struct {
		from session.Role
		st   session.State
		id   pdu.CommandID
		want bool
	}{
		{session.ESME, session.Open, pdu.BindTransceiverID, true},
		{session.ESME, session.BoundTX, pdu.BindTransceiverID, false},
		{session.ESME, session.BoundRX, pdu.SubmitSMID, false},
		{session.ESME, session.BoundTRX, pdu.ReplaceSMID, true},
		{session.ESME, session.BoundRX, pdu.DataSMID, false},
		{session.SMSC, session.BoundTX, pdu.DeliverSMID, false},
		{session.SMSC, session.BoundRX, pdu.DeliverSMID, true},
		{session.SMSC, session.BoundTRX, pdu.AlertNotificationID, true},
		{session.SMSC, session.Open, pdu.OutbindID, true},
		{session.ESME, session.Open, pdu.EnquireLinkID, true},
		{session.ESME, session.Open, pdu.UnbindID, false},
		{session.ESME, session.Open, pdu.SubmitSMID, false},
	}
	for _, c := range cases {
		if got := session.Allowed(c.from, c.st, c.id); got != c.want {
			t.Errorf("Allowed(%s, %s, %s) = %v", c.from, c.st, c.id, got)
		}
	}
}

func TestMalformedInput(t *testing.T) {
	cases := []struct {
		name   string
		hex    string
		id     pdu.CommandID
		status pdu.Status
		seq    uint32
		closed bool
	}{
		{"unknown command id", "00000010000000aa0000000000000009", pdu.GenericNackID, pdu.ESME_RINVCMDID, 9, false},
		{"command_length 8", "0000000800000004", pdu.GenericNackID, pdu.ESME_RINVCMDLEN, 0, true},
		{"command_length 2^31", "80000000000000040000000000000005", pdu.GenericNackID, pdu.ESME_RINVCMDLEN, 5, true},
		{"submit before bind", encodeHex(3, &pdu.SubmitSM{DestinationAddr: "1"}), pdu.SubmitSMRespID, pdu.ESME_RINVBNDSTS, 3, false},
		{"truncated bind", "0000001400000009000000000000000461626364", pdu.BindTransceiverRespID, pdu.ESME_RINVCMDLEN, 4, false},
		{"system_id too long", "0000002b00000002000000000000000b" + strings.Repeat("61", 20) + "00000034000000", pdu.BindTransmitterRespID, pdu.ESME_RINVSYSID, 11, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := net.Pipe()
				s := session.New(a, session.Config{Role: session.SMSC, EnquireLinkInterval: -1, BindTimeout: -1})
				p := newRaw(t, b)
				raw, err := hex.DecodeString(c.hex)
				if err != nil {
					t.Fatal(err)
				}
				go p.conn.Write(raw)
				f := p.read()
				if f.ID != c.id || f.Status != c.status || f.Sequence != c.seq || f.Length != 16 {
					t.Fatalf("got %+v, want %s %s seq %d", f.Header, c.id, c.status, c.seq)
				}
				if c.closed {
					<-s.Done()
				} else {
					// Still serving: a bind works on the same connection.
					p.send(20, 0, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "ok"})
					if f := p.read(); f.ID != pdu.BindTransceiverRespID || f.Status != 0 || f.Sequence != 20 {
						t.Fatalf("not serving after the bad PDU: %+v", f.Header)
					}
				}
				s.Close()
				b.Close()
			})
		})
	}
}

func TestHandlerPanicAnswersSysErr(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s := session.New(a, session.Config{Role: session.SMSC, EnquireLinkInterval: -1,
			Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
				if string(r.PDU.(*pdu.SubmitSM).ShortMessage) == "boom" {
					panic("boom")
				}
				w.Respond(&pdu.SubmitSMResp{MessageID: "ok"}, 0)
			})})
		p := newRaw(t, b)
		p.send(1, 0, &pdu.Bind{ID: pdu.BindTransmitterID})
		p.read()
		p.send(2, 0, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("boom")})
		if f := p.read(); f.Status != pdu.ESME_RSYSERR || f.Sequence != 2 {
			t.Fatalf("panic answered %+v", f.Header)
		}
		p.send(3, 0, &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("fine")})
		if f := p.read(); f.Status != 0 || f.Sequence != 3 {
			t.Fatalf("session did not live on: %+v", f.Header)
		}
		s.Close()
		b.Close()
	})
}

func TestInboundWindowThrottles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		release := make(chan struct{})
		s := session.New(a, session.Config{Role: session.SMSC, InboundWindow: 2, EnquireLinkInterval: -1,
			Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
				<-release
				w.Respond(&pdu.SubmitSMResp{MessageID: "x"}, 0)
			})})
		p := newRaw(t, b)
		p.send(1, 0, &pdu.Bind{ID: pdu.BindTransmitterID})
		p.read()
		for seq := uint32(10); seq < 13; seq++ {
			p.send(seq, 0, &pdu.SubmitSM{DestinationAddr: "1"})
		}
		// The third is over the window of two: throttled at once.
		if f := p.read(); f.Sequence != 12 || f.Status != pdu.ESME_RTHROTTLED {
			t.Fatalf("got %+v", f.Header)
		}
		close(release)
		got := map[uint32]pdu.Status{}
		for i := 0; i < 2; i++ {
			f := p.read()
			got[f.Sequence] = f.Status
		}
		if got[10] != 0 || got[11] != 0 || len(got) != 2 {
			t.Fatalf("held requests answered %v", got)
		}
		s.Close()
		b.Close()
	})
}

func TestDeferredResponse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		held := make(chan session.ResponseWriter, 1)
		s := session.New(a, session.Config{Role: session.ESME, EnquireLinkInterval: -1,
			Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
				w.Hold()
				held <- w
			})})
		p := newRaw(t, b)
		go func() {
			f := p.read()
			p.send(f.Sequence, 0, &pdu.BindResp{ID: pdu.BindReceiverRespID})
		}()
		if _, err := s.Bind(context.Background(), &pdu.Bind{ID: pdu.BindReceiverID}); err != nil {
			t.Fatal(err)
		}
		p.send(5, 0, &pdu.DeliverSM{DestinationAddr: "1"})
		w := <-held
		time.Sleep(time.Second)
		if err := w.Respond(nil, pdu.ESME_ROK); err != nil {
			t.Fatal(err)
		}
		if err := w.Respond(nil, pdu.ESME_ROK); err != session.ErrResponded {
			t.Fatalf("second respond: %v", err)
		}
		if f := p.read(); f.ID != pdu.DeliverSMRespID || f.Sequence != 5 || f.Status != 0 {
			t.Fatalf("got %+v", f.Header)
		}
		s.Close()
		b.Close()
	})
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		var n atomic.Int64
		srv, cli := func() (*session.Session, *session.Session) {
			a, b := net.Pipe()
			return session.New(a, session.Config{Role: session.SMSC, Handler: submitHandler(&n)}),
				session.New(b, session.Config{Role: session.ESME})
		}()
		if _, err := cli.Bind(context.Background(), &pdu.Bind{ID: pdu.BindTransceiverID}); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 10; j++ {
			cli.SendAsync(context.Background(), &pdu.SubmitSM{DestinationAddr: "1"})
		}
		if err := cli.Unbind(context.Background()); err != nil {
			t.Fatal(err)
		}
		srv.Wait()
		cli.Wait()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines: %d before, %d after\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

func encodeHex(seq uint32, p pdu.PDU) string {
	b, err := pdu.AppendPDU(nil, seq, 0, p)
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func TestRecycleRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		var seen []string
		var held session.ResponseWriter
		var heldPDU *pdu.SubmitSM
		s := session.New(a, session.Config{Role: session.SMSC, InlineHandler: true, RecycleRequests: true, EnquireLinkInterval: -1,
			Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
				sm := r.PDU.(*pdu.SubmitSM)
				seen = append(seen, string(sm.ShortMessage)+"/"+sm.DestinationAddr) // copies
				if string(sm.ShortMessage) == "hold" {
					w.Hold()
					held, heldPDU = w, sm
					return
				}
				w.Respond(&pdu.SubmitSMResp{MessageID: sm.DestinationAddr}, 0)
			})})
		p := newRaw(t, b)
		p.send(1, 0, &pdu.Bind{ID: pdu.BindTransmitterID})
		p.read()
		msgs := []struct{ text, dest string }{{"first", "111"}, {"hold", "222"}, {"third message", "3"}, {"4th", "44444"}}
		for i, m := range msgs {
			p.send(uint32(10+i), 0, &pdu.SubmitSM{DestinationAddr: m.dest, ShortMessage: []byte(m.text)})
			if m.text == "hold" {
				continue
			}
			f := p.read()
			var r pdu.SubmitSMResp
			if err := r.UnmarshalBinary(f.Body); err != nil || r.MessageID != m.dest || f.Sequence != uint32(10+i) {
				t.Fatalf("answer %d: %v %q seq %d", i, err, r.MessageID, f.Sequence)
			}
		}
		// The held request kept its own memory while others were decoded.
		if string(heldPDU.ShortMessage) != "hold" || heldPDU.DestinationAddr != "222" {
			t.Fatalf("held request overwritten: %q %q", heldPDU.ShortMessage, heldPDU.DestinationAddr)
		}
		held.Respond(&pdu.SubmitSMResp{MessageID: "held"}, 0)
		if f := p.read(); f.Sequence != 11 {
			t.Fatalf("held answer seq %d", f.Sequence)
		}
		want := []string{"first/111", "hold/222", "third message/3", "4th/44444"}
		for i := range want {
			if seen[i] != want[i] {
				t.Fatalf("handler saw %q, want %q", seen, want)
			}
		}
		s.Close()
		b.Close()
	})
}
