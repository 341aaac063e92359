//go:build !race

package server_test

import (
	"context"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
)

var allocResp = &pdu.SubmitSMResp{MessageID: "0123456789abcdef"}

// TestRecycledSubmitAllocs: a Server with an inline handler and
// RecycleRequests (the configuration of the benchmarks' "server" rows)
// answers a submit_sm without allocating: the account's rate, the Conn and
// the handler types cost nothing per request. (Built without the race
// detector, under which RecycleRequests poisons instead of reusing.)
func TestRecycledSubmitAllocs(t *testing.T) {
	srv := &server.Server{Logger: quiet,
		Authenticate: func(_ context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
			return &server.Account{Rate: 1e9, Burst: 1e9}, pdu.ESME_ROK
		},
		Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
			w.Respond(allocResp, pdu.ESME_ROK)
		}),
		Session: session.Config{InlineHandler: true, RecycleRequests: true, EnquireLinkInterval: -1},
	}
	l := newPipeListener()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c := pipeRaw(t, l.dial())
	c.bind(pdu.BindTransmitterID, "a")
	frame, err := pdu.AppendPDU(nil, 1000, 0, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("hello")})
	if err != nil {
		t.Fatal(err)
	}
	round := func() {
		c.write(frame)
		f, err := c.rd.Read()
		if err != nil || f.ID != pdu.SubmitSMRespID || f.Status != 0 {
			t.Fatalf("%v %s %s", err, f.ID, f.Status)
		}
	}
	for range 10 {
		round()
	}
	if n := testing.AllocsPerRun(1000, round); n != 0 {
		t.Errorf("%v allocations per submit_sm, want 0", n)
	}
}
