package session_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// A request that takes no response (alert_notification) whose handler
// calls Respond all the same, or panics, leaves its place in the inbound
// window once: the session goes on and closes cleanly.
func TestNoResponseRequestReleasedOnce(t *testing.T) {
	for _, inline := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			a, b := net.Pipe()
			var n atomic.Int32 // handler goroutines run at once without InlineHandler
			h := session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
				if n.Add(1) == 2 {
					panic("boom")
				}
				w.Respond(nil, pdu.ESME_ROK) // ErrNoResponse
			})
			s := session.New(a, session.Config{Role: session.ESME, EnquireLinkInterval: -1, Handler: h, InlineHandler: inline})
			p := newRaw(t, b)
			ctx := context.Background()
			bound := make(chan error, 1)
			go func() {
				_, err := s.Bind(ctx, &pdu.Bind{ID: pdu.BindTransceiverID, SystemID: "esme"})
				bound <- err
			}()
			f := p.read()
			p.send(f.Sequence, pdu.ESME_ROK, &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "smsc"})
			if err := <-bound; err != nil {
				t.Fatal(err)
			}
			for seq := uint32(10); seq < 13; seq++ {
				p.send(seq, pdu.ESME_ROK, &pdu.AlertNotification{SourceAddr: "1", ESMEAddr: "2"})
			}
			synctest.Wait()
			if got := n.Load(); got != 3 {
				t.Fatalf("%d alert_notifications handled, want 3", got)
			}
			closed := make(chan error, 1)
			go func() { closed <- s.Unbind(ctx) }()
			f = p.read()
			p.send(f.Sequence, pdu.ESME_ROK, &pdu.UnbindResp{})
			if err := <-closed; err != nil {
				t.Fatalf("Unbind: %v", err)
			}
		})
	}
}
