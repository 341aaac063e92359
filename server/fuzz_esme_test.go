package server_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
)

// unboundMaxLen is the longest PDU a server may read before the bind.
const unboundMaxLen = 512

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
