package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// account is a loaded AccountConfig: the password hashed, the allow-list parsed.
type account struct {
	cfg   AccountConfig
	hash  []byte
	modes server.BindMode
	nets  []netip.Prefix
}

// accounts is the registry, replaced whole on reload.
type accounts struct {
	byID map[string]*account
	byCN map[string]*account
}

func loadAccounts(list []AccountConfig) (*accounts, error) {
	as := &accounts{byID: map[string]*account{}, byCN: map[string]*account{}}
	for _, c := range list {
		a := &account{cfg: c}
		switch {
		case c.PasswordHash != "":
			a.hash = []byte(c.PasswordHash)
			if _, err := bcrypt.Cost(a.hash); err != nil {
				return nil, fmt.Errorf("account %s: password_hash is not a bcrypt hash: %w", c.SystemID, err)
			}
		case c.Password != "":
			h, err := bcrypt.GenerateFromPassword([]byte(c.Password), bcrypt.MinCost)
			if err != nil {
				return nil, err
			}
			a.hash = h
		}
		for _, m := range c.BindModes {
			switch m {
			case "trx":
				a.modes |= server.ModeTransceiver
			case "tx":
				a.modes |= server.ModeTransmitter
			case "rx":
				a.modes |= server.ModeReceiver
			}
		}
		if a.modes == 0 {
			a.modes = server.AllModes
		}
		for _, s := range c.AllowIPs {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				addr, err2 := netip.ParseAddr(s)
				if err2 != nil {
					return nil, fmt.Errorf("account %s: allow_ips entry %q is neither an address nor a CIDR", c.SystemID, s)
				}
				p = netip.PrefixFrom(addr, addr.BitLen())
			}
			a.nets = append(a.nets, p.Masked())
		}
		as.byID[c.SystemID] = a
		if c.ClientCertCN != "" {
			as.byCN[c.ClientCertCN] = a
		}
	}
	return as, nil
}

func (a *account) allows(addr net.Addr) bool {
	if len(a.nets) == 0 {
		return true
	}
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, n := range a.nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// bindGuard limits failed binds per remote address, so passwords cannot be
// guessed quickly.
type bindGuard struct {
	mu      sync.Mutex
	perAddr map[string]*rate.Limiter
	limit   rate.Limit
	burst   int
	refused atomic.Int64
}

func newBindGuard(c RateConfig) *bindGuard {
	per := c.PerMinute
	if per <= 0 {
		per = 20
	}
	b := c.Burst
	if b <= 0 {
		b = 10
	}
	return &bindGuard{perAddr: map[string]*rate.Limiter{}, limit: rate.Limit(per / 60), burst: b}
}

func hostOf(addr net.Addr) string {
	h, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return h
}

// blocked reports whether addr has used up its failed binds.
func (g *bindGuard) blocked(addr net.Addr) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.perAddr[hostOf(addr)]
	return l != nil && l.Tokens() < 1
}

// failed records a failed bind from addr.
func (g *bindGuard) failed(addr net.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	h := hostOf(addr)
	l := g.perAddr[h]
	if l == nil {
		if len(g.perAddr) > 100000 {
			g.perAddr = map[string]*rate.Limiter{}
		}
		l = rate.NewLimiter(g.limit, g.burst)
		g.perAddr[h] = l
	}
	l.Allow()
}

// authenticate is the server's bind hook.
func (gw *Gateway) authenticate(ctx context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
	st := gw.checkBind(r)
	gw.metrics.binds.WithLabelValues(r.Bind.SystemID, modeName(r.Mode), st.String()).Inc()
	if st != pdu.ESME_ROK {
		gw.guard.failed(r.RemoteAddr)
		gw.log.Info("bind refused", "system_id", r.Bind.SystemID, "remote", r.RemoteAddr.String(), "status", st.String())
		return nil, st
	}
	a := gw.accounts.Load().byID[r.Bind.SystemID]
	if a == nil {
		a = gw.certAccount(r)
	}
	gw.log.Info("bound", "system_id", a.cfg.SystemID, "mode", modeName(r.Mode), "remote", r.RemoteAddr.String(), "interface_version", fmt.Sprintf("0x%02x", r.Bind.InterfaceVersion))
	gw.kickDeliveries(a.cfg.SystemID)
	return &server.Account{Rate: a.cfg.Rate, Burst: a.cfg.Burst, MaxBinds: a.cfg.MaxBinds, Modes: a.modes, Value: a}, pdu.ESME_ROK
}

func (gw *Gateway) certAccount(r *server.BindRequest) *account {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		return nil
	}
	cn := r.TLS.VerifiedChains[0][0].Subject.CommonName
	a := gw.accounts.Load().byCN[cn]
	if a == nil || (r.Bind.SystemID != "" && r.Bind.SystemID != a.cfg.SystemID) {
		return nil
	}
	return a
}

func (gw *Gateway) checkBind(r *server.BindRequest) pdu.Status {
	if gw.guard.blocked(r.RemoteAddr) {
		gw.guard.refused.Add(1)
		return pdu.ESME_RBINDFAIL
	}
	as := gw.accounts.Load()
	a := as.byID[r.Bind.SystemID]
	if a == nil {
		if ca := gw.certAccount(r); ca != nil {
			a = ca
		} else {
			return pdu.ESME_RINVSYSID
		}
	} else if a.cfg.ClientCertCN != "" && gw.certAccount(r) == a {
		// Authenticated by its client certificate.
	} else if a.hash == nil || bcrypt.CompareHashAndPassword(a.hash, []byte(r.Bind.Password)) != nil {
		return pdu.ESME_RINVPASWD
	}
	if !a.allows(r.RemoteAddr) {
		return pdu.ESME_RBINDFAIL
	}
	if a.modes&r.Mode == 0 {
		return pdu.ESME_RBINDFAIL
	}
	return pdu.ESME_ROK
}

func modeName(m server.BindMode) string {
	switch m {
	case server.ModeTransceiver:
		return "trx"
	case server.ModeTransmitter:
		return "tx"
	case server.ModeReceiver:
		return "rx"
	}
	return "?"
}
