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

// TestReceiptAllocs: a delivery receipt handed to a handler that runs on
// the read loop (InlineHandler) and acknowledges it costs decoding the
// deliver_sm (its TLVs in the same allocation) and the Delivery with its
// receipt, no more: the receipt is parsed into the Delivery and the
// answer's body is shared. (Built without the race detector, which
// allocates.)
func TestReceiptAllocs(t *testing.T) {
	smsc := make(chan net.Conn, 1)
	dial := func(context.Context, string, string) (net.Conn, error) {
		a, b := net.Pipe()
		go func() { // answers the bind, then hands the connection to the test
			rd := codec.NewReader(b, 0)
			f, err := rd.Read()
			if err != nil {
				return
			}
			resp, _ := pdu.AppendPDU(nil, f.Sequence, 0, &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "s"})
			if _, err := b.Write(resp); err != nil {
				return
			}
			smsc <- b
		}()
		return a, nil
	}
	ctx := context.Background()
	var receipts int
	handler := client.HandlerFunc(func(_ context.Context, d *client.Delivery) error {
		if d.Receipt != nil && d.Receipt.Stat == "DELIVRD" {
			receipts++
		}
		return nil
	})
	c, err := client.Dial(ctx, "smsc", client.Config{SystemID: "esme", DialContext: dial, Logger: quiet, Handler: handler,
		Session: session.Config{EnquireLinkInterval: -1, InlineHandler: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	b := <-smsc
	dsm := &pdu.DeliverSM{SourceAddr: "254700000001", DestinationAddr: "1000", ESMClass: 0x04,
		ShortMessage: []byte("id:0123456789abcdef sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:hello")}
	// The two TLVs of a receipt as operators send them.
	dsm.TLVs.SetReceiptedMessageID("0123456789abcdef")
	dsm.TLVs.SetMessageState(uint8(pdu.StateDelivered))
	frame, err := pdu.AppendPDU(nil, 1, 0, dsm)
	if err != nil {
		t.Fatal(err)
	}
	rd := codec.NewReader(b, 0)
	seq := uint32(1)
	round := func() {
		seq++
		binary.BigEndian.PutUint32(frame[12:], seq)
		if _, err := b.Write(frame); err != nil {
			t.Fatal(err)
		}
		f, err := rd.Read()
		if err != nil {
			t.Fatal(err)
		}
		if f.ID != pdu.DeliverSMRespID || f.Sequence != seq || f.Status != pdu.ESME_ROK {
			t.Fatalf("answer %v seq %d status %v, want deliver_sm_resp %d ESME_ROK", f.ID, f.Sequence, f.Status, seq)
		}
	}
	for range 10 {
		round()
	}
	n := testing.AllocsPerRun(1000, round)
	if receipts != 10+1001 {
		t.Fatalf("%d receipts parsed as DELIVRD, want %d", receipts, 10+1001)
	}
	go rawSMSC(b)  // answers the unbind of Close
	const want = 2 // the deliver_sm and the Delivery
	if n > want {
		t.Errorf("%v allocations per receipt, want at most %d", n, want)
	}
}
