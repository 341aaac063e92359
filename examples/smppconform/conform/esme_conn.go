package conform

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
)

// Msg is one PDU the ESME sent, as read by the tool.
type Msg struct {
	pdu.Header
	// PDU is the body decoded strictly; nil when the command_id is unknown
	// or the body did not decode (then Err says why).
	PDU pdu.PDU
	// Err is the strict decoding error, if any.
	Err error
	// Raw is the whole PDU as received (a copy).
	Raw []byte
	// At is when it was read.
	At time.Time
}

// ESMEConn is the tool's raw view of one session with the ESME under test:
// it reads the ESME's PDUs with timeouts and sends PDUs with the sequence
// numbers and bytes a case chooses. It answers nothing by itself except in
// Await.
type ESMEConn struct {
	t    *T
	conn net.Conn
	r    *codec.Reader
	// First is the first PDU the ESME sent (normally its bind).
	First Msg
	// Requests are the headers of every request the ESME sent, in order.
	Requests []pdu.Header

	wmu  sync.Mutex
	seq  uint32
	msgs int
}

func newESMEConn(t *T, c net.Conn) *ESMEConn {
	context.AfterFunc(t.Context(), func() { c.Close() })
	return &ESMEConn{t: t, conn: c, r: codec.NewReader(c, 0)}
}

// errESMEClosed is returned by Next when the ESME closed the connection.
var errESMEClosed = errors.New("the ESME closed the connection")

// errESMETimeout is returned by Next when nothing came in time.
var errESMETimeout = errors.New("nothing received in time")

// Next reads the ESME's next PDU, waiting at most d. It returns errESMEClosed
// when the ESME closed the connection and errESMETimeout when d passed.
func (e *ESMEConn) Next(d time.Duration) (Msg, error) {
	if dl, ok := e.t.Context().Deadline(); ok && time.Until(dl) < d {
		d = time.Until(dl)
	}
	e.conn.SetReadDeadline(time.Now().Add(d))
	f, err := e.r.Read()
	if err != nil {
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return Msg{}, errESMETimeout
		case errors.Is(err, codec.ErrLength):
			return Msg{}, fmt.Errorf("the ESME sent a PDU with a bad command_length: %w", err)
		}
		return Msg{}, fmt.Errorf("%w (%v)", errESMEClosed, err)
	}
	m := Msg{Header: f.Header, Raw: append([]byte(nil), f.Bytes()...), At: time.Now()}
	if p := pdu.New(f.ID); p != nil {
		if err := p.UnmarshalBinary(m.Raw[pdu.HeaderLen:]); err != nil {
			m.Err = err
		} else {
			m.PDU = p
		}
	}
	if !f.ID.IsResponse() {
		e.Requests = append(e.Requests, f.Header)
	}
	e.msgs++
	e.t.Logf("esme> %v seq=%d status=%v len=%d", f.ID, f.Sequence, f.Status, f.Length)
	return m, nil
}

// NextSeq returns the tool's next sequence number (1, 2, ...).
func (e *ESMEConn) NextSeq() uint32 {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	e.seq = pdu.NextSequence(e.seq)
	return e.seq
}

// Send writes one PDU with the given sequence number and status.
func (e *ESMEConn) Send(seq uint32, st pdu.Status, p pdu.PDU) error {
	b, err := pdu.AppendPDU(nil, seq, st, p)
	if err != nil {
		return fmt.Errorf("encoding %v: %w", p.CommandID(), err)
	}
	e.t.Logf("tool> %v seq=%d status=%v", p.CommandID(), seq, st)
	return e.SendRaw(b)
}

// Request sends a request with the next sequence number and returns it.
func (e *ESMEConn) Request(p pdu.PDU) (uint32, error) {
	seq := e.NextSeq()
	return seq, e.Send(seq, pdu.ESME_ROK, p)
}

// SendRaw writes bytes as they are.
func (e *ESMEConn) SendRaw(b []byte) error {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	e.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := e.conn.Write(b)
	return err
}

// Answer answers an ESME request as a well-behaved SMSC: enquire_link,
// submit_sm, data_sm, submit_multi and unbind with ESME_ROK, any other
// request with generic_nack ESME_RINVCMDID. Responses are not answered.
func (e *ESMEConn) Answer(m Msg) {
	if m.ID.IsResponse() {
		return
	}
	var resp pdu.PDU
	switch m.ID {
	case pdu.EnquireLinkID:
		resp = &pdu.EnquireLinkResp{}
	case pdu.UnbindID:
		resp = &pdu.UnbindResp{}
	case pdu.SubmitSMID:
		resp = &pdu.SubmitSMResp{MessageID: fmt.Sprintf("%08X", m.Sequence)}
	case pdu.DataSMID:
		resp = &pdu.DataSMResp{MessageID: fmt.Sprintf("%08X", m.Sequence)}
	case pdu.SubmitMultiID:
		resp = &pdu.SubmitMultiResp{MessageID: fmt.Sprintf("%08X", m.Sequence)}
	default:
		e.Send(m.Sequence, pdu.ESME_RINVCMDID, &pdu.GenericNack{})
		return
	}
	e.Send(m.Sequence, pdu.ESME_ROK, resp)
}

// Await reads until a PDU satisfies match, answering the others (Answer),
// for at most d. It returns the error of Next when none came.
func (e *ESMEConn) Await(d time.Duration, match func(Msg) bool) (Msg, error) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return Msg{}, errESMETimeout
		}
		m, err := e.Next(left)
		if err != nil {
			return Msg{}, err
		}
		if match(m) {
			return m, nil
		}
		e.Answer(m)
	}
}

// Response waits (answering the ESME's requests meanwhile) for the response
// to the tool's request seq, or a generic_nack with that sequence number.
func (e *ESMEConn) Response(seq uint32, d time.Duration) (Msg, error) {
	return e.Await(d, func(m Msg) bool { return m.ID.IsResponse() && m.Sequence == seq })
}

// Alive checks that the session still works: an enquire_link is answered
// with enquire_link_resp within the run's timeout.
func (e *ESMEConn) Alive() error {
	seq, err := e.Request(&pdu.EnquireLink{})
	if err != nil {
		return err
	}
	m, err := e.Response(seq, esmeTimeout(e.t))
	if err != nil {
		return fmt.Errorf("no answer to an enquire_link: %w", err)
	}
	if m.ID != pdu.EnquireLinkRespID {
		return fmt.Errorf("enquire_link answered with %v %v", m.ID, m.Status)
	}
	return nil
}

// Drop closes the connection without unbinding.
func (e *ESMEConn) Drop() { e.conn.Close() }

// Close ends the session as an SMSC that shuts down: unbind, a short wait
// for unbind_resp (answering the ESME meanwhile), then the connection is
// closed.
func (e *ESMEConn) Close() {
	if seq, err := e.Request(&pdu.Unbind{}); err == nil {
		e.Response(seq, time.Second)
	}
	e.conn.Close()
}
