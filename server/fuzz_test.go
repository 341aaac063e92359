package server_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/internal/leakcheck"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
)

// FuzzServerSession drives one connection of a Server (the SMSC role) from a
// fuzzed ESME, inside a synctest bubble over net.Pipe. The input is a small
// program (see runServerProgram): PDUs built from templates or raw, garbage,
// bad command_lengths, pauses that let the timers run, deliveries pushed by
// the server, answers to what the server sent, and a Shutdown.
//
// Invariants: nothing panics; every request the server reads is answered at
// most once, with its response (or generic_nack), its sequence_number and a
// status it can have (the handler's, or a refusal before the handler); no
// response answers a response; while the server keeps the connection open,
// every request it has read is answered; the server never stops reading;
// Shutdown (or Close) returns, every pushed request completes, and no
// goroutine is left.
func FuzzServerSession(f *testing.F) {
	for _, seed := range serverSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		synctest.Test(t, func(t *testing.T) { runServerProgram(t, prog) })
	})
}

// runServerProgram runs one fuzz input; see FuzzServerSession.
func runServerProgram(t *testing.T, prog []byte) {
	r := &progReader{b: prog}
	opts, end := r.u8(), r.u8()%4

	srv := &server.Server{
		Handler:      fuzzHandler(t),
		Authenticate: fuzzAuth,
		Logger:       quiet,
	}
	sc := &srv.Session
	sc.InlineHandler = opts&optInline != 0
	sc.RecycleRequests = opts&optRecycle != 0
	sc.Decode.Lenient = opts&optLenient != 0
	if opts&optInbound2 != 0 {
		sc.InboundWindow = 2
	}
	if opts&optWindow2 != 0 {
		sc.Window = 2
	}
	maxLen := codec.DefaultMaxLen
	if opts&optMaxLen512 != 0 {
		sc.MaxPDULen, maxLen = 512, 512
	}
	if opts&optShortTimers != 0 {
		sc.ResponseTimeout = 2 * time.Second
		sc.EnquireLinkInterval = 5 * time.Second
		sc.EnquireLinkMissed = 1
		sc.BindTimeout = 10 * time.Second
		sc.InactivityTimeout = 20 * time.Second
		sc.UnbindTimeout = time.Second
	}
	h := &serverHarness{t: t, srv: srv, decode: sc.Decode, maxLen: maxLen,
		serverSeqs: make(map[uint32]bool), readerDone: make(chan struct{})}
	var sessMu sync.Mutex
	srv.Observer.ConnClosed = func(_ *server.Conn, err error) {
		sessMu.Lock()
		h.sessErr = err
		sessMu.Unlock()
	}
	pushCtx, cancelPushes := context.WithCancel(context.Background())
	h.pushCtx = pushCtx

	l := newPipeListener()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	var bg sync.WaitGroup // Outbind and Shutdown calls of the program
	if opts&optOutbind != 0 {
		a, b := net.Pipe()
		srv.Dial = func(context.Context, string) (net.Conn, error) { return a, nil }
		h.conn = b
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		bg.Go(func() { srv.Outbind(ctx, "esme", &pdu.Outbind{SystemID: "SMSC"}) })
		h.outbound = make(chan struct{})
	} else {
		h.conn = l.dial()
	}
	go h.read()
	if h.outbound != nil {
		// An ESME that is dialled waits for the outbind.
		select {
		case <-h.outbound:
		case <-h.readerDone:
		}
	}

	var batch []byte
	batching := false
	ok := true
	pushes, slept := 0, time.Duration(0)
	for ok && r.more() {
		op := r.u8()
		arg := op >> 4
		switch op & 15 {
		case opRaw:
			b := binary.BigEndian.AppendUint32(nil, 0)
			b = binary.BigEndian.AppendUint32(b, r.u32())
			b = binary.BigEndian.AppendUint32(b, uint32(fuzzStatuses[arg%8]))
			b = binary.BigEndian.AppendUint32(b, r.u32())
			b = append(b, r.bytes(int(r.u8()))...)
			binary.BigEndian.PutUint32(b, uint32(len(b)))
			batch = append(batch, b...)
		case opGarbage:
			batch = append(batch, r.bytes(int(r.u8()))...)
		case opHeader:
			batch = binary.BigEndian.AppendUint32(batch, r.u32())
			batch = binary.BigEndian.AppendUint32(batch, r.u32())
			batch = binary.BigEndian.AppendUint32(batch, 0)
			batch = binary.BigEndian.AppendUint32(batch, r.u32())
		case opTruncated:
			b := fuzzTemplate(r, fuzzStatuses[arg%8])
			batch = append(batch, b[:int(r.u8())%len(b)]...)
		case opSettle:
			synctest.Wait()
		case opSleep:
			if slept += fuzzSleeps[arg]; slept <= maxSleep {
				time.Sleep(fuzzSleeps[arg])
			}
		case opPush:
			if pushes++; pushes <= maxPushes {
				h.push(arg)
			}
		case opAnswer:
			ok = h.write(batch) && h.answer(r, arg)
			batch = batch[:0]
		case opShutdown:
			d := fuzzSleeps[arg]
			h.mu.Lock()
			h.closing = true
			h.mu.Unlock()
			bg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), d)
				defer cancel()
				srv.Shutdown(ctx)
			})
		case opBatch:
			batching = !batching
		default:
			batch = append(batch, fuzzTemplate(r, fuzzStatuses[arg%8])...)
		}
		if !batching && len(batch) > 0 {
			ok = h.write(batch)
			batch = batch[:0]
		}
	}
	if ok {
		h.write(batch)
	}

	// Everything the server read and can answer without the clock moving is
	// answered now, unless it closed the connection.
	synctest.Wait()
	h.mu.Lock()
	if !h.serverClosed {
		for _, e := range h.want {
			if !e.answered && !e.optional {
				t.Errorf("%s seq %d (status %s) was not answered, and the connection is open", e.h.ID, e.h.Sequence, e.h.Status)
			}
		}
	}
	h.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	closeConn := func() {
		h.mu.Lock()
		h.weClosed = true
		h.mu.Unlock()
		h.conn.Close()
	}
	switch end {
	case endCloseThenShutdown:
		closeConn()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown after the ESME closed: %v", err)
		}
	case endShutdownAnswered, endShutdownSilent:
		h.mu.Lock()
		h.answerUnbind = end == endShutdownAnswered
		h.mu.Unlock()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		closeConn()
	case endClose:
		srv.Close()
		closeConn()
	}
	if err := <-served; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Serve returned %v", err)
	}
	<-h.readerDone
	cancelPushes()
	h.pushes.Wait()
	bg.Wait()

	h.mu.Lock()
	for _, c := range h.calls {
		id := c.req.CommandID()
		select {
		case <-c.done:
		default:
			t.Errorf("pushed %s seq %d did not complete", id, c.seq())
			continue
		}
		resp, err := c.outcome()
		var lost *session.LostError
		var canceled *session.CanceledError
		if errors.Is(err, session.ErrTimeout) || errors.As(err, &lost) || errors.As(err, &canceled) {
			continue // no answer
		}
		// An answer: the response (with its status), or a generic_nack.
		rid, st := id.Response(), pdu.ESME_ROK
		if resp == nil {
			rid = pdu.GenericNackID
		} else if resp.CommandID() != rid {
			t.Errorf("pushed %s seq %d completed with a %s", id, c.seq(), resp.CommandID())
		}
		errors.As(err, &st)
		if !slices.ContainsFunc(h.wrote, func(w pdu.Header) bool {
			return w.ID == rid && w.Sequence == c.seq() && w.Status == st
		}) {
			t.Errorf("pushed %s seq %d completed with %s %s (%v), which the ESME never sent", id, c.seq(), rid, st, err)
		}
	}
	h.mu.Unlock()

	// Every goroutine the server started ends (time runs while they wait).
	leakcheck.Bubble(t, time.Hour)

	// Close does not wait for the connections: look once all have ended.
	synctest.Wait()
	if st := srv.Stats(); st.Open != 0 || st.Bound != 0 {
		t.Errorf("after Shutdown: %d connections open, %d bound", st.Open, st.Bound)
	}
	// A session that ended on a bad command_length said so first.
	sessMu.Lock()
	sessErr := h.sessErr
	sessMu.Unlock()
	var le *codec.LengthError
	// (Unless the ESME closed first, while the server waited for the rest
	// of the header.)
	if errors.As(sessErr, &le) && !slices.ContainsFunc(h.want, func(e *serverWant) bool { return e.lenErr && (e.answered || e.optional) }) {
		t.Errorf("the session ended with %v without generic_nack ESME_RINVCMDLEN", sessErr)
	}
}
