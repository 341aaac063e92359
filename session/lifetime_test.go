package session_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// kept is what a handler kept of one submit_sm, as it was handed over.
type kept struct {
	sm       *pdu.SubmitSM
	dest     string
	msg      []byte
	body     []byte
	wantDest string
	wantMsg  string
}

// numbered is the i-th submit_sm of a test: every seventh one too long for
// the memory the session keeps inline for a submit_sm (a message_payload).
func numbered(i int) *pdu.SubmitSM {
	sm := &pdu.SubmitSM{DestinationAddr: fmt.Sprintf("2547%08d", i), ShortMessage: fmt.Appendf(nil, "message number %d", i)}
	if i%7 == 0 {
		sm.TLVs.SetMessagePayload(bytes.Repeat(fmt.Appendf(nil, "%08d", i), 60))
	}
	return sm
}

// TestRequestMemoryOwnedByDefault: without RecycleRequests, a handler may keep
// the request, its strings and slices after it returns: no later request
// changes them (the strings alias the request's own buffer, never the read
// buffer or another request's), with the handler inline or on a goroutine.
func TestRequestMemoryOwnedByDefault(t *testing.T) {
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprint("inline=", inline), func(t *testing.T) {
			const n = 300
			keep := make(chan kept, n)
			srv, cli := pair(t, session.Config{InlineHandler: inline, Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
				sm := r.PDU.(*pdu.SubmitSM)
				keep <- kept{sm: sm, dest: sm.DestinationAddr, msg: sm.ShortMessage, body: r.Body}
				w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
			})}, session.Config{Window: 50})
			_ = srv
			ctx := context.Background()
			if _, err := cli.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "u"}); err != nil {
				t.Fatal(err)
			}
			calls := make([]*session.Call, n)
			for i := range n {
				calls[i] = cli.SendAsync(ctx, numbered(i))
			}
			for _, c := range calls {
				if _, err := c.Wait(ctx); err != nil {
					t.Fatal(err)
				}
			}
			seen := 0
			for range n {
				k := <-keep
				i := 0
				if _, err := fmt.Sscanf(k.dest, "2547%08d", &i); err != nil {
					t.Fatalf("kept destination %q", k.dest)
				}
				want, wantMsg := fmt.Sprintf("2547%08d", i), fmt.Sprintf("message number %d", i)
				if k.dest != want || string(k.msg) != wantMsg || k.sm.DestinationAddr != want || string(k.sm.ShortMessage) != wantMsg {
					t.Fatalf("request %d changed after its handler returned: %q %q, PDU %q %q", i, k.dest, k.msg, k.sm.DestinationAddr, k.sm.ShortMessage)
				}
				// Body: the bytes as sent, kept intact too.
				wantBody, err := numbered(i).AppendBinary(nil)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(k.body, wantBody) {
					t.Fatalf("request %d: Body\n%x\nwant\n%x", i, k.body, wantBody)
				}
				seen++
			}
			if seen != n {
				t.Fatalf("%d requests kept, want %d", seen, n)
			}
		})
	}
}

// TestHeldRequestNotRecycled: with RecycleRequests, a handler that calls Hold
// keeps the whole request: later requests do not reuse (or, with -race,
// poison) its memory.
func TestHeldRequestNotRecycled(t *testing.T) {
	a, b := net.Pipe()
	held := make(chan func(), 1)
	var first *pdu.SubmitSM
	var firstDest string
	srv := session.New(a, session.Config{Role: session.SMSC, InlineHandler: true, RecycleRequests: true,
		Handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
			sm := r.PDU.(*pdu.SubmitSM)
			if first == nil {
				first, firstDest = sm, sm.DestinationAddr
				w.Hold()
				held <- func() { w.Respond(&pdu.SubmitSMResp{MessageID: "held"}, pdu.ESME_ROK) }
				return
			}
			w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
		})})
	cli := session.New(b, session.Config{Role: session.ESME})
	t.Cleanup(func() { cli.Close(); srv.Close(); srv.Wait() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Bind(ctx, &pdu.Bind{ID: pdu.BindTransmitterID, SystemID: "u"}); err != nil {
		t.Fatal(err)
	}
	c := cli.SendAsync(ctx, &pdu.SubmitSM{DestinationAddr: "254700000001"})
	answer := <-held
	for i := range 20 {
		if _, err := cli.Send(ctx, &pdu.SubmitSM{DestinationAddr: fmt.Sprintf("99999%07d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if firstDest != "254700000001" || first.DestinationAddr != "254700000001" {
		t.Fatalf("the held request changed: %q, PDU %q", firstDest, first.DestinationAddr)
	}
	answer()
	if r, err := c.Wait(ctx); err != nil || r.PDU.(*pdu.SubmitSMResp).MessageID != "held" {
		t.Fatalf("held request: %v %v", r, err)
	}
}
