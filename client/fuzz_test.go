package client_test

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/internal/leakcheck"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// FuzzClientSession drives a Client (the ESME role) against a fake SMSC,
// inside a synctest bubble over net.Pipe. The SMSC answers the binds and
// then runs a fuzzed program (see runClientProgram): it writes PDUs built
// from templates or raw (deliver_sm with receipts and message parts,
// enquire_link, unbind, outbind, responses to nothing, garbage, bad
// command_lengths), answers the client's requests rightly, wrongly, twice or
// not at all, breaks connections and refuses binds, while the program keeps
// requests in flight through every API.
//
// Invariants: nothing panics; every request completes exactly once, and a
// success carries a response the SMSC gave to that request (a status error,
// one the SMSC answered it with); the client answers every request of the
// SMSC at most once, with its response (or generic_nack) and sequence
// number, answers no response, and answers them all while the connection is
// open; it sends no request a state forbids; it never stops reading; Close
// returns and no goroutine is left.
func FuzzClientSession(f *testing.F) {
	for _, seed := range clientSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		synctest.Test(t, func(t *testing.T) { runClientProgram(t, prog) })
	})
}

// runClientProgram runs one fuzz input; see FuzzClientSession.
func runClientProgram(t *testing.T, prog []byte) {
	r := &progReader{b: prog}
	opts, end := r.u8(), r.u8()
	s := &fakeSMSC{t: t, answers: make(map[string][]string), statuses: make(map[string][]pdu.Status), received: make(map[string]int),
		muteLink: end&cendMuteEnquireLink != 0}
	cfg := client.Config{
		SystemID: "esme", Password: "secret", DialContext: s.dial, Logger: quiet,
		Mode:              client.Mode(opts & coptMode),
		RetryThrottled:    opts&coptRetry != 0,
		DetectReceiptText: opts&coptDetect != 0,
		MinBackoff:        100 * time.Millisecond,
		MaxBackoff:        time.Second,
		ThrottleBackoff:   10 * time.Millisecond,
		Handler:           client.HandlerFunc(fuzzDeliveryHandler),
	}
	if opts&coptWindow2 != 0 {
		cfg.Session.Window = 2
	}
	if opts&coptNoHandler != 0 {
		cfg.Handler = nil
	}
	if opts&coptShortTimers != 0 {
		cfg.Session.ResponseTimeout, cfg.Session.EnquireLinkInterval = 2*time.Second, 5*time.Second
	}
	if opts&coptInline != 0 {
		s.decode.Lenient = true
		cfg.Session.InlineHandler = true
		cfg.Session.Decode.Lenient = true
	}
	c, err := client.New("smsc", cfg)
	if err != nil {
		t.Fatal(err)
	}

	var ops []*clientOp
	var running sync.WaitGroup
	var batch []byte
	batching := false
	flush := func() {
		if len(batch) > 0 {
			if sc := s.current(); sc != nil {
				sc.writeRaw(batch)
			}
			batch = batch[:0]
		}
	}
	// Let the first binds happen.
	synctest.Wait()
	var slept time.Duration
	for r.more() {
		op := r.u8()
		arg := op >> 4
		switch op & 15 {
		case copRaw:
			b := binary.BigEndian.AppendUint32(nil, 0)
			b = binary.BigEndian.AppendUint32(b, r.u32())
			b = binary.BigEndian.AppendUint32(b, uint32(clientStatuses[arg%8]))
			b = binary.BigEndian.AppendUint32(b, r.u32())
			b = append(b, r.bytes(int(r.u8()))...)
			binary.BigEndian.PutUint32(b, uint32(len(b)))
			batch = append(batch, b...)
		case copGarbage:
			batch = append(batch, r.bytes(int(r.u8()))...)
		case copHeader:
			batch = binary.BigEndian.AppendUint32(batch, r.u32())
			batch = binary.BigEndian.AppendUint32(batch, r.u32())
			batch = binary.BigEndian.AppendUint32(batch, 0)
			batch = binary.BigEndian.AppendUint32(batch, r.u32())
		case copAnswer:
			flush()
			if sc := s.current(); sc != nil {
				sc.answer(r, arg)
			} else {
				r.u8()
			}
		case copSettle:
			synctest.Wait()
		case copSleep:
			if slept += clientSleeps[arg]; slept <= maxSleep {
				time.Sleep(clientSleeps[arg])
			}
		case copRequest:
			if len(ops) == maxRequests {
				break
			}
			o := &clientOp{tag: "t" + strconv.Itoa(len(ops)), api: arg}
			ops = append(ops, o)
			o.start(c, &running)
		case copKill:
			flush()
			if sc := s.current(); sc != nil {
				sc.nc.Close()
			}
		case copNextDial:
			s.mu.Lock()
			s.nextBinds = append(s.nextBinds, int(arg%5)+bindFailDial)
			s.mu.Unlock()
		case copBatch:
			batching = !batching
		case copSelect:
			s.mu.Lock()
			s.cur = int(r.u8())
			s.mu.Unlock()
		default:
			batch = append(batch, smscTemplate(r, clientStatuses[arg%8])...)
		}
		if !batching {
			flush()
		}
	}
	flush()

	// Every request of the SMSC on a connection still open is answered now.
	synctest.Wait()
	s.mu.Lock()
	for _, sc := range s.conns {
		if sc.closed {
			continue
		}
		for _, e := range sc.want {
			if !e.answered && !e.optional {
				t.Errorf("%s seq %d was not answered, and the connection is open", e.h.ID, e.h.Sequence)
			}
		}
	}
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	closeAll := func() {
		s.mu.Lock()
		conns := slices.Clone(s.conns)
		s.mu.Unlock()
		for _, sc := range conns {
			sc.nc.Close()
		}
	}
	switch end & 3 {
	case cendUnbindAnswered, cendUnbindSilent:
		s.mu.Lock()
		s.answerUnbind = end&3 == cendUnbindAnswered
		s.mu.Unlock()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	case cendBroken:
		closeAll()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	case cendHurried:
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		c.Close(ctx)
	}
	closeAll()
	running.Wait()
	s.serving.Wait()

	s.mu.Lock()
	// Answers to sequence numbers whose request the SMSC never read (the
	// connection broke first) may have completed any request.
	const anyTag = ""
	for _, sc := range s.conns {
		for _, a := range sc.early {
			s.credit(anyTag, a)
		}
	}
	for _, o := range ops {
		o.mu.Lock()
		switch n := o.calls.Load(); {
		case n != 1:
			t.Errorf("request %s (api %d) completed %d times", o.tag, o.api%8, n)
		case o.err == nil && !o.resp:
			t.Errorf("request %s (api %d) succeeded without a response", o.tag, o.api%8)
		case o.err == nil && !slices.Contains(s.answers[o.tag], o.id) && !slices.Contains(s.answers[anyTag], o.id):
			t.Errorf("request %s (api %d) succeeded with message_id %q, which the SMSC never gave it (it gave %q)", o.tag, o.api%8, o.id, s.answers[o.tag])
		}
		var st pdu.Status
		var se *session.StateError
		var le *client.LostError
		switch {
		case errors.As(o.err, &se), errors.As(o.err, &le) && !le.Sent:
			// Not among the errors Submit documents: the client sends
			// again what a bind that went away did not send.
			t.Errorf("request %s (api %d) failed with %v", o.tag, o.api%8, o.err)
		case client.NotSent(o.err) && s.received[o.tag] > len(s.statuses[o.tag]):
			t.Errorf("request %s (api %d) failed with %v, not sent, but the SMSC read it %d times and refused it %d times",
				o.tag, o.api%8, o.err, s.received[o.tag], len(s.statuses[o.tag]))
		case errors.As(o.err, &st) && !slices.Contains(s.statuses[o.tag], st) && !slices.Contains(s.statuses[anyTag], st):
			t.Errorf("request %s (api %d) failed with %v, a status the SMSC never answered it with (%v)", o.tag, o.api%8, o.err, s.statuses[o.tag])
		}
		o.mu.Unlock()
	}
	s.mu.Unlock()

	// Every goroutine of the client ends (time runs while they wait).
	leakcheck.Bubble(t, time.Hour)
}
