package conform

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
)

// The harness of the SMSC role: the tool is the ESME. A case dials the SMSC
// with dial (or bound, which binds too) and talks to it PDU by PDU through an
// esmeConn, so that it can send what no well-behaved client would (a wrong
// command_length, a reused sequence number, a request before the bind) and
// look at every octet that comes back.

// frame is one PDU read from the SMSC, copied out of the reader's buffer.
type frame struct {
	pdu.Header
	Body []byte
}

// decode decodes the frame's body leniently (the cases judge the fields
// themselves).
func (f frame) decode() (pdu.PDU, error) {
	p := pdu.New(f.ID)
	if p == nil {
		return nil, fmt.Errorf("unknown command_id 0x%08x", uint32(f.ID))
	}
	if f.Status != pdu.ESME_ROK && len(f.Body) == 0 {
		return p, nil
	}
	if err := (pdu.DecodeOptions{Lenient: true}).Unmarshal(p, f.Body); err != nil {
		return nil, fmt.Errorf("%v body: %w", f.ID, err)
	}
	return p, nil
}

func (f frame) String() string {
	return fmt.Sprintf("%v seq=%d status=%v len=%d", f.ID, f.Sequence, f.Status, f.Length)
}

// esmeConn is a raw SMPP connection to the SMSC under test.
type esmeConn struct {
	t   *T
	nc  net.Conn
	r   *codec.Reader
	seq uint32
	// held are the requests the SMSC sent while the case waited for
	// something else (deliver_sm, data_sm, unbind), in order.
	held []frame
	// ackDeliveries answers deliver_sm and data_sm with ESME_ROK as they
	// are read (they are held all the same).
	ackDeliveries bool
	// enquireLinks counts the enquire_links the SMSC sent and the harness
	// answered.
	enquireLinks int
}

// errClosed is what reads return once the SMSC has closed the connection.
var errClosed = errors.New("connection closed by the SMSC")

// errNoPDU is what reads return when nothing arrived in time.
var errNoPDU = errors.New("no PDU")

// timeout is the run's wait for one answer.
func (t *T) timeout() time.Duration {
	if d := t.cfg.Timeout; d > 0 {
		return d
	}
	return 5 * time.Second
}

// dialRaw opens a TCP connection to the SMSC, with TLS when the run has it.
func dialRaw(t *T) (net.Conn, error) {
	d := net.Dialer{Timeout: t.timeout()}
	ctx, cancel := context.WithTimeout(t.ctx, t.timeout())
	defer cancel()
	if t.cfg.TLS != nil {
		td := tls.Dialer{NetDialer: &d, Config: t.cfg.TLS}
		return td.DialContext(ctx, "tcp", t.cfg.Addr)
	}
	return d.DialContext(ctx, "tcp", t.cfg.Addr)
}

// dial connects to the SMSC (not bound). It fails the case and returns nil
// when it cannot; the connection is closed when the case's context ends, and
// the caller closes it too.
func dial(t *T) *esmeConn {
	nc, err := dialRaw(t)
	if err != nil {
		t.Fail("dial %s: %v", t.cfg.Addr, err)
		return nil
	}
	c := &esmeConn{t: t, nc: nc, r: codec.NewReader(nc, 0), ackDeliveries: true}
	context.AfterFunc(t.ctx, func() { nc.Close() })
	return c
}

// close closes the connection.
func (c *esmeConn) close() { c.nc.Close() }

// nextSeq returns the next sequence number of the tool's requests.
func (c *esmeConn) nextSeq() uint32 {
	c.seq = pdu.NextSequence(c.seq)
	return c.seq
}

// writeRaw writes bytes as they are.
func (c *esmeConn) writeRaw(b []byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(c.t.timeout()))
	_, err := c.nc.Write(b)
	return err
}

// sendSeq writes p with the sequence number and status given.
func (c *esmeConn) sendSeq(seq uint32, status pdu.Status, p pdu.PDU) error {
	b, err := pdu.AppendPDU(nil, seq, status, p)
	if err != nil {
		return fmt.Errorf("encode %v: %w", p.CommandID(), err)
	}
	return c.writeRaw(b)
}

// send writes the request p with the next sequence number and returns it.
func (c *esmeConn) send(p pdu.PDU) (uint32, error) {
	seq := c.nextSeq()
	return seq, c.sendSeq(seq, pdu.ESME_ROK, p)
}

// readFrame reads the next PDU within d, whatever it is.
func (c *esmeConn) readFrame(d time.Duration) (frame, error) {
	c.nc.SetReadDeadline(time.Now().Add(d))
	f, err := c.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
			return frame{}, errClosed
		}
		return frame{}, err
	}
	return frame{Header: f.Header, Body: append([]byte(nil), f.Body...)}, nil
}

// isReset reports a connection reset or an aborted connection: the SMSC
// closed it with data unread.
func isReset(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && !op.Timeout() {
		var se *os.SyscallError
		return errors.As(err, &se)
	}
	return false
}

// isTimeout reports whether err is a read that timed out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// next reads the next PDU within d. An enquire_link from the SMSC is
// answered and skipped; deliver_sm and data_sm are answered ESME_ROK when
// ackDeliveries is set, and returned.
func (c *esmeConn) next(d time.Duration) (frame, error) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return frame{}, fmt.Errorf("%w within %v", errNoPDU, d)
		}
		f, err := c.readFrame(left)
		if err != nil {
			if isTimeout(err) {
				return frame{}, fmt.Errorf("%w within %v", errNoPDU, d)
			}
			return frame{}, err
		}
		switch f.ID {
		case pdu.EnquireLinkID:
			c.enquireLinks++
			if err := c.sendSeq(f.Sequence, pdu.ESME_ROK, &pdu.EnquireLinkResp{}); err != nil {
				return frame{}, err
			}
			continue
		case pdu.DeliverSMID, pdu.DataSMID:
			if c.ackDeliveries {
				var resp pdu.PDU = &pdu.DeliverSMResp{}
				if f.ID == pdu.DataSMID {
					resp = &pdu.DataSMResp{}
				}
				if err := c.sendSeq(f.Sequence, pdu.ESME_ROK, resp); err != nil {
					return frame{}, err
				}
			}
		}
		return f, nil
	}
}

// expect reads until the response to seq arrives (any command_id: the case
// checks it), holding the SMSC's requests read meanwhile. Responses to other
// sequence numbers are logged and dropped.
func (c *esmeConn) expect(seq uint32) (frame, error) {
	d := c.t.timeout()
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return frame{}, fmt.Errorf("no response to sequence %d within %v: %w", seq, d, errNoPDU)
		}
		f, err := c.next(left)
		if err != nil {
			if errors.Is(err, errClosed) {
				return frame{}, fmt.Errorf("no response to sequence %d: %w", seq, err)
			}
			if errors.Is(err, errNoPDU) {
				return frame{}, fmt.Errorf("no response to sequence %d within %v: %w", seq, d, errNoPDU)
			}
			return frame{}, err
		}
		if !f.ID.IsResponse() {
			c.held = append(c.held, f)
			continue
		}
		if f.Sequence == seq {
			return f, nil
		}
		c.t.Logf("dropped %v (waiting for sequence %d)", f, seq)
	}
}

// call sends p and waits for its response.
func (c *esmeConn) call(p pdu.PDU) (frame, error) {
	seq, err := c.send(p)
	if err != nil {
		return frame{}, err
	}
	return c.expect(seq)
}

// callOK sends p, waits for its response and decodes it; it fails the case
// (and returns nil) unless the response is p's with ESME_ROK.
func (c *esmeConn) callOK(p pdu.PDU) pdu.PDU {
	f, err := c.call(p)
	if err != nil {
		c.t.Fail("%v: %v", p.CommandID(), err)
		return nil
	}
	if f.ID != p.CommandID().Response() || f.Status != pdu.ESME_ROK {
		c.t.Fail("%v answered with %v, want %v ESME_ROK", p.CommandID(), f, p.CommandID().Response())
		return nil
	}
	r, err := f.decode()
	if err != nil {
		c.t.Fail("%v", err)
		return nil
	}
	return r
}

// waitRequest waits up to d for a request of the SMSC with that command_id
// (held ones first) and removes it from the held ones.
func (c *esmeConn) waitRequest(id pdu.CommandID, d time.Duration, match func(frame) bool) (frame, error) {
	deadline := time.Now().Add(d)
	for {
		for i, f := range c.held {
			if f.ID == id && (match == nil || match(f)) {
				c.held = append(c.held[:i], c.held[i+1:]...)
				return f, nil
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return frame{}, fmt.Errorf("no %v within %v", id, d)
		}
		f, err := c.next(left)
		if err != nil {
			if errors.Is(err, errNoPDU) {
				return frame{}, fmt.Errorf("no %v within %v", id, d)
			}
			return frame{}, err
		}
		if f.ID.IsResponse() {
			c.t.Logf("dropped %v (waiting for %v)", f, id)
			continue
		}
		c.held = append(c.held, f)
	}
}

// quiet reads for d and returns what arrived that was not an enquire_link
// (nil when nothing did). A closed connection is returned as the error.
func (c *esmeConn) quiet(d time.Duration) ([]frame, error) {
	var got []frame
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return got, nil
		}
		f, err := c.next(left)
		if err != nil {
			if errors.Is(err, errNoPDU) {
				return got, nil
			}
			return got, err
		}
		got = append(got, f)
	}
}

// waitClosed reports whether the SMSC closes the connection within d,
// answering enquire_link meanwhile; it returns what arrived before.
func (c *esmeConn) waitClosed(d time.Duration) (bool, []frame) {
	got, err := c.quiet(d)
	return errors.Is(err, errClosed), got
}

// bindAs binds the connection with the run's credentials; it fails the case
// and returns false unless the SMSC answers ESME_ROK.
func (c *esmeConn) bindAs(id pdu.CommandID) bool {
	f, err := c.call(c.t.bindPDU(id))
	if err != nil {
		c.t.Fail("%v: %v", id, err)
		return false
	}
	if f.ID != id.Response() || f.Status != pdu.ESME_ROK {
		c.t.Fail("%v answered with %v, want %v ESME_ROK", id, f, id.Response())
		return false
	}
	return true
}

// bindPDU is a bind of that type with the run's credentials.
func (t *T) bindPDU(id pdu.CommandID) *pdu.Bind {
	return &pdu.Bind{ID: id, SystemID: t.cfg.SystemID, Password: t.cfg.Password,
		SystemType: t.cfg.SystemType, InterfaceVersion: 0x34}
}

// bound dials and binds as id; nil (with the case failed) when either fails.
// A bind type the profile says the SMSC does not offer skips the case
// instead.
func bound(t *T, id pdu.CommandID) *esmeConn {
	c := dial(t)
	if c == nil {
		return nil
	}
	if !c.bindAs(id) {
		c.close()
		return nil
	}
	return c
}

// unbindClose unbinds politely (not checked) and closes.
func (c *esmeConn) unbindClose() {
	if seq, err := c.send(&pdu.Unbind{}); err == nil {
		c.nc.SetReadDeadline(time.Now().Add(time.Second))
		for {
			f, err := c.readFrame(time.Second)
			if err != nil || (f.ID == pdu.UnbindRespID && f.Sequence == seq) {
				break
			}
		}
	}
	c.close()
}

// submitPDU is a plain submit_sm from the run's source to its destination.
func (t *T) submitPDU(text string) *pdu.SubmitSM {
	return &pdu.SubmitSM{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr,
		DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: t.cfg.DestAddr, ShortMessage: []byte(text)}
}

// rawPDU builds a PDU from a header and a body given as octets; length 0
// means the real length.
func rawPDU(length uint32, id pdu.CommandID, status pdu.Status, seq uint32, body []byte) []byte {
	if length == 0 {
		length = uint32(pdu.HeaderLen + len(body))
	}
	b := pdu.Header{Length: length, ID: id, Status: status, Sequence: seq}.AppendBinary(nil)
	return append(b, body...)
}

// bodyOf encodes p's body.
func bodyOf(p pdu.PDU) []byte {
	b, err := p.AppendBinary(nil)
	if err != nil {
		panic(err)
	}
	return b
}

// receiptTimeout is the run's wait for a delivery receipt.
func (t *T) receiptTimeout() time.Duration {
	if d := t.cfg.ReceiptTimeout; d > 0 {
		return d
	}
	return 30 * time.Second
}

// isNoPDU reports a wait that timed out.
func isNoPDU(err error) bool { return errors.Is(err, errNoPDU) }
