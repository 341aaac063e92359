package session_test

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// TestConcurrentSendersWireOrder: requests sent by many goroutines at once
// reach the wire in the order of their sequence numbers, each one more than
// the last (smpp34-fields.md §10: a side's sequence numbers increase
// monotonically). A session that numbers a request before it takes the
// output lock lets a later number overtake an earlier one.
func TestConcurrentSendersWireOrder(t *testing.T) {
	const senders, each = 8, 1500
	a, b := net.Pipe()
	s := session.New(a, session.Config{Role: session.ESME, Window: 64, EnquireLinkInterval: -1})
	t.Cleanup(func() { b.Close(); s.Close(); s.Wait() })

	// The raw SMSC answers every request and records the sequence numbers
	// of the requests in the order they arrive.
	var seqs []uint32
	peerDone := make(chan error, 1)
	go func() {
		rd := codec.NewReader(b, 0)
		for {
			f, err := rd.Read()
			if err != nil {
				peerDone <- nil
				return
			}
			if f.ID.IsResponse() {
				continue
			}
			seqs = append(seqs, f.Sequence)
			var resp pdu.PDU
			switch f.ID {
			case pdu.BindTransceiverID:
				resp = &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "smsc"}
			case pdu.SubmitSMID:
				resp = &pdu.SubmitSMResp{MessageID: "1"}
			default:
				resp = &pdu.EnquireLinkResp{}
			}
			out, err := pdu.AppendPDU(nil, f.Sequence, 0, resp)
			if err == nil {
				_, err = b.Write(out)
			}
			if err != nil {
				peerDone <- err
				return
			}
		}
	}()

	ctx := context.Background()
	if _, err := s.Bind(ctx, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "esme"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half the senders use a context that can end, which registers
			// each request with it; the others send with Background.
			sctx := ctx
			if g%2 == 1 {
				c, cancel := context.WithCancel(ctx)
				defer cancel()
				sctx = c
			}
			calls := make([]*session.Call, 0, each)
			for i := range each {
				var p pdu.PDU = &pdu.EnquireLink{}
				if i%2 == 0 {
					p = &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("order")}
				}
				calls = append(calls, s.SendAsync(sctx, p))
			}
			for _, c := range calls {
				if _, err := c.Wait(ctx); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a request failed: %v", err)
	}
	b.Close()
	if err := <-peerDone; err != nil {
		t.Fatalf("peer: %v", err)
	}

	if want := 1 + senders*each; len(seqs) != want {
		t.Fatalf("the peer read %d requests, want %d", len(seqs), want)
	}
	inversions := 0
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			if inversions < 5 {
				t.Errorf("request %d on the wire has sequence_number %d after %d", i, seqs[i], seqs[i-1])
			}
			inversions++
		}
	}
	if inversions > 0 {
		t.Errorf("%d of %d requests out of sequence order on the wire", inversions, len(seqs))
	}
}
