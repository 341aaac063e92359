package session_test

import (
	"context"
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
			var n atomic.Int32 // handler goroutines run at once without InlineHandler
			h := session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
				if n.Add(1) == 2 {
					panic("boom")
				}
				w.Respond(nil, pdu.ESME_ROK) // ErrNoResponse
			})
			s, p, _ := boundESME(t, session.Config{Handler: h, InlineHandler: inline})
			if st := s.State(); st != session.BoundTRX {
				t.Fatalf("state %s, want BOUND_TRX", st)
			}
			ctx := context.Background()
			for seq := uint32(10); seq < 13; seq++ {
				p.send(seq, pdu.ESME_ROK, &pdu.AlertNotification{SourceAddr: "1", ESMEAddr: "2"})
			}
			synctest.Wait()
			if got := n.Load(); got != 3 {
				t.Fatalf("%d alert_notifications handled, want 3", got)
			}
			closed := make(chan error, 1)
			go func() { closed <- s.Unbind(ctx) }()
			f := p.read()
			p.send(f.Sequence, pdu.ESME_ROK, &pdu.UnbindResp{})
			if err := <-closed; err != nil {
				t.Fatalf("Unbind: %v", err)
			}
		})
	}
}
