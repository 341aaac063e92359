package server

import (
	"net"
	"net/netip"
	"time"
)

// refusedUnbound logs connections refused by the unbound limits, at most
// once every refusedLogEvery, with the number refused since the last log.
func (s *Server) refusedUnbound(remote net.Addr, err error) {
	s.stats.rejectedUnbound.Add(1)
	now := time.Now().UnixNano()
	last := s.refusedLogAt.Load()
	if last != 0 && now-last < int64(refusedLogEvery) || !s.refusedLogAt.CompareAndSwap(last, now) {
		return
	}
	n := s.stats.rejectedUnbound.Load()
	since := n - s.refusedLogN.Swap(n)
	s.logError("smpp: refusing connections that have not bound", "err", err, "refused", since,
		"unbound", s.stats.unbound.Load(), "last_remote", remote.String())
}

// refusedLogEvery is the shortest time between two logs of refused connections.
const refusedLogEvery = 10 * time.Second

// addrKey returns what MaxUnboundPerAddr counts the connections of a remote
// address under: its IP address, or for IPv6 its /64 prefix. Addresses that
// are not IP (a pipe) share the zero Addr.
func addrKey(a net.Addr) netip.Addr {
	var ip netip.Addr
	switch a := a.(type) {
	case nil:
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
	default:
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			ip = ap.Addr()
		}
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			ip = p.Addr()
		}
	}
	return ip
}

func (s *Server) maxUnbound() (total, perAddr int) {
	total, perAddr = s.MaxUnboundConns, s.MaxUnboundPerAddr
	if total == 0 {
		total = DefaultMaxUnboundConns
	}
	if perAddr == 0 {
		perAddr = DefaultMaxUnboundPerAddr
	}
	return total, perAddr
}

// track registers a new connection, counted against the unbound limits if
// unbound is set, or says why it is refused.
func (s *Server) track(c *Conn, unbound bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return ErrServerClosed
	}
	if s.MaxConns > 0 && len(s.conns) >= s.MaxConns {
		return ErrMaxConns
	}
	if unbound {
		total, perAddr := s.maxUnbound()
		if perAddr > 0 && s.unbound[c.addr] >= perAddr {
			return ErrMaxUnboundPerAddr
		}
		if total > 0 && s.stats.unbound.Load() >= int64(total) {
			return ErrMaxUnboundConns
		}
		if s.unbound == nil {
			s.unbound = make(map[netip.Addr]int)
		}
		s.unbound[c.addr]++
		s.stats.unbound.Add(1)
		c.unbound = true
	}
	if s.conns == nil {
		s.conns = make(map[*Conn]struct{})
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.stats.open.Add(1)
	return nil
}

// releaseUnbound stops counting c against the unbound limits: it has bound,
// or closed. s.mu is held.
func (s *Server) releaseUnbound(c *Conn) {
	if !c.unbound {
		return
	}
	c.unbound = false
	s.stats.unbound.Add(-1)
	if n := s.unbound[c.addr] - 1; n > 0 {
		s.unbound[c.addr] = n
	} else {
		delete(s.unbound, c.addr)
	}
}

func (s *Server) untrack(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.releaseUnbound(c)
	s.mu.Unlock()
	s.stats.open.Add(-1)
	s.wg.Done()
}
