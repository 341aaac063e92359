package server_test

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

// TestLoadExactlyOnce pushes 10,000 submissions through a window of 100 on
// each of two binds and checks that each completes once, with a unique id.
func TestLoadExactlyOnce(t *testing.T) {
	checkLeaks(t)
	var next atomic.Int64
	addr := start(t, &server.Server{Logger: quiet, Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		w.Respond(&pdu.SubmitSMResp{MessageID: strconv.FormatInt(next.Add(1), 10)}, pdu.ESME_ROK)
	})})
	const n = 10000
	var ids sync.Map
	var done atomic.Int64
	var wg sync.WaitGroup
	for b := range 2 {
		e, err := smpptest.Dial(bg, addr, smpptest.ESMEOptions{Config: session.Config{Window: 100, Logger: quiet}})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		if _, err := e.BindAs(bg, pdu.BindTransmitterID, "load", "pw"); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var calls sync.WaitGroup
			for i := range n / 2 {
				calls.Add(1)
				c := new(session.Call)
				e.SendNotify(bg, &pdu.SubmitSM{DestinationAddr: fmt.Sprint(b, "-", i)}, session.NotifierFunc(func(c *session.Call) {
					defer calls.Done()
					done.Add(1)
					resp, err := c.Result()
					if err != nil {
						t.Errorf("submit: %v", err)
						return
					}
					if _, dup := ids.LoadOrStore(resp.PDU.(*pdu.SubmitSMResp).MessageID, true); dup {
						t.Errorf("duplicate id")
					}
				}), c)
				if _, err := c.Result(); err != nil {
					t.Errorf("send: %v", err)
					return
				}
				if e.InFlight() > 100 {
					t.Errorf("window exceeded: %d", e.InFlight())
				}
			}
			calls.Wait()
		}()
	}
	wg.Wait()
	if done.Load() != n || next.Load() != n {
		t.Fatalf("completed %d, handled %d, want %d", done.Load(), next.Load(), n)
	}
}
