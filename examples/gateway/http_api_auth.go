package main

import (
	"context"
	"crypto/sha256"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
)

// HTTP API authentication: an API key (Authorization: Bearer) is looked up
// by its SHA-256 (the configuration holds only that: keys are long random
// strings, which a fast hash protects as well as a slow one); HTTP Basic
// is the account's system_id and password, checked with bcrypt as a bind
// is, then remembered for basicCacheTTL by the SHA-256 of what was sent, so
// that a client sending a thousand requests a second does not cost a
// thousand bcrypt comparisons. Failures count in the gateway's bindGuard,
// as failed binds do, and a system_id and address it blocks are refused
// (401) before any comparison. The account's allow_ips apply after the
// credentials were found right (403): a wrong address learns nothing of
// them.

// basicCacheTTL is how long a Basic password found right is remembered.
const basicCacheTTL = time.Minute

// basicCache remembers the Basic credentials found right.
type basicCache struct {
	mu sync.Mutex
	m  map[[32]byte]basicEntry
}

type basicEntry struct {
	hash    []byte // the account's bcrypt hash it was checked against
	expires time.Time
}

func basicKey(user, password string) [32]byte {
	return sha256.Sum256([]byte(user + "\x00" + password))
}

// ok reports whether user/password was found right against hash lately.
func (c *basicCache) ok(k [32]byte, hash []byte, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.m[k]
	return found && now.Before(e.expires) && string(e.hash) == string(hash)
}

func (c *basicCache) put(k [32]byte, hash []byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[[32]byte]basicEntry{} // bounded: start again
	}
	c.m[k] = basicEntry{hash: hash, expires: now.Add(basicCacheTTL)}
}

var errUnauthenticated = httpapi.Errorf(401, "unauthenticated", "", "",
	"wrong credentials: give the account's system_id and password (HTTP Basic) or one of its API keys (Authorization: Bearer KEY)")

// Authenticate implements httpapi.Backend.
func (b *httpBackend) Authenticate(_ context.Context, c httpapi.Credentials) (string, error) {
	gw := b.gw
	as := gw.accounts.Load()
	addr := &net.TCPAddr{IP: net.IP(c.Remote.AsSlice())}
	name := c.User
	if c.APIKey != "" {
		name = "(api key)"
	}
	if why := gw.guard.blocked(name, addr); why != "" {
		gw.log.Info("http api: refused", "system_id", name, "remote", c.Remote.String(), "reason", why)
		return "", errUnauthenticated
	}
	var a *account
	if c.APIKey != "" {
		a = as.byKey[sha256.Sum256([]byte(c.APIKey))]
	} else if a = as.byID[c.User]; a == nil || a.hash == nil {
		as.passwordMatches(as.dummy, c.Password) // for its time only
		a = nil
	} else if k, now := basicKey(c.User, c.Password), time.Now(); !b.basic.ok(k, a.hash, now) {
		if !as.passwordMatches(a.hash, c.Password) {
			a = nil
		} else {
			b.basic.put(k, a.hash, now)
		}
	}
	if a == nil {
		gw.guard.failed(name, addr)
		gw.log.Info("http api: wrong credentials", "system_id", name, "remote", c.Remote.String())
		return "", errUnauthenticated
	}
	if !a.allowsAddr(c.Remote) {
		gw.log.Info("http api: address not in allow_ips", "system_id", a.cfg.SystemID, "remote", c.Remote.String())
		return "", httpapi.Errorf(403, "address_not_allowed", "", "", "this account does not accept requests from your address (its allow_ips)")
	}
	return a.cfg.SystemID, nil
}

// allowsAddr is allows for an address without a port.
func (a *account) allowsAddr(ip netip.Addr) bool {
	return a.allows(&net.TCPAddr{IP: net.IP(ip.AsSlice())})
}
