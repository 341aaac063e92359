package server_test

import (
	"errors"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

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

// OffLoop on a server whose handlers run inline: a request handed over
// waits without holding the connection's read loop (the requests behind it
// are answered), keeps its memory, and a panic there is answered
// ESME_RSYSERR.
func TestOffLoopInline(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	off := server.OffLoop(server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		sm := r.PDU.(*pdu.SubmitSM)
		if sm.DestinationAddr == "panic" {
			panic("boom")
		}
		<-release
		w.Respond(&pdu.SubmitSMResp{MessageID: sm.DestinationAddr}, pdu.ESME_ROK)
	}))
	mux := server.NewServeMux()
	mux.HandleFunc(pdu.SubmitSMID, func(w server.ResponseWriter, r *server.Request) {
		if d := r.PDU.(*pdu.SubmitSM).DestinationAddr; d != "slow" && d != "panic" {
			w.Respond(&pdu.SubmitSMResp{MessageID: "inline-" + d}, pdu.ESME_ROK)
			return
		}
		off.ServeSMPP(w, r)
	})
	srv := &server.Server{Handler: mux, Logger: quiet}
	srv.Session.InlineHandler, srv.Session.RecycleRequests = true, true
	e := bindESME(t, start(t, srv), pdu.BindTransmitterID, "a")
	slow := e.SendAsync(bg, &pdu.SubmitSM{DestinationAddr: "slow"})
	if r, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "42"}); err != nil || r.MessageID != "inline-42" {
		t.Fatalf("a submit behind a handed-over one: %v %+v", err, r)
	}
	if _, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "panic"}); pdu.StatusOf(err) != pdu.ESME_RSYSERR {
		t.Fatalf("a handed-over handler that panicked: %v, want ESME_RSYSERR", err)
	}
	close(release)
	resp, err := slow.Wait(bg)
	if err != nil || resp.PDU.(*pdu.SubmitSMResp).MessageID != "slow" {
		t.Fatalf("the handed-over submit: %v %+v", err, resp)
	}
	e.Close()
}
