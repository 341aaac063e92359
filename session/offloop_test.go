package session_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"testing/synctest"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// OffLoop hands a request of an inline session to a handler goroutine: the
// read loop answers the requests behind it meanwhile (without the hand-off
// the bubble deadlocks: the read loop waits for release), the request's
// memory stays the handler's (with RecycleRequests under -race, a reused
// box reads Poison), and a panic or a request left unanswered is answered
// as any handler's. Without InlineHandler the same handler runs where it
// is called.
func TestOffLoop(t *testing.T) {
	for _, inline := range []bool{true, false} {
		t.Run(map[bool]string{true: "inline", false: "goroutines"}[inline], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testOffLoop(t, inline) })
		})
	}
}

func testOffLoop(t *testing.T, inline bool) {
	release := make(chan struct{})
	off := session.OffLoop(session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
		sm := r.PDU.(*pdu.SubmitSM)
		switch string(sm.ShortMessage) {
		case "slow":
			<-release
			w.Respond(&pdu.SubmitSMResp{MessageID: sm.DestinationAddr}, pdu.ESME_ROK)
		case "panic":
			panic("boom")
		}
		// "silent": no answer
	}))
	h := session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
		if sm := r.PDU.(*pdu.SubmitSM); string(sm.ShortMessage) == "fast" {
			w.Respond(&pdu.SubmitSMResp{MessageID: "fast"}, pdu.ESME_ROK)
			return
		}
		off.ServeSMPP(w, r)
	})
	a, b := net.Pipe()
	srv := session.New(a, session.Config{Role: session.SMSC, EnquireLinkInterval: -1, Handler: h,
		InlineHandler: inline, RecycleRequests: inline, Logger: slog.New(slog.DiscardHandler)})
	cli := session.New(b, session.Config{Role: session.ESME, EnquireLinkInterval: -1})
	ctx := context.Background()
	if _, err := cli.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "u"}); err != nil {
		t.Fatal(err)
	}
	slow := cli.SendAsync(ctx, &pdu.SubmitSM{DestinationAddr: "254700000001", ShortMessage: []byte("slow")})
	for _, c := range []struct {
		msg  string
		want pdu.Status
	}{{"fast", pdu.ESME_ROK}, {"panic", pdu.ESME_RSYSERR}, {"silent", pdu.ESME_RSUBMITFAIL}, {"fast", pdu.ESME_ROK}} {
		resp, err := cli.Send(ctx, &pdu.SubmitSM{DestinationAddr: "254700000002", ShortMessage: []byte(c.msg)})
		if got := pdu.StatusOf(err); got != c.want {
			t.Fatalf("%s while a request is handed over: %v (%v), want %v", c.msg, got, err, c.want)
		}
		if c.want == pdu.ESME_ROK && resp.PDU.(*pdu.SubmitSMResp).MessageID != "fast" {
			t.Fatalf("%s: answered %+v", c.msg, resp.PDU)
		}
	}
	select {
	case <-slow.Done():
		t.Fatal("the handed-over request was answered before its handler was released")
	default:
	}
	close(release)
	resp, err := slow.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id := resp.PDU.(*pdu.SubmitSMResp).MessageID; id != "254700000001" {
		t.Fatalf("the handed-over handler read its destination_addr as %q after later requests, want 254700000001", id)
	}
	if err := cli.Unbind(ctx); err != nil {
		t.Fatalf("Unbind: %v", err)
	}
	srv.Wait()
}
