//go:build !race

package session_test

import (
	"context"
	"encoding/binary"
	"net"
	"testing"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// The paths that must not allocate per request, held by tests that fail. (In
// builds with the race detector RecycleRequests poisons instead of reusing,
// and the detector allocates: these run without it.)

// bindRaw binds a raw peer on c to the SMSC-role session at its other end.
func bindRaw(t *testing.T, p *rawPeer) {
	t.Helper()
	p.send(1, 0, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "u"})
	if f := p.read(); f.ID != pdu.BindTransmitterRespID || f.Status != 0 {
		t.Fatalf("bind: %s %s", f.ID, f.Status)
	}
}

var allocResp = &pdu.SubmitSMResp{MessageID: "0123456789abcdef"}

// TestRecycledSubmitAllocs: an SMSC-role session with an inline handler and
// RecycleRequests reads a submit_sm, hands it to the handler and writes the
// submit_sm_resp without allocating.
func TestRecycledSubmitAllocs(t *testing.T) {
	a, b := net.Pipe()
	srv := session.New(a, session.Config{Role: session.SMSC, InlineHandler: true, RecycleRequests: true, EnquireLinkInterval: -1,
		Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
			w.Respond(allocResp, pdu.ESME_ROK)
		})})
	t.Cleanup(func() { b.Close(); srv.Close(); srv.Wait() })
	p := newRaw(t, b)
	bindRaw(t, p)
	frame, err := pdu.AppendPDU(nil, 2, 0, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("hello")})
	if err != nil {
		t.Fatal(err)
	}
	round := func() {
		if _, err := b.Write(frame); err != nil {
			t.Fatal(err)
		}
		if f := p.read(); f.ID != pdu.SubmitSMRespID || f.Status != 0 {
			t.Fatalf("%s %s", f.ID, f.Status)
		}
	}
	for range 10 {
		round() // the buffers grow
	}
	if n := testing.AllocsPerRun(1000, round); n != 0 {
		t.Errorf("%v allocations per submit_sm, want 0", n)
	}
}

// doneSignal is a Notifier that signals a channel.
type doneSignal chan struct{}

func (d doneSignal) CallDone(*session.Call) { d <- struct{}{} }

// TestSendNotifyCallerCallAllocs: SendNotify with a Call the caller provides
// sends a submit_sm and completes it with its submit_sm_resp without
// allocating.
func TestSendNotifyCallerCallAllocs(t *testing.T) {
	a, b := net.Pipe()
	cli := session.New(a, session.Config{Role: session.ESME, EnquireLinkInterval: -1})
	t.Cleanup(func() { b.Close(); cli.Close(); cli.Wait() })
	// A raw SMSC that answers every request with a response read from a
	// template, the sequence number patched in.
	go func() {
		rd := codec.NewReader(b, 0)
		bindResp, _ := pdu.AppendPDU(nil, 0, 0, &pdu.BindResp{ID: pdu.BindTransmitterRespID, SystemID: "s"})
		resp, _ := pdu.AppendPDU(nil, 0, 0, &pdu.SubmitSMResp{MessageID: "0123456789abcdef"})
		for {
			f, err := rd.Read()
			if err != nil {
				return
			}
			out := resp
			if f.ID == pdu.BindTransmitterID {
				out = bindResp
			}
			binary.BigEndian.PutUint32(out[12:], f.Sequence)
			if _, err := b.Write(out); err != nil {
				return
			}
		}
	}()
	ctx := context.Background()
	if _, err := cli.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "u"}); err != nil {
		t.Fatal(err)
	}
	const runs = 1000
	calls := make([]session.Call, runs+20)
	next := 0
	done := make(doneSignal, 1)
	sm := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("hello")}
	round := func() {
		c := &calls[next]
		next++
		cli.SendNotify(ctx, sm, done, c)
		<-done
		if _, err := c.Result(); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		round()
	}
	if n := testing.AllocsPerRun(runs, round); n != 0 {
		t.Errorf("%v allocations per submit_sm, want 0", n)
	}
}
