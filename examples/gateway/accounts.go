package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// Binds are refused with one of two statuses, whatever the reason, so that the
// answer tells someone guessing nothing: which system_ids exist, whether a
// password was right, what an account allows. The log says why.
//
// bindRefused answers an unknown system_id, a wrong password, an address
// outside the account's allow_ips and a bind mode the account does not have.
// ESME_RINVPASWD rather than ESME_RBINDFAIL: an ESME's operator reads it as
// "check the credentials", which is what the first two need, and ESMEs such as
// Kannel stop binding on it (as on ESME_RINVSYSID) instead of knocking again
// every few seconds. bindLocked answers every bind of a system_id from an
// address while its failures are being slowed down (bindGuard): that ends by
// itself, and on ESME_RBINDFAIL Kannel tries again later.
//
// A system_id longer than SMPP 3.4 allows (15 characters and its NUL), which
// the sessions' lenient decoding lets through, is refused ESME_RINVSYSID
// before any account is looked at: it names a malformed field, not an account.
const (
	bindRefused = pdu.ESME_RINVPASWD
	bindLocked  = pdu.ESME_RBINDFAIL
	maxSystemID = 15
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
	// byKey is the accounts by the SHA-256 of their HTTP API keys.
	byKey map[[32]byte]*account
	// dummy is a bcrypt hash of nothing anyone can send, at the cost most
	// accounts' hashes have: a bind refused before its password is compared
	// (an unknown system_id, a blocked address) is compared with it, so that
	// it takes as long as a wrong password.
	dummy []byte
	// compare checks a password against a bcrypt hash; nil is
	// bcrypt.CompareHashAndPassword (tests count the calls).
	compare func(hash, password []byte) error
}

func loadAccounts(list []AccountConfig) (*accounts, error) {
	as := &accounts{byID: map[string]*account{}, byCN: map[string]*account{}, byKey: map[[32]byte]*account{}}
	// Plaintext passwords are hashed at the cost of the configured hashes,
	// so that every account's check takes the same time (MinCost when there
	// are none: the demo account).
	costs := map[int]int{}
	for _, c := range list {
		if c.PasswordHash == "" {
			continue
		}
		n, err := bcrypt.Cost([]byte(c.PasswordHash))
		if err != nil {
			return nil, fmt.Errorf("account %s: password_hash is not a bcrypt hash: %w", c.SystemID, err)
		}
		costs[n]++
	}
	cost := bcrypt.MinCost
	for n, k := range costs {
		if k > costs[cost] || (k == costs[cost] && n > cost) {
			cost = n
		}
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("\x00no password is NUL-led"), cost)
	if err != nil {
		return nil, err
	}
	as.dummy = dummy
	for _, c := range list {
		a := &account{cfg: c}
		switch {
		case c.PasswordHash != "":
			a.hash = []byte(c.PasswordHash)
		case c.Password != "":
			h, err := bcrypt.GenerateFromPassword([]byte(c.Password), cost)
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
		for _, k := range c.APIKeys {
			h, err := apiKeyHash(k)
			if err != nil {
				return nil, fmt.Errorf("account %s: api_keys: %w", c.SystemID, err)
			}
			as.byKey[h] = a
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

// passwordMatches compares password with hash.
func (as *accounts) passwordMatches(hash []byte, password string) bool {
	compare := as.compare
	if compare == nil {
		compare = bcrypt.CompareHashAndPassword
	}
	return compare(hash, []byte(password)) == nil
}

// certAccount is the account whose client_cert_cn is the common name of the
// connection's verified client certificate, if the bind names that account or
// none.
func (as *accounts) certAccount(r *server.BindRequest) *account {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		return nil
	}
	cn := r.TLS.VerifiedChains[0][0].Subject.CommonName
	a := as.byCN[cn]
	if a == nil || (r.Bind.SystemID != "" && r.Bind.SystemID != a.cfg.SystemID) {
		return nil
	}
	return a
}

// check decides a bind: its account and ESME_ROK, or bindRefused or bindLocked
// and the reason, for the log. The lockout comes first; then what the address
// and the bind mode may not do, before the password is looked at, so a
// refused address learns nothing about it. Every refusal but the lockout
// costs one bcrypt comparison, as a wrong password does, so that neither the
// status nor the time tells which system_ids exist. A refusal is counted in
// g.
func (as *accounts) check(g *bindGuard, r *server.BindRequest) (*account, pdu.Status, string) {
	a, st, reason := as.decide(g, r)
	if st != pdu.ESME_ROK && st != bindLocked {
		g.failed(r.Bind.SystemID, r.RemoteAddr)
	}
	return a, st, reason
}

func (as *accounts) decide(g *bindGuard, r *server.BindRequest) (*account, pdu.Status, string) {
	if why := g.blocked(r.Bind.SystemID, r.RemoteAddr); why != "" {
		return nil, bindLocked, why
	}
	if len(r.Bind.SystemID) > maxSystemID {
		// A malformed field, not a credential: say so, whatever the accounts.
		return nil, pdu.ESME_RINVSYSID, "system_id longer than 15 characters"
	}
	a := as.byID[r.Bind.SystemID]
	if a == nil {
		a = as.certAccount(r)
	}
	refuse := func(reason string) (*account, pdu.Status, string) {
		as.passwordMatches(as.dummy, r.Bind.Password) // for its time only: it never matches
		return nil, bindRefused, reason
	}
	switch {
	case a == nil:
		return refuse("unknown system_id")
	case !a.allows(r.RemoteAddr):
		return refuse("address not in allow_ips")
	case a.modes&r.Mode == 0:
		return refuse("bind mode not allowed")
	case a.cfg.ClientCertCN != "" && as.certAccount(r) == a:
		return a, pdu.ESME_ROK, "" // authenticated by its client certificate
	case a.hash == nil:
		return refuse("no password set and no client certificate")
	case !as.passwordMatches(a.hash, r.Bind.Password):
		return nil, bindRefused, "wrong password"
	}
	return a, pdu.ESME_ROK, ""
}

// authenticate is the server's bind hook. A bind accepted takes one of its
// account's binds from the gateway's limits (takeBind; ESME_RALYBND at
// max_binds); the Account given to the server carries no Rate, Burst or
// MaxBinds: the gateway enforces them (limits_wiring.go).
func (gw *Gateway) authenticate(ctx context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
	as := gw.accounts.Load()
	a, st, reason := as.check(gw.guard, r)
	if st == pdu.ESME_ROK {
		st, reason = gw.takeBind(ctx, r, a)
	}
	// The metric is labelled by accounts only: a label per system_id anyone
	// tries would grow without bound.
	label := r.Bind.SystemID
	if a != nil {
		label = a.cfg.SystemID
	} else if as.byID[label] == nil {
		label = "(unknown)"
	}
	gw.metrics.binds.WithLabelValues(label, modeName(r.Mode), st.String()).Inc()
	if st != pdu.ESME_ROK {
		gw.log.Info("bind refused", "system_id", r.Bind.SystemID, "remote", r.RemoteAddr.String(), "status", st.String(), "reason", reason)
		return nil, st
	}
	gw.nameBind(r)
	gw.log.Info("bound", "system_id", a.cfg.SystemID, "mode", modeName(r.Mode), "remote", r.RemoteAddr.String(), "interface_version", fmt.Sprintf("0x%02x", r.Bind.InterfaceVersion))
	gw.kickDeliveries(a.cfg.SystemID)
	return &server.Account{Modes: a.modes, Value: a}, pdu.ESME_ROK
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

// bindGuard slows down password guessing. It counts failed binds per system_id
// and address: the system_id is whatever the bind named, known or not, so that
// being slowed down tells nothing about which ones exist, and one address's
// failures on one account do not keep that address from binding another (many
// ESMEs can share an address behind NAT). A looser limit, spreadFactor times
// the rate and the burst, counts an address's failures across all system_ids,
// so that trying many of them (to find which exist, or one password on each)
// is slowed down too. An address is an IPv4 address or an IPv6 /64, which one
// host usually holds whole.
type bindGuard struct {
	mu      sync.Mutex
	perID   limiters // by system_id + "\x00" + address
	perAddr limiters // by address
	now     func() time.Time
}

const (
	// spreadFactor is how much looser the limit per address is than the
	// limit per system_id and address.
	spreadFactor = 5
	// maxGuardEntries bounds each of the guard's maps.
	maxGuardEntries = 100_000
)

func newBindGuard(c RateConfig) *bindGuard {
	per := c.PerMinute
	if per <= 0 {
		per = 20
	}
	b := c.Burst
	if b <= 0 {
		b = 10
	}
	lim := rate.Limit(per / 60)
	return &bindGuard{
		perID:   limiters{m: map[string]*rate.Limiter{}, limit: lim, burst: b, max: maxGuardEntries},
		perAddr: limiters{m: map[string]*rate.Limiter{}, limit: lim * spreadFactor, burst: b * spreadFactor, max: maxGuardEntries},
		now:     time.Now,
	}
}

// addrKey is the address a failure is counted against.
func addrKey(addr net.Addr) string {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return addr.String()
	}
	ip := ap.Addr().Unmap()
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

// blocked says why binds of systemID from addr are refused for now, or "".
func (g *bindGuard) blocked(systemID string, addr net.Addr) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	a, t := addrKey(addr), g.now()
	switch {
	case g.perID.exhausted(systemID+"\x00"+a, t):
		return "too many failed binds of this system_id from this address"
	case g.perAddr.exhausted(a, t):
		return "too many failed binds from this address"
	}
	return ""
}

// failed counts a failed bind of systemID from addr.
func (g *bindGuard) failed(systemID string, addr net.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a, t := addrKey(addr), g.now()
	g.perID.take(systemID+"\x00"+a, t)
	g.perAddr.take(a, t)
}

// limiters are token buckets of failures by key, at most max of them.
type limiters struct {
	m     map[string]*rate.Limiter
	limit rate.Limit
	burst int
	max   int
}

// exhausted reports whether key has no failure left at t.
func (l *limiters) exhausted(key string, t time.Time) bool {
	b := l.m[key]
	return b != nil && b.TokensAt(t) < 1
}

// take counts a failure of key at t.
func (l *limiters) take(key string, t time.Time) {
	b := l.m[key]
	if b == nil {
		if len(l.m) >= l.max {
			l.shrink(t)
		}
		b = rate.NewLimiter(l.limit, l.burst)
		l.m[key] = b
	}
	b.AllowN(t, 1)
}

// shrink makes room for a tenth of max: it forgets the buckets that are full
// again (they remember nothing), then, if that was not enough, arbitrary
// others. The map is full of live buckets only after failures from max
// addresses within one refill; forgetting some early is the price of a bound.
func (l *limiters) shrink(t time.Time) {
	for k, b := range l.m {
		if b.TokensAt(t) >= float64(l.burst) {
			delete(l.m, k)
		}
	}
	for k := range l.m {
		if len(l.m) < l.max-l.max/10 {
			break
		}
		delete(l.m, k)
	}
}
