package server

import "github.com/esmsafrica/smpp/pdu"

// register adds c to the bound connections of systemID.
func (s *Server) register(c *Conn, systemID string, acct *Account) pdu.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || c.closed {
		return pdu.ESME_RBINDFAIL
	}
	if s.systems == nil {
		s.systems = make(map[string]*systemState)
	}
	st := s.systems[systemID]
	if st == nil {
		st = &systemState{id: systemID}
	}
	if acct != nil && acct.MaxBinds > 0 && len(st.conns) >= acct.MaxBinds {
		return pdu.ESME_RALYBND
	}
	s.systems[systemID] = st
	st.limit(acct)
	st.conns = append(st.conns, c)
	c.sys = st
	s.stats.bound.Add(1)
	s.releaseUnbound(c)
	return pdu.ESME_ROK
}

// unregister removes c from its system_id, once its session has ended.
func (s *Server) unregister(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.closed = true
	st := c.sys
	if st == nil {
		return
	}
	for i, x := range st.conns {
		if x == c {
			st.conns = append(st.conns[:i:i], st.conns[i+1:]...)
			s.stats.bound.Add(-1)
			break
		}
	}
	if len(st.conns) == 0 && s.systems[st.id] == st {
		delete(s.systems, st.id)
	}
}
