package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// checkLeaks fails the test if goroutines started during it are still running
// after its cleanups (registered before checkLeaks runs cleanups later, so
// call it first).
func checkLeaks(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, interesting(buf))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// interesting keeps the stacks that mention this module.
func interesting(stacks []byte) string {
	var b strings.Builder
	for _, g := range bytes.Split(stacks, []byte("\n\n")) {
		if bytes.Contains(g, []byte("esmsafrica/smpp")) && !bytes.Contains(g, []byte("checkLeaks")) {
			b.Write(g)
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// okHandler answers every request with an empty body of its response type
// and ESME_ROK; submit_sm gets a message id.
var okHandler = server.HandlerFunc(func(w server.ResponseWriter, r *server.Request) {
	if r.Header.ID == pdu.SubmitSMID {
		w.Respond(&pdu.SubmitSMResp{MessageID: "1"}, pdu.ESME_ROK)
		return
	}
	w.Respond(nil, pdu.ESME_ROK)
})

// start serves srv on a loopback listener and shuts it down at the end of the test.
func start(t testing.TB, srv *server.Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return l.Addr().String()
}

// rawConn is a hand-driven ESME: it writes PDUs as bytes and reads frames.
type rawConn struct {
	t   testing.TB
	c   net.Conn
	rd  *codec.Reader
	seq uint32
	// pipe: no deadlines (synctest bubbles use fake time anyway)
	noDeadline bool
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, rd: codec.NewReader(c, 0)}
}

func (r *rawConn) write(b []byte) {
	r.t.Helper()
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// send writes a request and returns its sequence number.
func (r *rawConn) send(p pdu.PDU) uint32 {
	r.t.Helper()
	r.seq++
	b, err := pdu.AppendPDU(nil, r.seq, pdu.ESME_ROK, p)
	if err != nil {
		r.t.Fatal(err)
	}
	r.write(b)
	return r.seq
}

// read returns the next frame's header and a copy of its body.
func (r *rawConn) read() (pdu.Header, []byte, error) {
	if !r.noDeadline {
		r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	}
	f, err := r.rd.Read()
	if err != nil {
		return pdu.Header{}, nil, err
	}
	return f.Header, append([]byte(nil), f.Body...), nil
}

// expect reads the next frame and checks its id, status and sequence.
func (r *rawConn) expect(id pdu.CommandID, status pdu.Status, seq uint32) []byte {
	r.t.Helper()
	h, body, err := r.read()
	if err != nil {
		r.t.Fatalf("waiting for %s %s: %v", id, status, err)
	}
	if h.ID != id || h.Status != status || h.Sequence != seq {
		r.t.Fatalf("got %s %s seq %d, want %s %s seq %d", h.ID, h.Status, h.Sequence, id, status, seq)
	}
	return body
}

// expectClosed checks that the server closes the connection.
func (r *rawConn) expectClosed() {
	r.t.Helper()
	for {
		h, _, err := r.read()
		if err == nil {
			r.t.Fatalf("expected close, got %s %s", h.ID, h.Status)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
			return
		}
		r.t.Fatalf("expected close, got %v", err)
	}
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "reset by peer") || strings.Contains(err.Error(), "closed pipe"))
}

func (r *rawConn) bind(id pdu.CommandID, systemID string) {
	r.t.Helper()
	seq := r.send(&pdu.Bind{ID: id, SystemID: systemID, Password: "pw", InterfaceVersion: 0x34})
	r.expect(id.Response(), pdu.ESME_ROK, seq)
}

// waitFor polls cond for up to 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// pipeListener is a net.Listener over net.Pipe, for synctest bubbles.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error { l.once.Do(func() { close(l.closed) }); return nil }

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial returns the client end of a new connection.
func (l *pipeListener) dial() net.Conn {
	a, b := net.Pipe()
	select {
	case l.conns <- a:
	case <-l.closed:
		a.Close()
	}
	return b
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

var bg = context.Background()
