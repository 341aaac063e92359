package client_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// pipeSMSC serves SMSC-role sessions on the far ends of net.Pipe connections,
// so that tests can run inside a synctest bubble.
type pipeSMSC struct {
	handler  session.Handler
	failDial atomic.Int32 // dials to refuse before accepting
	mu       sync.Mutex
	sessions []*session.Session
	dials    []time.Time
	submits  atomic.Int64
}

func (p *pipeSMSC) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	p.mu.Lock()
	p.dials = append(p.dials, time.Now())
	p.mu.Unlock()
	if p.failDial.Add(-1) >= 0 {
		return nil, errors.New("connection refused")
	}
	a, b := net.Pipe()
	h := p.handler
	if h == nil {
		h = session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
			n := p.submits.Add(1)
			w.Respond(&pdu.SubmitSMResp{MessageID: strconv.FormatInt(n, 10)}, 0)
		})
	}
	s := session.New(a, session.Config{Role: session.SMSC, Handler: h, Logger: quiet})
	p.mu.Lock()
	p.sessions = append(p.sessions, s)
	p.mu.Unlock()
	return b, nil
}

func (p *pipeSMSC) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.sessions {
		s.Close()
	}
}

// TestBackoffAndWaitForBind: the first dials fail; the client retries after a
// jittered exponential back-off (checked on the bubble's fake clock), and a
// Submit made meanwhile waits for the bind instead of failing. After Close no
// goroutine is left (synctest.Test fails otherwise).
func TestBackoffAndWaitForBind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &pipeSMSC{}
		p.failDial.Store(4)
		var events []client.StateEvent
		var mu sync.Mutex
		c, err := client.New("smsc:2775", client.Config{
			SystemID: "esme", DialContext: p.dial, Logger: quiet,
			MinBackoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second,
			OnStateChange: func(e client.StateEvent) { mu.Lock(); events = append(events, e); mu.Unlock() },
		})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Submit(context.Background(), &pdu.SubmitSM{DestinationAddr: "1", ShortMessage: []byte("waits")})
		if err != nil || resp.MessageID != "1" {
			t.Fatalf("submit while binding: %v %v", resp, err)
		}
		p.mu.Lock()
		dials := append([]time.Time(nil), p.dials...)
		p.mu.Unlock()
		if len(dials) != 5 {
			t.Fatalf("%d dials", len(dials))
		}
		for i := 1; i < len(dials); i++ {
			d := dials[i].Sub(dials[i-1])
			hi := 100 * time.Millisecond << (i - 1)
			if d < hi/2 || d > hi {
				t.Errorf("wait before attempt %d: %v, want %v..%v", i+1, d, hi/2, hi)
			}
		}
		if err := c.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		// Requests after Close are refused without being sent.
		if _, err := c.Submit(context.Background(), &pdu.SubmitSM{DestinationAddr: "1"}); !errors.Is(err, client.ErrClosed) || !client.NotSent(err) {
			t.Fatalf("submit after Close: %v", err)
		}
		mu.Lock()
		last := events[len(events)-1]
		mu.Unlock()
		if last.State != client.Closed {
			t.Fatalf("last state %v", last.State)
		}
		p.close()
	})
}

// TestCloseWithRequestsInFlight: the SMSC never answers; Close still returns
// (after the unbind timeout) and every request completes exactly once.
func TestCloseWithRequestsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &pipeSMSC{handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) { w.Hold() })}
		c, err := client.Dial(context.Background(), "smsc:2775", client.Config{SystemID: "esme", DialContext: p.dial, Logger: quiet, Session: session.Config{Window: 10}})
		if err != nil {
			t.Fatal(err)
		}
		var completed atomic.Int32
		var fs []*client.Future[*pdu.SubmitSMResp]
		for range 10 {
			fs = append(fs, c.SubmitAsync(context.Background(), &pdu.SubmitSM{DestinationAddr: "1"}))
		}
		// The window is full: the next one waits, in its own goroutine.
		go func() {
			_, err := c.Submit(context.Background(), &pdu.SubmitSM{DestinationAddr: "1"})
			if !client.NotSent(err) {
				t.Errorf("waiting submit: %v", err)
			}
			completed.Add(1)
		}()
		synctest.Wait()
		if err := c.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i, f := range fs {
			<-f.Done()
			var le *client.LostError
			if _, err := f.Result(); !errors.As(err, &le) || !le.Sent {
				t.Fatalf("future %d: %v", i, err)
			}
		}
		synctest.Wait()
		if completed.Load() != 1 {
			t.Fatal("waiting submit did not complete")
		}
		p.close()
	})
}

// TestThrottleSlowsDown: an SMSC that throttles everything at first; the
// client halves its rate, pauses, and recovers as answers succeed.
func TestThrottleSlowsDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var throttle atomic.Bool
		throttle.Store(true)
		var n atomic.Int64
		p := &pipeSMSC{handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) {
			if throttle.Load() {
				w.Respond(nil, pdu.ESME_RTHROTTLED)
				return
			}
			w.Respond(&pdu.SubmitSMResp{MessageID: strconv.FormatInt(n.Add(1), 10)}, 0)
		})}
		c, err := client.Dial(context.Background(), "smsc:2775", client.Config{SystemID: "esme", DialContext: p.dial, Logger: quiet,
			Rate: 100, RetryThrottled: true, MaxRetries: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			c.SubmitAsync(context.Background(), &pdu.SubmitSM{DestinationAddr: "1"})
		}
		time.Sleep(2 * time.Second)
		st := c.Stats()[0]
		if st.Throttled == 0 || st.Rate >= 100 {
			t.Fatalf("not slowed down: %+v", st)
		}
		low := st.Rate
		throttle.Store(false)
		var wg sync.WaitGroup
		for range 500 {
			wg.Add(1)
			c.SubmitAsync(context.Background(), &pdu.SubmitSM{DestinationAddr: "1"}).OnDone(func(_ *pdu.SubmitSMResp, err error) {
				if err != nil {
					t.Error(err)
				}
				wg.Done()
			})
		}
		wg.Wait()
		if st := c.Stats()[0]; st.Rate <= low {
			t.Fatalf("no recovery: %v then %v", low, st.Rate)
		}
		c.Close(context.Background())
		p.close()
	})
}
