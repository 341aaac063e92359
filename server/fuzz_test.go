package server_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"strings"
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

// The program's first two octets are options; then come instructions, each
// an opcode octet (kind in the low nibble, an argument in the high one) and
// its operands. A program that runs out of octets reads zeros.
const (
	optInline      = 1 << iota // Server.InlineHandler
	optRecycle                 // Server.RecycleRequests
	optInbound2                // InboundWindow 2: the third request at once is throttled
	optWindow2                 // Window 2: pushes wait for the window
	optLenient                 // Decode.Lenient
	optMaxLen512               // MaxPDULen 512
	optOutbind                 // the server dials the ESME and sends outbind first
	optShortTimers             // timers of a few seconds instead of the defaults
)

// How the program ends (second octet, modulo 4).
const (
	endCloseThenShutdown = iota // the ESME closes, then Shutdown
	endShutdownAnswered         // Shutdown; the ESME answers its unbind, then closes
	endShutdownSilent           // Shutdown; the ESME answers nothing
	endClose                    // Server.Close
)

// Instruction kinds (low nibble of the opcode).
const (
	opTemplate  = iota // a PDU from a template: id index, sequence, variant, template operands; arg: status index
	opRaw              // a PDU: id u32, sequence u32, body length u8, body; arg: status index
	opGarbage          // length u8, then that many raw octets
	opHeader           // a header alone: command_length u32, id u32, sequence u32
	opTruncated        // a template PDU cut after n (u8) octets
	opSettle           // wait until every goroutine of the bubble is blocked
	opSleep            // advance the fake clock by fuzzSleeps[arg]
	opPush             // the server pushes deliver_sm (or data_sm, arg&4) to fuzzSystemIDs[arg&3]
	opAnswer           // answer the server's request that is u8 from the last; arg: how
	opShutdown         // Shutdown, in the background, with a deadline of fuzzSleeps[arg]
	opBatch            // start or end a batch: the PDUs until the next opBatch go in one write
)

// Bounds of a program, so that every input runs in well under a second:
// each push is a goroutine that may wait for the window, and every fake
// second costs the timers' ticks.
const (
	maxPushes = 64
	maxSleep  = 30 * time.Minute
)

// unboundMaxLen is the longest PDU a server may read before the bind.
const unboundMaxLen = 512

// fuzzIDs are the command ids a template instruction picks from.
var fuzzIDs = []pdu.CommandID{
	pdu.BindTransceiverID, pdu.SubmitSMID, pdu.EnquireLinkID, pdu.UnbindID,
	pdu.BindTransmitterID, pdu.BindReceiverID, pdu.DeliverSMRespID, pdu.GenericNackID,
	pdu.QuerySMID, pdu.CancelSMID, pdu.ReplaceSMID, pdu.DataSMID,
	pdu.SubmitMultiID, pdu.DeliverSMID, pdu.OutbindID, pdu.AlertNotificationID,
	pdu.EnquireLinkRespID, pdu.UnbindRespID, pdu.SubmitSMRespID, pdu.DataSMRespID,
	pdu.BindTransceiverRespID, 0x000000AA, 0x800000AA, 0x00000000,
}

var fuzzStatuses = []pdu.Status{
	pdu.ESME_ROK, pdu.ESME_RINVCMDID, pdu.ESME_RTHROTTLED, pdu.ESME_RX_T_APPN,
	pdu.ESME_RSYSERR, pdu.ESME_RINVBNDSTS, pdu.ESME_RINVMSGID, 0xFFFFFFFF,
}

var fuzzSleeps = []time.Duration{
	time.Millisecond, 100 * time.Millisecond, time.Second, 3 * time.Second,
	5 * time.Second, 10 * time.Second, 31 * time.Second, 61 * time.Second,
	2 * time.Minute, 5 * time.Minute, 0, 0, 0, 0, 0, 0,
}

// fuzzSystemIDs are the accounts of fuzzAuth.
var fuzzSystemIDs = []string{"esme", "rate", "rx", "panic"}

// fuzzAuth accepts "esme", "rate" (one submission a second) and "rx"
// (receiver only) with the password "secret", and panics for "panic".
func fuzzAuth(_ context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
	if r.Bind.SystemID == "panic" {
		panic("fuzz: Authenticate panics")
	}
	if r.Bind.Password != "secret" {
		return nil, pdu.ESME_RINVPASWD
	}
	switch r.Bind.SystemID {
	case "rate":
		return &server.Account{Rate: 1, Burst: 1}, pdu.ESME_ROK
	case "rx":
		return &server.Account{Modes: server.ModeReceiver}, pdu.ESME_ROK
	}
	return nil, pdu.ESME_ROK
}

// authStatus is the status fuzzAuth and the server give a bind.
func authStatus(b *pdu.Bind) pdu.Status {
	switch {
	case b.SystemID == "panic":
		return pdu.ESME_RBINDFAIL // the session recovers the panic
	case b.Password != "secret":
		return pdu.ESME_RINVPASWD
	case b.SystemID == "rx" && b.ID != pdu.BindReceiverID:
		return pdu.ESME_RBINDFAIL
	}
	return pdu.ESME_ROK
}

// fuzzHandler answers submit_sm, submit_multi, data_sm and query_sm in one of
// eight ways chosen by the sequence number; handlerStatus is the status each
// way leads to. cancel_sm and replace_sm have no handler.
func fuzzHandler(t *testing.T) server.Handler {
	mux := server.NewServeMux()
	h := func(w server.ResponseWriter, r *server.Request) {
		id := r.Header.ID
		switch r.Header.Sequence % 8 {
		case 0:
			w.Respond(okBody(id), pdu.ESME_ROK)
		case 1:
			w.Respond(nil, pdu.ESME_RINVDSTADR)
		case 2:
			panic("fuzz: handler panics")
		case 3:
			w.Hold()
			go w.Respond(okBody(id), pdu.ESME_ROK)
		case 4:
			// No answer: the session sends session.DefaultStatus.
		case 5:
			if err := w.Respond(&pdu.EnquireLinkResp{}, pdu.ESME_ROK); err == nil {
				t.Errorf("%s answered with enquire_link_resp: no error", id)
			}
		case 6:
			w.Respond(okBody(id), pdu.ESME_ROK)
			if err := w.Respond(okBody(id), pdu.ESME_ROK); !errors.Is(err, session.ErrResponded) {
				t.Errorf("second Respond to %s: %v, want ErrResponded", id, err)
			}
		case 7:
			w.Respond(badBody(id), pdu.ESME_ROK)
		}
	}
	for _, id := range []pdu.CommandID{pdu.SubmitSMID, pdu.SubmitMultiID, pdu.DataSMID, pdu.QuerySMID} {
		mux.HandleFunc(id, h)
	}
	return mux
}

func okBody(id pdu.CommandID) pdu.PDU {
	switch id {
	case pdu.SubmitSMID:
		return &pdu.SubmitSMResp{MessageID: "id1"}
	case pdu.SubmitMultiID:
		return &pdu.SubmitMultiResp{MessageID: "id1"}
	case pdu.DataSMID:
		return &pdu.DataSMResp{MessageID: "id1"}
	case pdu.QuerySMID:
		return &pdu.QuerySMResp{MessageID: "id1", MessageState: 2}
	}
	return nil
}

// badBody is a response body that cannot be encoded (a message_id too long).
func badBody(id pdu.CommandID) pdu.PDU {
	long := strings.Repeat("9", 70)
	switch id {
	case pdu.SubmitSMID:
		return &pdu.SubmitSMResp{MessageID: long}
	case pdu.SubmitMultiID:
		return &pdu.SubmitMultiResp{MessageID: long}
	case pdu.DataSMID:
		return &pdu.DataSMResp{MessageID: long}
	case pdu.QuerySMID:
		return &pdu.QuerySMResp{MessageID: long}
	}
	return nil
}

// handlerStatus is the status fuzzHandler answers a request with.
func handlerStatus(id pdu.CommandID, seq uint32) pdu.Status {
	if okBody(id) == nil {
		return session.DefaultStatus(session.SMSC, id)
	}
	switch seq % 8 {
	case 1:
		return pdu.ESME_RINVDSTADR
	case 2, 5:
		return pdu.ESME_RSYSERR
	case 4:
		return session.DefaultStatus(session.SMSC, id)
	case 7:
		_, err := pdu.AppendPDU(nil, seq, 0, badBody(id))
		return pdu.StatusOf(err)
	}
	return pdu.ESME_ROK
}

// progReader reads a program; past its end it reads zeros.
type progReader struct{ b []byte }

func (r *progReader) more() bool { return len(r.b) > 0 }

func (r *progReader) u8() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *progReader) u32() uint32 {
	return uint32(r.u8())<<24 | uint32(r.u8())<<16 | uint32(r.u8())<<8 | uint32(r.u8())
}

func (r *progReader) bytes(n int) []byte {
	n = min(n, len(r.b))
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

// seq reads a sequence number: one octet, or four after 0xFF.
func (r *progReader) seq() uint32 {
	if s := r.u8(); s != 0xFF {
		return uint32(s)
	}
	return r.u32()
}

// fuzzTemplate encodes a PDU of fuzzIDs[index] from its variant octet and
// operands.
func fuzzTemplate(r *progReader, status pdu.Status) []byte {
	id := fuzzIDs[int(r.u8())%len(fuzzIDs)]
	seq := r.seq()
	v := r.u8()
	var p pdu.PDU
	switch id {
	case pdu.BindTransceiverID, pdu.BindTransmitterID, pdu.BindReceiverID:
		b := &pdu.Bind{ID: id, SystemID: fuzzSystemIDs[v&3], Password: "secret", InterfaceVersion: 0x34}
		if v&4 != 0 {
			b.Password = "wrong"
		}
		if v&8 != 0 {
			b.InterfaceVersion = 0x33
		}
		p = b
	case pdu.SubmitSMID, pdu.DeliverSMID:
		sm := &pdu.SubmitSM{SourceAddr: "1", DestinationAddr: "2", RegisteredDelivery: v >> 6 & 1, DataCoding: (v >> 7) * 8}
		sm.ShortMessage = r.bytes(int(v & 63))
		if id == pdu.DeliverSMID {
			p = (*pdu.DeliverSM)(sm)
		} else {
			p = sm
		}
	case pdu.SubmitMultiID:
		m := &pdu.SubmitMulti{SourceAddr: "1", ShortMessage: r.bytes(int(v & 15))}
		for i := range int(v>>4&3) + 1 {
			m.Dests = append(m.Dests, pdu.DestAddress{DestinationAddr: string(rune('1' + i))})
		}
		p = m
	case pdu.DataSMID:
		d := &pdu.DataSM{SourceAddr: "1", DestinationAddr: "2"}
		if n := int(v & 63); n > 0 {
			d.TLVs.SetMessagePayload(r.bytes(n))
		}
		p = d
	case pdu.QuerySMID:
		p = &pdu.QuerySM{MessageID: "id1", SourceAddr: "1"}
	case pdu.CancelSMID:
		p = &pdu.CancelSM{MessageID: "id1", SourceAddr: "1", DestinationAddr: "2"}
	case pdu.ReplaceSMID:
		p = &pdu.ReplaceSM{MessageID: "id1", SourceAddr: "1", ShortMessage: r.bytes(int(v & 15))}
	case pdu.OutbindID:
		p = &pdu.Outbind{SystemID: "esme", Password: "secret"}
	case pdu.AlertNotificationID:
		p = &pdu.AlertNotification{SourceAddr: "1", ESMEAddr: "2"}
	case pdu.SubmitSMRespID:
		p = &pdu.SubmitSMResp{MessageID: "id1"}
	case pdu.DeliverSMRespID:
		p = &pdu.DeliverSMResp{}
	case pdu.DataSMRespID:
		p = &pdu.DataSMResp{MessageID: "id1"}
	case pdu.BindTransceiverRespID:
		p = &pdu.BindResp{ID: id, SystemID: "esme"}
	default:
		p = pdu.New(id)
	}
	if p == nil { // an unknown command id: a header alone
		return pdu.Header{Length: pdu.HeaderLen, ID: id, Status: status, Sequence: seq}.AppendBinary(nil)
	}
	b, err := pdu.AppendPDU(nil, seq, status, p)
	if err != nil {
		panic(err) // a template that does not encode is a bug of this file
	}
	return b
}

// serverWant is a request the server reads from the stream, and how it may be
// answered.
type serverWant struct {
	h        pdu.Header
	resp     pdu.CommandID // its response id, or generic_nack
	ok       []pdu.Status  // the statuses it may be answered with
	lenErr   bool          // the generic_nack of a bad command_length: its sequence may also be 0
	optional bool          // it may also go unanswered
	hook     bool          // a bind that decodes: the server's hook decides it
	answered bool
}

// serverHarness is the fuzzed ESME.
type serverHarness struct {
	t      *testing.T
	srv    *server.Server
	conn   net.Conn
	decode pdu.DecodeOptions
	maxLen int

	mu           sync.Mutex
	stream       []byte      // written and not yet framed
	dead         *serverWant // the generic_nack of a bad command_length: the server reads nothing more
	maybeBound   bool        // a bind that the server may accept is in the stream
	closing      bool        // Shutdown has begun: it refuses binds
	tooLong      *serverWant // the generic_nack a PDU being framed may get before the bind
	want         []*serverWant
	wrote        []pdu.Header // the responses the ESME wrote
	fromServer   []pdu.Header // the requests the server sent
	serverSeqs   map[uint32]bool
	bound        session.State // from the bind_resp seen
	unbound      bool          // unbind answered or received
	serverClosed bool          // the server closed the connection first
	weClosed     bool
	answerUnbind bool
	readerDone   chan struct{}
	outbound     chan struct{} // closed when the server's outbind is read
	sessErr      error         // why the session ended (Observer.ConnClosed)

	pushCtx context.Context
	pushes  sync.WaitGroup
	calls   []*pushCall
}

// pushCall is a push's Future, whatever its type.
type pushCall struct {
	done    <-chan struct{}
	seq     func() uint32
	req     pdu.PDU
	outcome func() (pdu.PDU, error) // the response body (nil for none) and the error
}

func newPushCall[T pdu.PDU](f *server.Future[T]) *pushCall {
	return &pushCall{done: f.Done(), seq: f.Sequence, req: f.Request(), outcome: func() (pdu.PDU, error) {
		r, err := f.Result()
		if pdu.PDU(r) == nil || isNilResp(r) {
			return nil, err
		}
		return r, err
	}}
}

func isNilResp(p pdu.PDU) bool {
	switch p := p.(type) {
	case *pdu.DeliverSMResp:
		return p == nil
	case *pdu.DataSMResp:
		return p == nil
	}
	return false
}

// feed frames b as the server will and registers the requests it reads. It
// runs before b is written, so that no answer can come before its request.
func (h *serverHarness) feed(b []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dead != nil {
		if e := h.dead; e.h.Length >= pdu.HeaderLen && len(h.stream) < pdu.HeaderLen {
			// The server may yet buffer the rest of the bad header.
			h.stream = append(h.stream, b...)
			if len(h.stream) >= pdu.HeaderLen {
				e.h.Sequence = binary.BigEndian.Uint32(h.stream[12:])
				e.optional = false
			}
		}
		return
	}
	h.stream = append(h.stream, b...)
	for len(h.stream) >= 4 {
		n := binary.BigEndian.Uint32(h.stream)
		if n < pdu.HeaderLen || int64(n) > int64(h.maxLen) {
			// The codec answers generic_nack ESME_RINVCMDLEN with the
			// sequence_number if it has it (else 0), and closes.
			e := &serverWant{resp: pdu.GenericNackID, ok: []pdu.Status{pdu.ESME_RINVCMDLEN}, lenErr: true}
			e.h.Length = n
			if n >= pdu.HeaderLen && len(h.stream) >= pdu.HeaderLen {
				e.h.Sequence = binary.BigEndian.Uint32(h.stream[12:])
			} else if n >= pdu.HeaderLen {
				// A reader may wait for the rest of the header to echo
				// its sequence_number.
				e.optional = true
			}
			h.dead = e
			h.want = append(h.want, e)
			return
		}
		if n > unboundMaxLen && (!h.maybeBound || h.closing) {
			// A server may refuse a PDU this long before the bind, as soon
			// as it has its header.
			if h.tooLong == nil {
				h.tooLong = &serverWant{resp: pdu.GenericNackID, ok: []pdu.Status{pdu.ESME_RINVCMDLEN}, lenErr: true, optional: true}
				h.tooLong.h.Length = n
				h.want = append(h.want, h.tooLong)
			}
			if len(h.stream) >= pdu.HeaderLen {
				h.tooLong.h.Sequence = binary.BigEndian.Uint32(h.stream[12:])
			}
		}
		if len(h.stream) < int(n) {
			return
		}
		h.tooLong = nil
		h.frame(h.stream[:n])
		h.stream = h.stream[n:]
	}
}

func (h *serverHarness) frame(raw []byte) {
	hd, _ := pdu.ParseHeader(raw)
	body := raw[pdu.HeaderLen:]
	if hd.ID.IsResponse() {
		h.wrote = append(h.wrote, hd)
		return // never answered
	}
	e := &serverWant{h: hd, resp: hd.ID.Response()}
	switch {
	case !hd.ID.Known():
		e.resp, e.ok = pdu.GenericNackID, []pdu.Status{pdu.ESME_RINVCMDID}
	case !hd.ID.HasResponse(), hd.ID == pdu.DeliverSMID:
		// outbind, alert_notification and deliver_sm never come from an ESME.
		if !hd.ID.HasResponse() {
			e.resp = pdu.GenericNackID
		}
		e.ok = []pdu.Status{pdu.ESME_RINVBNDSTS}
	case hd.ID == pdu.EnquireLinkID:
		e.ok = []pdu.Status{pdu.ESME_ROK}
	case hd.ID == pdu.UnbindID:
		e.ok = []pdu.Status{pdu.ESME_ROK, pdu.ESME_RINVBNDSTS}
	default:
		p := pdu.New(hd.ID)
		err := h.decode.Unmarshal(p, append([]byte(nil), body...))
		switch {
		case err != nil:
			e.ok = []pdu.Status{pdu.ESME_RINVBNDSTS, pdu.ESME_RALYBND, pdu.StatusOf(err)}
		case hd.ID.IsBind():
			e.hook = true
			if authStatus(p.(*pdu.Bind)) == pdu.ESME_ROK {
				h.maybeBound = true
			}
			// ESME_RBINDFAIL also when the server is closing.
			e.ok = []pdu.Status{authStatus(p.(*pdu.Bind)), pdu.ESME_RALYBND, pdu.ESME_RINVBNDSTS, pdu.ESME_RBINDFAIL}
		default:
			e.ok = []pdu.Status{handlerStatus(hd.ID, hd.Sequence), pdu.ESME_RINVBNDSTS, pdu.ESME_RTHROTTLED}
		}
	}
	h.want = append(h.want, e)
}

// write frames and writes b. The server must read it without the fake clock
// moving: nothing it does before reading the next PDU waits for time.
func (h *serverHarness) write(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	h.feed(b)
	start := time.Now()
	_, err := h.conn.Write(b)
	h.mu.Lock()
	lost := h.dead != nil // the server stops reading once framing is lost
	h.mu.Unlock()
	if d := time.Since(start); d > 0 && !lost {
		h.t.Errorf("the server stopped reading for %v (write: %v)", d, err)
	}
	return err == nil
}

// read reads what the server sends until the connection closes and checks
// each PDU.
func (h *serverHarness) read() {
	defer close(h.readerDone)
	rd := codec.NewReader(h.conn, 0)
	for {
		f, err := rd.Read()
		if err != nil {
			h.mu.Lock()
			if !h.weClosed {
				h.serverClosed = true
			}
			h.mu.Unlock()
			return
		}
		if f.ID.IsResponse() {
			h.response(f)
		} else {
			h.request(f)
		}
	}
}

// response checks a response from the server against the requests it read.
func (h *serverHarness) response(f codec.Frame) {
	t := h.t
	h.mu.Lock()
	defer h.mu.Unlock()
	var found, idMatch *serverWant
	for _, e := range h.want {
		if e.answered || e.resp != f.ID || !(e.h.Sequence == f.Sequence || e.lenErr && f.Sequence == 0) {
			continue
		}
		if slices.Contains(e.ok, f.Status) && (found == nil || found.optional) {
			// The first that fits; one that must be answered before one
			// that may be.
			found = e
		}
		if idMatch == nil {
			idMatch = e
		}
	}
	switch {
	case found == nil && idMatch != nil:
		idMatch.answered = true
		t.Errorf("%s seq %d answered %s %s, want one of %v", idMatch.h.ID, f.Sequence, f.ID, f.Status, idMatch.ok)
		return
	case found == nil:
		t.Errorf("the server sent %s %s seq %d, which answers no request it read (a second answer, or one to a response)", f.ID, f.Status, f.Sequence)
		return
	}
	found.answered = true
	if f.Status != pdu.ESME_ROK {
		// Header-only, but for a bind_transceiver the Authenticate hook (or
		// its panic) refused: the server's system_id. (A bind on a bound
		// session, or one that does not decode, is refused by the session:
		// header-only, also when the field that does not decode gives
		// ESME_RINVPASWD.)
		if found.hook && f.ID == pdu.BindTransceiverRespID && (f.Status == pdu.ESME_RINVPASWD || f.Status == pdu.ESME_RBINDFAIL) {
			if string(f.Body) != "SMSC\x00" {
				t.Errorf("%s %s has the body %q, want the system_id SMSC", f.ID, f.Status, f.Body)
			}
		} else if f.Length != pdu.HeaderLen {
			t.Errorf("%s %s has a body of %d octets", f.ID, f.Status, f.Length-pdu.HeaderLen)
		}
	} else if _, _, err := pdu.Decode(f.Bytes(), pdu.DecodeOptions{}); err != nil {
		t.Errorf("the server sent a %s that does not decode: %v", f.ID, err)
	}
	switch {
	case f.Status == pdu.ESME_ROK && f.ID.Request().IsBind():
		h.bound = session.BoundState(f.ID)
	case f.Status == pdu.ESME_ROK && f.ID == pdu.UnbindRespID:
		h.unbound = true
	}
}

// request checks a request from the server and answers its unbind when
// asked to.
func (h *serverHarness) request(f codec.Frame) {
	t := h.t
	h.mu.Lock()
	if h.serverSeqs[f.Sequence] {
		t.Errorf("the server sent %s with sequence %d, used before", f.ID, f.Sequence)
	}
	h.serverSeqs[f.Sequence] = true
	first := len(h.fromServer) == 0
	h.fromServer = append(h.fromServer, f.Header)
	bound, unbound := h.bound, h.unbound
	if f.ID == pdu.UnbindID {
		h.unbound = true
	}
	answer := h.answerUnbind && f.ID == pdu.UnbindID
	h.mu.Unlock()
	switch f.ID {
	case pdu.DeliverSMID, pdu.DataSMID:
		if !bound.CanReceive() || unbound {
			t.Errorf("the server sent %s to an ESME in state %s (unbound: %v)", f.ID, bound, unbound)
		}
	case pdu.UnbindID:
		if !bound.Bound() {
			t.Errorf("the server sent unbind to an ESME in state %s", bound)
		}
	case pdu.EnquireLinkID:
	case pdu.OutbindID:
		if !first || h.outbound == nil {
			t.Errorf("the server sent outbind after other PDUs")
		} else {
			close(h.outbound)
		}
	default:
		t.Errorf("the server sent %s", f.ID)
	}
	if answer {
		b, _ := pdu.AppendPDU(nil, f.Sequence, 0, &pdu.UnbindResp{})
		h.feed(b)
		h.conn.Write(b)
	}
}

// answer writes an answer to one of the requests the server sent.
func (h *serverHarness) answer(r *progReader, how byte) bool {
	back := int(r.u8())
	h.mu.Lock()
	n := len(h.fromServer)
	var req pdu.Header
	if n > 0 {
		req = h.fromServer[n-1-back%n]
	}
	h.mu.Unlock()
	if n == 0 {
		return true
	}
	id, status, seq := req.ID.Response(), pdu.ESME_ROK, req.Sequence
	switch how % 5 {
	case 1:
		status = pdu.ESME_RX_T_APPN
	case 2:
		id, status = pdu.GenericNackID, pdu.ESME_RINVCMDID
	case 3:
		id = pdu.SubmitSMRespID
	case 4:
		seq++
	}
	p := pdu.New(id)
	if p == nil {
		return true
	}
	b, err := pdu.AppendPDU(nil, seq, status, p)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.write(b)
}

func (h *serverHarness) push(arg byte) {
	sys := fuzzSystemIDs[arg&3]
	var p pdu.PDU = &pdu.DeliverSM{SourceAddr: "2", DestinationAddr: "1", ESMClass: 4,
		ShortMessage: []byte("id:id1 sub:001 dlvrd:001 submit date:2401010000 done date:2401010000 stat:DELIVRD err:000 text:")}
	if arg&4 != 0 {
		p = &pdu.DataSM{SourceAddr: "2", DestinationAddr: "1"}
	}
	h.pushes.Add(1)
	go func() {
		defer h.pushes.Done()
		// To the first receiver that takes it, as Server.Deliver does.
		for _, c := range h.srv.Receivers(sys) {
			var pc *pushCall
			if d, ok := p.(*pdu.DeliverSM); ok {
				pc = newPushCall(c.DeliverAsync(h.pushCtx, d))
			} else {
				pc = newPushCall(c.DataSMAsync(h.pushCtx, p.(*pdu.DataSM)))
			}
			select {
			case <-pc.done:
				_, err := pc.outcome()
				var lost *session.LostError
				if errors.Is(err, session.ErrNotAllowed) || errors.As(err, &lost) && !lost.Sent {
					continue // not sent: that session is no longer usable
				}
			default:
			}
			h.mu.Lock()
			h.calls = append(h.calls, pc)
			h.mu.Unlock()
			return
		}
	}()
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

// serverProg builds seed programs.
type serverProg struct{ b []byte }

func newServerProg(opts, end byte) *serverProg { return &serverProg{b: []byte{opts, end}} }

func (p *serverProg) op(kind, arg byte, operands ...byte) *serverProg {
	p.b = append(append(p.b, arg<<4|kind), operands...)
	return p
}

// pdu adds a template PDU; extra are the template's operands.
func (p *serverProg) pdu(id pdu.CommandID, seq, variant byte, extra ...byte) *serverProg {
	i := slices.Index(fuzzIDs, id)
	if i < 0 {
		panic(id)
	}
	return p.op(opTemplate, 0, append([]byte{byte(i), seq, variant}, extra...)...)
}

func (p *serverProg) raw(id, seq uint32, body []byte) *serverProg {
	b := binary.BigEndian.AppendUint32(nil, id)
	b = binary.BigEndian.AppendUint32(b, seq)
	b = append(append(b, byte(len(body))), body...)
	return p.op(opRaw, 0, b...)
}

func (p *serverProg) header(length, id, seq uint32) *serverProg {
	b := binary.BigEndian.AppendUint32(nil, length)
	b = binary.BigEndian.AppendUint32(b, id)
	b = binary.BigEndian.AppendUint32(b, seq)
	return p.op(opHeader, 0, b...)
}

func serverSeeds() [][]byte {
	const trx = pdu.BindTransceiverID
	hello := []byte("hello")
	bound := func(opts, end byte) *serverProg { return newServerProg(opts, end).pdu(trx, 1, 0) }
	var seeds []*serverProg
	// bind_transceiver, submit_sm answered in each of the handler's ways,
	// enquire_link, unbind, a submit_sm after it.
	p := bound(0, endCloseThenShutdown)
	for seq := byte(2); seq < 10; seq++ {
		p.pdu(pdu.SubmitSMID, seq, 5, hello...)
	}
	seeds = append(seeds, p.pdu(pdu.EnquireLinkID, 10, 0).pdu(pdu.UnbindID, 11, 0).pdu(pdu.SubmitSMID, 12, 0))
	// The same, inline and recycling, in one write.
	p = bound(optInline|optRecycle, endShutdownAnswered).op(opBatch, 0)
	for seq := byte(2); seq < 10; seq++ {
		p.pdu(pdu.SubmitSMID, seq, 5, hello...)
	}
	seeds = append(seeds, p.op(opBatch, 0))
	// Every other PDU: responses to nothing, an unknown id, a second bind.
	seeds = append(seeds, bound(0, endShutdownSilent).
		pdu(pdu.DeliverSMRespID, 7, 0).pdu(pdu.GenericNackID, 8, 0).pdu(0x000000AA, 9, 0).pdu(0x800000AA, 10, 0).
		pdu(trx, 11, 0).pdu(pdu.BindReceiverID, 12, 0).pdu(pdu.QuerySMID, 13, 0).pdu(pdu.CancelSMID, 14, 0).
		pdu(pdu.ReplaceSMID, 15, 3, 'a', 'b', 'c').pdu(pdu.DataSMID, 16, 2, 'h', 'i').pdu(pdu.SubmitMultiID, 17, 0x12, 'x', 'y').
		pdu(pdu.DeliverSMID, 18, 0).pdu(pdu.OutbindID, 19, 0).pdu(pdu.AlertNotificationID, 20, 0).
		pdu(pdu.SubmitSMRespID, 21, 0).pdu(pdu.EnquireLinkRespID, 22, 0).pdu(pdu.UnbindRespID, 23, 0))
	// Requests before bind, refused binds, a panicking Authenticate.
	seeds = append(seeds, newServerProg(0, endClose).
		pdu(pdu.SubmitSMID, 1, 0).pdu(pdu.EnquireLinkID, 2, 0).pdu(pdu.UnbindID, 3, 0).
		pdu(trx, 4, 4).pdu(trx, 5, 3).pdu(pdu.BindTransmitterID, 6, 2).pdu(pdu.BindReceiverID, 7, 2).pdu(pdu.SubmitSMID, 8, 0))
	// A huge command_length, and one below 16.
	seeds = append(seeds, bound(0, endCloseThenShutdown).pdu(pdu.SubmitSMID, 2, 0).header(0x7FFFFFFF, uint32(pdu.SubmitSMID), 3))
	seeds = append(seeds, bound(optMaxLen512, endShutdownAnswered).header(8, uint32(pdu.EnquireLinkID), 3))
	// Raw bodies: a truncated bind, a submit_sm cut short, a partial PDU.
	seeds = append(seeds, newServerProg(0, endCloseThenShutdown).
		raw(uint32(trx), 1, []byte("abcd")).pdu(trx, 2, 0).
		raw(uint32(pdu.SubmitSMID), 3, []byte{0, 1, 1, '1', 0}).
		op(opTruncated, 0, 1, 4, 0, 20).op(opGarbage, 0, 3, 1, 2, 3))
	// Pushes to a receiver: answered, nacked, answered late; timers run.
	seeds = append(seeds, newServerProg(optWindow2|optShortTimers, endShutdownAnswered).
		pdu(pdu.BindReceiverID, 1, 0).op(opPush, 0).op(opPush, 4).op(opPush, 0).op(opSettle, 0).
		op(opAnswer, 0, 0).op(opAnswer, 2, 1).op(opSleep, 3).op(opAnswer, 4, 0).op(opSleep, 6).op(opAnswer, 0, 0))
	// The rate-limited account and the inbound window.
	p = newServerProg(optInbound2, endCloseThenShutdown).pdu(trx, 1, 1).op(opBatch, 0)
	for seq := byte(2); seq < 8; seq++ {
		p.pdu(pdu.SubmitSMID, seq*8+3, 0)
	}
	seeds = append(seeds, p.op(opBatch, 0))
	// Shutdown while requests arrive; outbind.
	seeds = append(seeds, bound(0, endShutdownAnswered).op(opShutdown, 4).pdu(pdu.SubmitSMID, 2, 0).op(opSleep, 2).pdu(pdu.SubmitSMID, 3, 0))
	seeds = append(seeds, newServerProg(optOutbind, endShutdownAnswered).pdu(trx, 1, 0).pdu(pdu.SubmitSMID, 2, 0))
	// Idle: enquire_link from the server, inactivity, the bind timeout.
	seeds = append(seeds, bound(optShortTimers, endCloseThenShutdown).op(opSleep, 8))
	seeds = append(seeds, newServerProg(optShortTimers, endCloseThenShutdown).op(opSleep, 8).pdu(trx, 1, 0))
	out := make([][]byte, len(seeds))
	for i, s := range seeds {
		out[i] = s.b
	}
	return out
}
