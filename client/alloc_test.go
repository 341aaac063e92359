//go:build !race

package client_test

import (
	"context"
	"encoding/binary"
	"net"
	"testing"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// rawSMSC answers every request on c with a template response, its sequence
// number patched in: no allocation on its side.
func rawSMSC(c net.Conn) {
	rd := codec.NewReader(c, 0)
	bindResp, _ := pdu.AppendPDU(nil, 0, 0, &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "s"})
	resp, _ := pdu.AppendPDU(nil, 0, 0, &pdu.SubmitSMResp{MessageID: "0123456789abcdef"})
	unbindResp, _ := pdu.AppendPDU(nil, 0, 0, &pdu.UnbindResp{})
	for {
		f, err := rd.Read()
		if err != nil {
			return
		}
		out := resp
		switch f.ID {
		case pdu.BindTransceiverID:
			out = bindResp
		case pdu.UnbindID:
			out = unbindResp
		}
		binary.BigEndian.PutUint32(out[12:], f.Sequence)
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// TestSubmitAllocs: a submit through SubmitAsync and OnDone (the gateway's
// path to its upstreams) costs one allocation, the Future, which holds the
// request's state, its session call and its response; as SubmitFunc did
// before it. (Built without the race detector, which allocates.)
func TestSubmitAllocs(t *testing.T) {
	dial := func(context.Context, string, string) (net.Conn, error) {
		a, b := net.Pipe()
		go rawSMSC(b)
		return a, nil
	}
	ctx := context.Background()
	c, err := client.Dial(ctx, "smsc", client.Config{SystemID: "esme", DialContext: dial, Logger: quiet,
		Session: session.Config{EnquireLinkInterval: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	sm := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("hello")}
	done := make(chan error, 1)
	onDone := func(_ *pdu.SubmitSMResp, err error) { done <- err }
	round := func() {
		c.SubmitAsync(ctx, sm).OnDone(onDone)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		round()
	}
	if n := testing.AllocsPerRun(1000, round); n > 1 {
		t.Errorf("%v allocations per submit, want at most 1", n)
	}
}
