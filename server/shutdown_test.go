package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/smpptest"
)

// TestShutdownUnderLoad shuts the server down while ESMEs submit through a slow
// handler: every submission sent gets an answer (accepted before the
// shutdown, or ESME_RTHROTTLED / ESME_RINVBNDSTS after it), the sessions are
// unbound, Serve returns ErrServerClosed and nothing leaks.
func TestShutdownUnderLoad(t *testing.T) {
	checkLeaks(t)
	var handled atomic.Int64
	srv := &server.Server{Logger: quiet, Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		time.Sleep(time.Millisecond)
		handled.Add(1)
		w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	addr := l.Addr().String()

	var accepted, refused, lost atomic.Int64
	var wg sync.WaitGroup
	var esmes []*smpptest.ESME
	for i := range 4 {
		e := bindESME(t, addr, pdu.BindTransceiverID, fmt.Sprint("e", i%2))
		esmes = append(esmes, e)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var calls sync.WaitGroup
			for {
				calls.Add(1)
				c := new(session.Call)
				e.SendNotify(bg, &pdu.SubmitSM{DestinationAddr: "1"}, session.NotifierFunc(func(c *session.Call) {
					defer calls.Done()
					_, err := c.Result()
					var le *session.LostError
					switch {
					case err == nil:
						accepted.Add(1)
					case errors.Is(err, pdu.ESME_RTHROTTLED), errors.Is(err, pdu.ESME_RINVBNDSTS):
						refused.Add(1)
					case errors.As(err, &le):
						// Failed locally when our side saw the unbind: never sent,
						// or sent after the server's last answer.
						lost.Add(1)
					default:
						t.Errorf("submit: %v", err)
					}
				}), c)
				var le *session.LostError
				if _, err := c.Result(); errors.As(err, &le) || errors.Is(err, session.ErrNotAllowed) {
					break // the session is gone or unbinding: done was told
				}
			}
			calls.Wait()
		}()
	}
	waitFor(t, "some load", func() bool { return handled.Load() > 200 })
	ctx, cancel := context.WithTimeout(bg, 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	wg.Wait()
	if accepted.Load() != handled.Load() {
		t.Fatalf("handled %d but the ESMEs saw %d accepted", handled.Load(), accepted.Load())
	}
	for _, e := range esmes {
		<-e.Done()
		if err := e.Err(); err != nil && !errors.Is(err, io.EOF) {
			t.Errorf("ESME session ended with %v, want a clean unbind", err)
		}
	}
	if st := srv.Stats(); st.Open != 0 || st.Bound != 0 {
		t.Fatalf("after shutdown: %+v", st)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still accepting")
	}
	t.Logf("accepted %d, refused %d, lost locally %d", accepted.Load(), refused.Load(), lost.Load())
}

// TestShutdownDeadline: a handler that never answers; Shutdown gives up at
// the deadline and closes the connection.
func TestShutdownDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	handling := make(chan struct{})
	srv := &server.Server{Logger: quiet, Handler: server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
		close(handling)
		<-release
	})}
	addr := start(t, srv)
	c := dialRaw(t, addr)
	c.bind(pdu.BindTransmitterID, "a")
	c.send(&pdu.SubmitSM{DestinationAddr: "1"})
	<-handling
	ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	c.expectClosed()
}

func TestServeAfterClose(t *testing.T) {
	srv := &server.Server{}
	srv.Close()
	if err := srv.ListenAndServe(); !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("ListenAndServe after Close: %v", err)
	}
}
