// The write loop: the only goroutine that writes to the connection. Senders
// and handlers append whole PDUs to one buffer under the output lock and
// wake it; it takes everything queued and writes it in one call, holding no
// lock while it writes.

package session

import (
	"runtime"

	"github.com/esmsafrica/smpp/pdu"
)

// startWriter starts the write loop, once, when the first PDU is queued.
// s.mu is held and s.closed is false.
func (s *Session) startWriter() {
	if !s.writing {
		s.writing = true
		s.loops.Add(1)
		go s.writeLoop()
	}
}

// wake tells the writer there is something to write. While the read loop
// is working through PDUs already buffered (a pipelined burst), the wake is
// deferred to the end of the burst, so that the answers leave in one write.
func (s *Session) wake() {
	s.kickPending.Store(true)
	if s.batching.Load() {
		return
	}
	if s.kickPending.Swap(false) {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

func (s *Session) observeOut(h pdu.Header) {
	if f := s.cfg.Observer.PDUOut; f != nil {
		f(s, h)
	}
}

// writeHeaderOnly queues a header-only PDU (generic_nack or an error response).
func (s *Session) writeHeaderOnly(id pdu.CommandID, status pdu.Status, seq uint32) error {
	h := pdu.Header{Length: pdu.HeaderLen, ID: id, Status: status, Sequence: seq}
	s.observeOut(h)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.out = h.AppendBinary(s.out)
	s.startWriter()
	s.mu.Unlock()
	s.wake()
	return nil
}

// writePDU queues a whole PDU.
func (s *Session) writePDU(seq uint32, status pdu.Status, p pdu.PDU) error {
	return s.writePDUThen(seq, status, p, nil)
}

// writePDUThen is writePDU that also runs queued, when not nil, under the
// output lock once p is queued: nothing else is queued in between, and the
// writer sends nothing before queued has returned.
func (s *Session) writePDUThen(seq uint32, status pdu.Status, p pdu.PDU, queued func()) error {
	if s.cfg.Observer.PDUOut != nil {
		s.observeOut(pdu.Header{ID: p.CommandID(), Status: status, Sequence: seq})
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	var err error
	s.out, err = pdu.AppendPDU(s.out, seq, status, p)
	if err == nil {
		s.startWriter()
		if queued != nil {
			queued()
		}
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.wake()
	return nil
}

func (s *Session) writeLoop() {
	defer s.loops.Done()
	for {
		select {
		case <-s.kick:
		case <-s.ctx.Done():
			// Flush what is queued (an unbind_resp, a generic_nack) before leaving.
			// After closeWith the connection is already closed and this fails at
			// once; after closeFlushed it is closed here, once flushed.
			s.flush()
			s.conn.Close()
			return
		}
		// Let the handlers that are ready run first, so that their responses
		// leave in this write rather than one write each.
		runtime.Gosched()
		// Cleared before the buffer is taken: a request queued after this
		// sets it again and wakes the writer once more.
		s.writeDue.Store(false)
		if err := s.flush(); err != nil {
			s.closeWith(err)
			return
		}
	}
}

// flush writes everything queued in one call.
func (s *Session) flush() error {
	s.mu.Lock()
	if len(s.out) == 0 {
		s.mu.Unlock()
		return nil
	}
	buf := s.out
	s.out = s.spare[:0]
	s.gen++
	s.mu.Unlock()

	_, err := s.conn.Write(buf)

	s.mu.Lock()
	if cap(buf) <= 1<<20 {
		s.spare = buf[:0]
	} else {
		s.spare = nil
	}
	s.mu.Unlock()
	return err
}
