package client_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// Bind answers of the fake SMSC.
const (
	bindOK = iota
	bindFailDial
	bindRefused
	bindNack
	bindSilent
	bindClose
)

// clientWant is a request the client reads from a connection, and how it may
// be answered.
type clientWant struct {
	h        pdu.Header
	resp     pdu.CommandID
	ok       []pdu.Status
	lenErr   bool // the generic_nack of a bad command_length: its sequence may also be 0
	optional bool // it may go unanswered
	answered bool
}

// clientReq is a request the client sent.
type clientReq struct {
	h   pdu.Header
	tag string // its source_addr: which program request it is
}

// fakeSMSC serves the client's connections.
type fakeSMSC struct {
	t        *testing.T
	decode   pdu.DecodeOptions
	muteLink bool // leave the client's enquire_link unanswered

	mu           sync.Mutex
	conns        []*smscConn
	cur          int                     // the current connection, from the newest
	nextBinds    []int                   // how to answer the next binds (default bindOK)
	answers      map[string][]string     // by tag: the message_ids of ESME_ROK answers
	statuses     map[string][]pdu.Status // by tag: the statuses of the refusals
	received     map[string]int          // by tag: the times the SMSC read the request
	answerUnbind bool
	serving      sync.WaitGroup
}

// smscConn is one connection of the fake SMSC.
type smscConn struct {
	s  *fakeSMSC
	nc net.Conn

	wmu     sync.Mutex  // one write (and its framing) at a time
	stream  []byte      // written and not yet framed (guarded by wmu)
	dead    *clientWant // the framing is lost (guarded by s.mu)
	want    []*clientWant
	reqs    []clientReq
	early   []smscAnswer  // answers to requests not read yet
	bind    pdu.CommandID // the bind the client made, once answered ESME_ROK
	unbound bool          // the client sent unbind, or unbind_resp to the SMSC's
	closed  bool          // the connection is closed
	ids     uint32        // message_ids given by answer, to number them
}

func (s *fakeSMSC) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	s.mu.Lock()
	how := bindOK
	if len(s.nextBinds) > 0 {
		how = s.nextBinds[0]
		s.nextBinds = s.nextBinds[1:]
	}
	if how == bindFailDial {
		s.mu.Unlock()
		return nil, errors.New("fuzz: connection refused")
	}
	a, b := net.Pipe()
	sc := &smscConn{s: s, nc: a}
	s.conns = append(s.conns, sc)
	s.mu.Unlock()
	s.serving.Go(func() { sc.serve(how) })
	return b, nil
}

// current returns the current connection: bound, open, the one s.cur from
// the newest such.
func (s *fakeSMSC) current() *smscConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var live []*smscConn
	for _, sc := range s.conns {
		if sc.bind != 0 && !sc.closed {
			live = append(live, sc)
		}
	}
	if len(live) == 0 {
		return nil
	}
	return live[len(live)-1-s.cur%len(live)]
}

// serve answers the bind as told, then reads the client's PDUs.
func (sc *smscConn) serve(how int) {
	s, t := sc.s, sc.s.t
	rd := codec.NewReader(sc.nc, 0)
	defer func() {
		s.mu.Lock()
		sc.closed = true
		s.mu.Unlock()
	}()
	f, err := rd.Read()
	if err != nil {
		return
	}
	if !f.ID.IsBind() {
		t.Errorf("the client's first PDU is %s", f.ID)
	}
	switch how {
	case bindOK:
		s.mu.Lock()
		sc.bind = f.ID
		s.mu.Unlock()
		resp := &pdu.BindResp{ID: f.ID.Response(), SystemID: "SMSC"}
		resp.TLVs.SetScInterfaceVersion(0x34)
		sc.write(resp, f.Sequence, 0)
	case bindRefused:
		sc.write(pdu.New(f.ID.Response()), f.Sequence, pdu.ESME_RBINDFAIL)
	case bindNack:
		sc.write(&pdu.GenericNack{}, f.Sequence, pdu.ESME_RSYSERR)
	case bindClose:
		sc.nc.Close()
	}
	for {
		f, err := rd.Read()
		if err != nil {
			return
		}
		if f.ID.IsResponse() {
			sc.response(f)
		} else {
			sc.request(f)
		}
	}
}

// write frames and writes a PDU, and reports whether the write went through.
func (sc *smscConn) write(p pdu.PDU, seq uint32, status pdu.Status) bool {
	b, err := pdu.AppendPDU(nil, seq, status, p)
	if err != nil {
		panic(err)
	}
	return sc.writeRaw(b)
}

// writeRaw frames b as the client will read it, registers the requests in
// it, and writes it. The client must read it without the fake clock moving.
func (sc *smscConn) writeRaw(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	sc.feed(b)
	start := time.Now()
	_, err := sc.nc.Write(b)
	sc.s.mu.Lock()
	lost := sc.dead != nil // the client stops reading once framing is lost
	sc.s.mu.Unlock()
	if d := time.Since(start); d > 0 && !lost {
		sc.s.t.Errorf("the client stopped reading for %v (write: %v)", d, err)
	}
	return err == nil
}

// feed frames b as the client will read it and registers the requests in
// it, before b is written, so that no answer can come before its request.
func (sc *smscConn) feed(b []byte) {
	s := sc.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := sc.dead; e != nil {
		if e.h.Length >= pdu.HeaderLen && len(sc.stream) < pdu.HeaderLen {
			sc.stream = append(sc.stream, b...)
			if len(sc.stream) >= pdu.HeaderLen {
				e.h.Sequence = binary.BigEndian.Uint32(sc.stream[12:])
				e.optional = false
			}
		}
		return
	}
	sc.stream = append(sc.stream, b...)
	for len(sc.stream) >= 4 {
		n := binary.BigEndian.Uint32(sc.stream)
		if n < pdu.HeaderLen || n > codec.DefaultMaxLen {
			e := &clientWant{resp: pdu.GenericNackID, ok: []pdu.Status{pdu.ESME_RINVCMDLEN}, lenErr: true}
			e.h.Length = n
			if n >= pdu.HeaderLen && len(sc.stream) >= pdu.HeaderLen {
				e.h.Sequence = binary.BigEndian.Uint32(sc.stream[12:])
			} else if n >= pdu.HeaderLen {
				// A reader may wait for the rest of the header to echo
				// its sequence_number.
				e.optional = true
			}
			sc.dead = e
			sc.want = append(sc.want, e)
			return
		}
		if len(sc.stream) < int(n) {
			return
		}
		sc.frame(sc.stream[:n])
		sc.stream = sc.stream[n:]
	}
}

// frame registers a request the client will read, with the answers it may
// get. s.mu is held.
func (sc *smscConn) frame(raw []byte) {
	s := sc.s
	h, _ := pdu.ParseHeader(raw)
	if h.ID.IsResponse() {
		a := smscAnswer{h: h}
		if resp := pdu.New(h.ID); resp != nil && h.ID != pdu.GenericNackID && h.Status == pdu.ESME_ROK &&
			s.decode.Unmarshal(resp, append([]byte(nil), raw[pdu.HeaderLen:]...)) == nil {
			a.decoded, a.messageID = true, messageID(resp)
		}
		// Credit the request it answers; the SMSC may not have read it
		// yet (an answer to a guessed sequence number).
		if tag := sc.tagOf(h.Sequence, h.ID); tag != "" {
			s.credit(tag, a)
		} else {
			sc.early = append(sc.early, a)
		}
		return
	}
	e := &clientWant{h: h, resp: h.ID.Response()}
	switch {
	case !h.ID.Known():
		e.resp, e.ok = pdu.GenericNackID, []pdu.Status{pdu.ESME_RINVCMDID}
	case h.ID == pdu.EnquireLinkID:
		e.ok = []pdu.Status{pdu.ESME_ROK}
	case h.ID == pdu.UnbindID:
		e.ok = []pdu.Status{pdu.ESME_ROK, pdu.ESME_RINVBNDSTS}
	case h.ID == pdu.OutbindID:
		e.resp, e.ok = pdu.GenericNackID, []pdu.Status{pdu.ESME_RINVBNDSTS}
	case h.ID == pdu.AlertNotificationID:
		// Handled without an answer on a receiver, refused on a transmitter.
		e.resp, e.ok, e.optional = pdu.GenericNackID, []pdu.Status{pdu.ESME_RINVBNDSTS}, true
	case h.ID == pdu.DeliverSMID, h.ID == pdu.DataSMID:
		// (ESME_RTHROTTLED beyond the inbound window.)
		e.ok = []pdu.Status{pdu.ESME_ROK, pdu.ESME_RX_T_APPN, pdu.ESME_RX_P_APPN, pdu.ESME_RSYSERR, pdu.ESME_RINVBNDSTS, pdu.ESME_RTHROTTLED}
		if err := s.decode.Unmarshal(pdu.New(h.ID), append([]byte(nil), raw[pdu.HeaderLen:]...)); err != nil {
			e.ok = []pdu.Status{pdu.ESME_RINVBNDSTS, pdu.StatusOf(err)}
		}
	default: // a bind, submit_sm, query_sm...: never from an SMSC
		e.ok = []pdu.Status{pdu.ESME_RINVBNDSTS, pdu.ESME_RALYBND}
	}
	sc.want = append(sc.want, e)
}

// smscAnswer is a response the SMSC wrote.
type smscAnswer struct {
	h         pdu.Header
	decoded   bool   // an ESME_ROK response whose body decodes
	messageID string // its message_id
}

// credit records a for the request tagged tag: the outcomes that request
// may have. s.mu is held.
func (s *fakeSMSC) credit(tag string, a smscAnswer) {
	switch {
	case a.h.Status != pdu.ESME_ROK || a.h.ID == pdu.GenericNackID:
		s.statuses[tag] = append(s.statuses[tag], a.h.Status)
	case a.decoded:
		s.answers[tag] = append(s.answers[tag], a.messageID)
	}
}

// tagOf returns the tag of the client's request that a response with this
// sequence and id answers. s.mu is held.
func (sc *smscConn) tagOf(seq uint32, id pdu.CommandID) string {
	for i := len(sc.reqs) - 1; i >= 0; i-- {
		r := sc.reqs[i]
		if r.h.Sequence == seq && (r.h.ID.Response() == id || id == pdu.GenericNackID) {
			return r.tag
		}
	}
	return ""
}

func messageID(p pdu.PDU) string {
	switch r := p.(type) {
	case *pdu.SubmitSMResp:
		return r.MessageID
	case *pdu.DataSMResp:
		return r.MessageID
	case *pdu.QuerySMResp:
		return r.MessageID
	}
	return ""
}

// response checks the client's answer to one of the SMSC's requests.
func (sc *smscConn) response(f codec.Frame) {
	s, t := sc.s, sc.s.t
	s.mu.Lock()
	defer s.mu.Unlock()
	var found, idMatch *clientWant
	for _, e := range sc.want {
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
		t.Errorf("the client sent %s %s seq %d, which answers no request it read (a second answer, or one to a response)", f.ID, f.Status, f.Sequence)
		return
	}
	found.answered = true
	if f.Status != pdu.ESME_ROK && f.Length != pdu.HeaderLen {
		t.Errorf("%s %s has a body of %d octets", f.ID, f.Status, f.Length-pdu.HeaderLen)
	}
	if f.Status == pdu.ESME_ROK {
		if _, _, err := pdu.Decode(f.Bytes(), pdu.DecodeOptions{}); err != nil {
			t.Errorf("the client sent a %s that does not decode: %v", f.ID, err)
		}
		if f.ID == pdu.UnbindRespID {
			sc.unbound = true
		}
	}
}

// request checks a request of the client and records it.
func (sc *smscConn) request(f codec.Frame) {
	s, t := sc.s, sc.s.t
	s.mu.Lock()
	bind, unbound := sc.bind, sc.unbound
	req := clientReq{h: f.Header}
	switch f.ID {
	case pdu.SubmitSMID, pdu.DataSMID, pdu.QuerySMID:
		p := pdu.New(f.ID)
		if err := p.UnmarshalBinary(append([]byte(nil), f.Body...)); err != nil {
			t.Errorf("the client sent a %s that does not decode: %v", f.ID, err)
		}
		switch p := p.(type) {
		case *pdu.SubmitSM:
			req.tag = p.SourceAddr
		case *pdu.DataSM:
			req.tag = p.SourceAddr
		case *pdu.QuerySM:
			req.tag = p.SourceAddr
		}
		if !session.BoundState(bind).CanTransmit() || unbound {
			t.Errorf("the client sent %s on a connection bound as %s (unbound: %v)", f.ID, bind, unbound)
		}
	case pdu.UnbindID:
		if bind == 0 || unbound {
			t.Errorf("the client sent unbind on a connection bound as %s (unbound: %v)", bind, unbound)
		}
		sc.unbound = true
	case pdu.EnquireLinkID:
	default:
		t.Errorf("the client sent %s", f.ID)
	}
	sc.reqs = append(sc.reqs, req)
	if req.tag != "" {
		s.received[req.tag]++
	}
	sc.early = slices.DeleteFunc(sc.early, func(a smscAnswer) bool {
		if a.h.Sequence != f.Sequence || (a.h.ID != f.ID.Response() && a.h.ID != pdu.GenericNackID) {
			return false
		}
		if req.tag != "" {
			s.credit(req.tag, a)
		}
		return true
	})
	answerUnbind := s.answerUnbind
	s.mu.Unlock()
	// Answered from another goroutine, so that reading goes on: over
	// net.Pipe a write waits for the client to read it, and a client that
	// stopped reading (framing lost) waits for its generic_nack to be read.
	switch {
	case f.ID == pdu.EnquireLinkID && !s.muteLink:
		s.serving.Go(func() { sc.write(&pdu.EnquireLinkResp{}, f.Sequence, 0) })
	case f.ID == pdu.UnbindID && answerUnbind:
		s.serving.Go(func() { sc.write(&pdu.UnbindResp{}, f.Sequence, 0) })
	}
}

// answer answers one of the client's requests on sc, u8 from the last.
func (sc *smscConn) answer(r *progReader, how byte) bool {
	s := sc.s
	back := int(r.u8())
	s.mu.Lock()
	n := len(sc.reqs)
	var req clientReq
	if n > 0 {
		req = sc.reqs[n-1-back%n]
		sc.ids++
	}
	k := sc.ids
	s.mu.Unlock()
	if n == 0 {
		return true
	}
	id, seq := req.h.ID.Response(), req.h.Sequence
	body := func() pdu.PDU {
		mid := fmt.Sprintf("%s-%d", req.tag, k)
		switch id {
		case pdu.SubmitSMRespID:
			return &pdu.SubmitSMResp{MessageID: mid}
		case pdu.DataSMRespID:
			return &pdu.DataSMResp{MessageID: mid}
		case pdu.QuerySMRespID:
			return &pdu.QuerySMResp{MessageID: mid, MessageState: 2}
		}
		return pdu.New(id)
	}
	switch how % 9 {
	case 0:
		return sc.write(body(), seq, 0)
	case 1:
		return sc.write(body(), seq, pdu.ESME_RTHROTTLED)
	case 2:
		return sc.write(body(), seq, pdu.ESME_RINVDSTADR)
	case 3:
		return sc.write(&pdu.GenericNack{}, seq, pdu.ESME_RINVCMDID)
	case 4:
		return sc.write(&pdu.DeliverSMResp{}, seq, 0) // the wrong response
	case 5:
		return sc.write(body(), seq+1, 0) // the wrong sequence
	case 6: // ESME_ROK without a body
		return sc.writeRaw(pdu.Header{Length: pdu.HeaderLen, ID: id, Sequence: seq}.AppendBinary(nil))
	case 7:
		return sc.write(&pdu.GenericNack{}, seq, 0)
	default: // twice
		return sc.write(body(), seq, 0) && sc.write(body(), seq, 0)
	}
}
