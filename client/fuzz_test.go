package client_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/codec"
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

// The first two octets of a program are options; then come instructions, an
// opcode octet (kind in the low nibble, an argument in the high one) and
// operands. Past its end a program reads zeros.
const (
	coptMode        = 3      // client.Mode
	coptRetry       = 1 << 2 // RetryThrottled
	coptWindow2     = 1 << 3 // Window 2
	coptNoHandler   = 1 << 4 // no delivery Handler
	coptDetect      = 1 << 5 // DetectReceiptText
	coptShortTimers = 1 << 6 // response timeout 2 s, enquire_link every 5 s
	coptInline      = 1 << 7 // InlineHandler and lenient decoding
)

// Second octet: how the program ends (low two bits), and whether the SMSC
// leaves the client's enquire_link unanswered (bit 2).
const (
	cendUnbindAnswered = iota // Close; the SMSC answers the unbind
	cendUnbindSilent          // Close; the SMSC does not answer
	cendBroken                // the SMSC closes every connection, then Close
	cendHurried               // Close with a context that ends at once

	cendMuteEnquireLink = 1 << 2
)

// Instruction kinds.
const (
	copTemplate = iota // a PDU to the client: id index, sequence, variant, operands; arg: status index
	copRaw             // a PDU: id u32, sequence u32, body length u8, body; arg: status index
	copGarbage         // length u8, then that many octets
	copHeader          // a header alone: command_length u32, id u32, sequence u32
	copAnswer          // answer the client's request that is u8 from the last; arg: how
	copSettle          // wait until every goroutine of the bubble is blocked
	copSleep           // advance the fake clock by clientSleeps[arg]
	copRequest         // a client request; arg: which API
	copKill            // the SMSC closes the current connection
	copNextDial        // the next dial: arg 0 fails, 1 bind refused, 2 generic_nack, 3 no answer, 4 closed
	copBatch           // start or end a batch written at once
	copSelect          // the current connection is the one u8 from the newest
)

// Bounds of a program, so that every input runs in well under a second:
// each client request is a goroutine that may wait for the window (thousands
// made an input run for a minute), and every fake second costs the timers'
// ticks (days of sleeps took 12 s).
const (
	maxRequests = 64
	maxSleep    = 30 * time.Minute
)

var smscIDs = []pdu.CommandID{
	pdu.DeliverSMID, pdu.SubmitSMRespID, pdu.EnquireLinkID, pdu.UnbindID,
	pdu.DataSMID, pdu.GenericNackID, pdu.OutbindID, pdu.AlertNotificationID,
	pdu.EnquireLinkRespID, pdu.UnbindRespID, pdu.DataSMRespID, pdu.QuerySMRespID,
	pdu.SubmitSMID, pdu.BindTransceiverID, pdu.BindTransceiverRespID, pdu.DeliverSMRespID,
	pdu.QuerySMID, 0x000000AA, 0x800000AA, 0x00000000,
}

var clientStatuses = []pdu.Status{
	pdu.ESME_ROK, pdu.ESME_RINVCMDID, pdu.ESME_RTHROTTLED, pdu.ESME_RX_T_APPN,
	pdu.ESME_RSYSERR, pdu.ESME_RINVBNDSTS, pdu.ESME_RMSGQFUL, 0xFFFFFFFF,
}

var clientSleeps = []time.Duration{
	time.Millisecond, 100 * time.Millisecond, time.Second, 3 * time.Second,
	5 * time.Second, 10 * time.Second, 31 * time.Second, 61 * time.Second,
	2 * time.Minute, 5 * time.Minute, 0, 0, 0, 0, 0, 0,
}

// Bind answers of the fake SMSC.
const (
	bindOK = iota
	bindFailDial
	bindRefused
	bindNack
	bindSilent
	bindClose
)

// fuzzDeliveryHandler acknowledges in one of six ways, chosen by the first
// octet of source_addr.
func fuzzDeliveryHandler(ctx context.Context, d *client.Delivery) error {
	way := 0
	if d.Source != "" {
		way = int(d.Source[0]) % 6
	}
	switch way {
	case 1:
		return errors.New("fuzz: later")
	case 2:
		return pdu.ESME_RX_P_APPN
	case 3:
		ack := d.Hold()
		go ack(nil)
	case 4:
		panic("fuzz: delivery handler panics")
	case 5:
		ack := d.Hold()
		ack(errors.New("fuzz: later"))
		ack(nil) // ignored
	}
	return nil
}

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

func (r *progReader) seq() uint32 {
	if s := r.u8(); s != 0xFF {
		return uint32(s)
	}
	return r.u32()
}

const receiptText = "id:m1 sub:001 dlvrd:001 submit date:2401010000 done date:2401010000 stat:DELIVRD err:000 text:"

// smscTemplate encodes a PDU of smscIDs[index] from its variant and operands.
func smscTemplate(r *progReader, status pdu.Status) []byte {
	id := smscIDs[int(r.u8())%len(smscIDs)]
	seq := r.seq()
	v := r.u8()
	src := string(rune('0' + v>>5)) // the delivery handler's way
	var p pdu.PDU
	switch id {
	case pdu.DeliverSMID:
		d := &pdu.DeliverSM{SourceAddr: src, DestinationAddr: "1"}
		switch v & 3 {
		case 0: // a receipt, its id in the text or in TLVs
			d.ESMClass, d.ShortMessage = 4, []byte(receiptText)
			if v&4 != 0 {
				d.TLVs.SetReceiptedMessageID("m1")
				d.TLVs.SetMessageState(2)
			}
		case 1: // a short message
			d.ShortMessage = r.bytes(int(v>>2) & 7)
		case 2: // a part of a long message: reference, total, number
			d.ESMClass = 0x40
			d.ShortMessage = append([]byte{5, 0, 3, r.u8(), r.u8() & 3, r.u8() & 3}, "part"...)
		case 3: // receipt text without the receipt esm_class
			d.ShortMessage = []byte(receiptText)
		}
		p = d
	case pdu.DataSMID:
		d := &pdu.DataSM{SourceAddr: src, DestinationAddr: "1"}
		if v&1 != 0 {
			d.ESMClass = 4
			d.TLVs.SetReceiptedMessageID("m1")
			d.TLVs.SetMessageState(2)
		} else {
			d.TLVs.SetMessagePayload(r.bytes(int(v>>1) & 7))
		}
		p = d
	case pdu.SubmitSMRespID:
		p = &pdu.SubmitSMResp{MessageID: "stray"}
	case pdu.DataSMRespID:
		p = &pdu.DataSMResp{MessageID: "stray"}
	case pdu.QuerySMRespID:
		p = &pdu.QuerySMResp{MessageID: "stray", MessageState: 2}
	case pdu.OutbindID:
		p = &pdu.Outbind{SystemID: "SMSC"}
	case pdu.AlertNotificationID:
		p = &pdu.AlertNotification{SourceAddr: "1", ESMEAddr: "2"}
	case pdu.SubmitSMID:
		p = &pdu.SubmitSM{DestinationAddr: "1"}
	case pdu.BindTransceiverID:
		p = &pdu.Bind{ID: id, SystemID: "SMSC"}
	case pdu.BindTransceiverRespID:
		p = &pdu.BindResp{ID: id, SystemID: "SMSC"}
	case pdu.QuerySMID:
		p = &pdu.QuerySM{MessageID: "m1"}
	default:
		p = pdu.New(id)
	}
	if p == nil {
		return pdu.Header{Length: pdu.HeaderLen, ID: id, Status: status, Sequence: seq}.AppendBinary(nil)
	}
	b, err := pdu.AppendPDU(nil, seq, status, p)
	if err != nil {
		panic(err) // a template that does not encode is a bug of this file
	}
	return b
}

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

// clientOp is one request of the program: it must complete exactly once.
type clientOp struct {
	tag   string
	api   byte
	calls atomic.Int32
	mu    sync.Mutex
	id    string // the message_id of the response, if any
	resp  bool   // a response came (non-nil)
	err   error
	wait  func() // waits for a Future, when there is one
}

func (o *clientOp) done(resp pdu.PDU, err error) {
	o.calls.Add(1)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.err = err
	if resp != nil && !isNilPDU(resp) {
		o.resp, o.id = true, messageID(resp)
	}
}

// isNilPDU reports whether p holds a nil pointer (a Future's zero result).
func isNilPDU(p pdu.PDU) bool {
	switch p := p.(type) {
	case *pdu.SubmitSMResp:
		return p == nil
	case *pdu.DataSMResp:
		return p == nil
	case *pdu.QuerySMResp:
		return p == nil
	}
	return false
}

// start makes the request with one of the client's APIs, from a goroutine
// of its own (they block while no bind is up).
func (o *clientOp) start(c *client.Client, ops *sync.WaitGroup) {
	sm := &pdu.SubmitSM{SourceAddr: o.tag, DestinationAddr: "1", ShortMessage: []byte("hi")}
	ops.Go(func() {
		ctx := context.Background()
		switch o.api % 8 {
		case 0:
			c.SubmitAsync(ctx, sm).OnDone(func(r *pdu.SubmitSMResp, err error) { o.done(r, err) })
		case 1:
			f := c.SubmitAsync(ctx, sm)
			<-f.Done()
			o.done(f.Result())
		case 2:
			o.done(c.Submit(ctx, sm))
		case 3:
			f := c.DataSMAsync(ctx, &pdu.DataSM{SourceAddr: o.tag, DestinationAddr: "1"})
			<-f.Done()
			o.done(f.Result())
		case 4:
			f := c.QuerySMAsync(ctx, &pdu.QuerySM{MessageID: "m1", SourceAddr: o.tag})
			<-f.Done()
			o.done(f.Result())
		case 5: // a context that ends before the answer may come
			ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			defer cancel()
			o.done(c.Submit(ctx, sm))
		case 6: // a context cancelled at once
			ctx, cancel := context.WithCancel(ctx)
			cancel()
			o.done(c.Submit(ctx, sm))
		case 7:
			o.done(c.DataSM(ctx, &pdu.DataSM{SourceAddr: o.tag, DestinationAddr: "1"}))
		}
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

// clientProg builds seed programs.
type clientProg struct{ b []byte }

func newClientProg(opts, end byte) *clientProg { return &clientProg{b: []byte{opts, end}} }

func (p *clientProg) op(kind, arg byte, operands ...byte) *clientProg {
	p.b = append(append(p.b, arg<<4|kind), operands...)
	return p
}

// pdu adds a template PDU from the SMSC.
func (p *clientProg) pdu(id pdu.CommandID, seq, variant byte, extra ...byte) *clientProg {
	i := slices.Index(smscIDs, id)
	if i < 0 {
		panic(id)
	}
	return p.op(copTemplate, 0, append([]byte{byte(i), seq, variant}, extra...)...)
}

func (p *clientProg) submits(apis ...byte) *clientProg {
	for _, a := range apis {
		p.op(copRequest, a)
	}
	return p.op(copSettle, 0)
}

func clientSeeds() [][]byte {
	var seeds []*clientProg
	// Requests through every API, answered in every way, first to last.
	p := newClientProg(0, cendUnbindAnswered).submits(0, 1, 2, 3, 4, 5, 6, 7, 0)
	for how := byte(0); how < 9; how++ {
		p.op(copAnswer, how, 8-how)
	}
	seeds = append(seeds, p)
	// Deliveries of every kind and handler way, requests of the SMSC,
	// responses to nothing, while submits are in flight.
	seeds = append(seeds, newClientProg(coptShortTimers, cendUnbindSilent).submits(0, 1, 3).
		pdu(pdu.DeliverSMID, 1, 0x00).pdu(pdu.DeliverSMID, 2, 0x24).pdu(pdu.DeliverSMID, 3, 0x41, 'h', 'i').
		pdu(pdu.DeliverSMID, 4, 0x62, 7, 2, 1).pdu(pdu.DeliverSMID, 5, 0x82, 7, 2, 2).pdu(pdu.DeliverSMID, 6, 0xA3).
		pdu(pdu.DataSMID, 7, 0x01).pdu(pdu.DataSMID, 8, 0x24, 'x', 'y').
		pdu(pdu.EnquireLinkID, 9, 0).pdu(pdu.OutbindID, 10, 0).pdu(pdu.AlertNotificationID, 11, 0).
		pdu(pdu.SubmitSMRespID, 12, 0).pdu(pdu.SubmitSMRespID, 1, 0).pdu(pdu.GenericNackID, 0, 0).
		pdu(pdu.SubmitSMID, 13, 0).pdu(pdu.BindTransceiverID, 14, 0).pdu(0x000000AA, 15, 0).pdu(0x800000AA, 16, 0).
		op(copAnswer, 0, 0).op(copAnswer, 0, 1).op(copAnswer, 0, 2).op(copSleep, 4))
	// The SMSC unbinds, then breaks the connection; the client binds again
	// and sends what was not sent.
	seeds = append(seeds, newClientProg(coptWindow2|coptRetry, cendUnbindAnswered).submits(0, 1, 2, 0).
		op(copAnswer, 1, 0).pdu(pdu.UnbindID, 20, 0).op(copSettle, 0).op(copKill, 0).op(copSleep, 3).
		op(copAnswer, 0, 0).op(copAnswer, 0, 1).op(copSleep, 5))
	// Refused binds and failed dials after a broken connection.
	seeds = append(seeds, newClientProg(0, cendBroken).op(copNextDial, 0).op(copNextDial, 1).op(copNextDial, 2).
		op(copNextDial, 3).op(copNextDial, 4).submits(0, 2).op(copKill, 0).op(copSleep, 8).op(copAnswer, 0, 0))
	// Bad command_lengths while requests are in flight.
	p = newClientProg(coptInline, cendHurried).submits(0, 1)
	p.op(copHeader, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 5, 0, 0, 0, 9)
	seeds = append(seeds, p.op(copSleep, 3).op(copHeader, 0, 0, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 3))
	// A pair of binds; a transmitter; a receiver; timers.
	seeds = append(seeds, newClientProg(3, cendUnbindAnswered).submits(0, 1).op(copSelect, 0, 1).
		pdu(pdu.DeliverSMID, 1, 0).op(copSelect, 0, 0).pdu(pdu.DeliverSMID, 2, 0).op(copAnswer, 0, 0))
	seeds = append(seeds, newClientProg(1|coptShortTimers, cendUnbindSilent|cendMuteEnquireLink).submits(0).
		pdu(pdu.DeliverSMID, 1, 0).op(copSleep, 7))
	seeds = append(seeds, newClientProg(2|coptNoHandler|coptDetect, cendUnbindAnswered).submits(5).
		pdu(pdu.DeliverSMID, 1, 3).pdu(pdu.DeliverSMID, 2, 0).op(copSleep, 2))
	out := make([][]byte, len(seeds))
	for i, s := range seeds {
		out[i] = s.b
	}
	return out
}
