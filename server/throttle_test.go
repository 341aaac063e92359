package server_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

// TestThrottlePerSystemID checks that the rate of a system_id is shared by its
// binds, that excess submissions get ESME_RTHROTTLED (none dropped), and that
// another system_id is not affected.
func TestThrottlePerSystemID(t *testing.T) {
	checkLeaks(t)
	var handled atomic.Int64
	srv := &server.Server{
		Logger: quiet,
		Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
			if r.Header.ID != pdu.SubmitSMID {
				w.Respond(nil, session.DefaultStatus(session.SMSC, r.Header.ID))
				return
			}
			handled.Add(1)
			w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
		}),
		Authenticate: func(ctx context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
			if r.Bind.SystemID == "slow" {
				// A burst of 10 and then 1 a minute: the test sees the burst only.
				return &server.Account{Rate: 1.0 / 60, Burst: 10}, pdu.ESME_ROK
			}
			return nil, pdu.ESME_ROK
		},
	}
	addr := start(t, srv)
	a := bindESME(t, addr, pdu.BindTransmitterID, "slow")
	b := bindESME(t, addr, pdu.BindTransceiverID, "slow")
	other := bindESME(t, addr, pdu.BindTransmitterID, "fast")
	var ok, throttled atomic.Int64
	var wg sync.WaitGroup
	for _, e := range []*smpptest.ESME{a, b} {
		for range 15 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, pdu.ESME_RTHROTTLED):
					throttled.Add(1)
				default:
					t.Errorf("submit: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	if ok.Load() != 10 || throttled.Load() != 20 || handled.Load() != 10 {
		t.Fatalf("accepted %d, throttled %d, handled %d; want 10, 20, 10", ok.Load(), throttled.Load(), handled.Load())
	}
	for range 50 {
		if _, err := other.Submit(bg, &pdu.SubmitSM{DestinationAddr: "1"}); err != nil {
			t.Fatalf("unlimited account: %v", err)
		}
	}
	// query_sm is not a submission: not throttled.
	if _, err := a.Send(bg, &pdu.QuerySM{MessageID: "1"}); !errors.Is(err, pdu.ESME_RQUERYFAIL) {
		t.Fatalf("query_sm: %v", err)
	}
	if st := srv.Stats(); st.Throttled != 20 {
		t.Fatalf("stats: %+v", st)
	}
}

// TestInboundWindowOverflow holds every request in the handler: past the
// inbound window the ESME gets ESME_RTHROTTLED at once.
func TestInboundWindowOverflow(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	var held atomic.Int32
	addr := start(t, &server.Server{Logger: quiet, Session: session.Config{InboundWindow: 5}, Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		held.Add(1)
		<-release
		w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
	})})
	c := dialRaw(t, addr)
	c.bind(pdu.BindTransmitterID, "a")
	var seqs []uint32
	for range 5 {
		seqs = append(seqs, c.send(&pdu.SubmitSM{DestinationAddr: "1"}))
	}
	waitFor(t, "five handlers", func() bool { return held.Load() == 5 })
	for range 3 {
		seq := c.send(&pdu.SubmitSM{DestinationAddr: "1"})
		c.expect(pdu.SubmitSMRespID, pdu.ESME_RTHROTTLED, seq)
	}
	// enquire_link is answered by the session, not the handlers.
	seq := c.send(&pdu.EnquireLink{})
	c.expect(pdu.EnquireLinkRespID, pdu.ESME_ROK, seq)
	close(release)
	got := map[uint32]bool{}
	for range 5 {
		h, _, err := c.read()
		if err != nil || h.ID != pdu.SubmitSMRespID || h.Status != pdu.ESME_ROK {
			t.Fatalf("held response: %v %s %s", err, h.ID, h.Status)
		}
		got[h.Sequence] = true
	}
	for _, s := range seqs {
		if !got[s] {
			t.Fatalf("no response for %d", s)
		}
	}
}
