// Bind handling: an SMSC-role session answers the ESME's bind on the read
// loop (the bind timer closes it when none comes); an ESME-role session
// becomes bound when its bind is answered.

package session

import (
	"fmt"

	"github.com/esmsafrica/smpp/pdu"
)

// bindExpired closes an SMSC-role connection that has not bound within the
// bind timeout.
func (s *Session) bindExpired() {
	if st := s.State(); st == Open || st == Outbound {
		s.cfg.Logger.Info("smpp: closing connection that did not bind in time", "remote", s.RemoteAddr().String(), "timeout", s.cfg.BindTimeout)
		s.closeWith(fmt.Errorf("smpp: no bind within %s", s.cfg.BindTimeout))
	}
}

// setBound marks the session bound in the state a bind of this id leads to,
// with the given system_id.
func (s *Session) setBound(bindID pdu.CommandID, systemID string) {
	s.systemID.Store(systemID)
	s.setState(BoundState(bindID))
}

func (s *Session) handleBind(h pdu.Header, b *pdu.Bind) {
	resp, status := (*pdu.BindResp)(nil), pdu.ESME_ROK
	if s.cfg.OnBind != nil {
		resp, status = s.safeBind(b)
	}
	if resp == nil {
		resp = &pdu.BindResp{}
	}
	resp.ID = h.ID.Response()
	if status != pdu.ESME_ROK {
		// Header-only, unless the hook asked for the body (BodyOnError).
		if err := s.writePDU(h.Sequence, status, resp); err != nil && err != ErrClosed {
			s.writeHeaderOnly(resp.ID, status, h.Sequence) // the body did not encode
		}
		return
	}
	// The bind_resp is queued and the session becomes bound under the
	// output lock: a deliver_sm sent by whoever sees the bound state
	// follows the bind_resp on the wire (before it, the ESME would refuse
	// it), and the ESME cannot read the bind_resp before the session is
	// bound (the server's Deliver would not yet pick it).
	to := BoundState(h.ID)
	var from State
	err := s.writePDUThen(h.Sequence, pdu.ESME_ROK, resp, func() {
		s.ifVersion.Store(uint32(b.InterfaceVersion))
		s.systemID.Store(b.SystemID)
		from = State(s.state.Swap(uint32(to)))
	})
	switch {
	case err == nil:
		s.stateChanged(from, to)
	case err != ErrClosed:
		s.writeHeaderOnly(resp.ID, pdu.ESME_RSYSERR, h.Sequence)
	}
}

func (s *Session) safeBind(b *pdu.Bind) (resp *pdu.BindResp, status pdu.Status) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logger.Error("smpp: bind hook panicked", "panic", r)
			resp, status = nil, pdu.ESME_RBINDFAIL
		}
	}()
	return s.cfg.OnBind(s.ctx, s, b)
}
