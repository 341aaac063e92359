package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// wantRefused is the one answer to every bind whose credentials or address are
// not accepted; wantLocked is the answer while failures are being slowed down.
const (
	wantRefused = pdu.ESME_RINVPASWD
	wantLocked  = pdu.ESME_RBINDFAIL
)

// bindFrom is a bind request for the check, from addr ("10.0.0.1").
func bindFrom(id pdu.CommandID, systemID, password, addr string) *server.BindRequest {
	return &server.BindRequest{
		Bind:       &pdu.Bind{ID: id, SystemID: systemID, Password: password, InterfaceVersion: 0x34},
		Mode:       server.ModeOf(id),
		RemoteAddr: &net.TCPAddr{IP: net.ParseIP(addr), Port: 40000},
	}
}

// TestBindRefusalsAlike runs binds through the gateway's bind hook, in order
// (the lockout steps depend on the ones before them), and checks that a
// refusal tells nothing: an unknown system_id, a wrong password, an address
// outside the allow-list (right password or not) and a bind mode the account
// does not have all get the same status; the lockout is per system_id and
// address, for system_ids that exist or not.
func TestBindRefusalsAlike(t *testing.T) {
	a := inproc(t, func(c *Config) {
		c.FailedBinds = RateConfig{PerMinute: 1, Burst: 3}
		c.Accounts = append(c.Accounts,
			AccountConfig{SystemID: "alpha", Password: "alpha-pw"},
			AccountConfig{SystemID: "beta", Password: "beta-pw"},
			AccountConfig{SystemID: "fenced", Password: "fence-pw", AllowIPs: []string{"10.1.0.0/16"}},
			AccountConfig{SystemID: "rxonly", Password: "rx-pw", BindModes: []string{"rx"}},
		)
	})
	trx, rx := pdu.BindTransceiverID, pdu.BindReceiverID
	steps := []struct {
		name           string
		mode           pdu.CommandID
		id, pw, remote string
		want           pdu.Status
	}{
		{"unknown system_id", trx, "nobody", "alpha-pw", "10.9.0.1", wantRefused},
		{"wrong password", trx, "alpha", "wrong", "10.9.0.2", wantRefused},
		{"blocked address, right password", trx, "fenced", "fence-pw", "10.9.0.3", wantRefused},
		{"blocked address, wrong password", trx, "fenced", "wrong", "10.9.0.4", wantRefused},
		{"allowed address, right password", trx, "fenced", "fence-pw", "10.1.2.3", pdu.ESME_ROK},
		{"mode not allowed, right password", trx, "rxonly", "rx-pw", "10.9.0.5", wantRefused},
		{"mode not allowed, wrong password", trx, "rxonly", "wrong", "10.9.0.6", wantRefused},
		{"mode allowed", rx, "rxonly", "rx-pw", "10.9.0.7", pdu.ESME_ROK},
		// A system_id too long for SMPP is a malformed field, whatever the
		// accounts: it is said so (smppconform smsc.fields.15).
		{"system_id of 16 characters", trx, "alpha" + strings.Repeat("s", 11), "alpha-pw", "10.9.0.8", pdu.ESME_RINVSYSID},

		// Three failures lock alpha out of X (burst 3)...
		{"alpha from X, failure 1", trx, "alpha", "wrong1", "10.8.0.1", wantRefused},
		{"alpha from X, failure 2", trx, "alpha", "wrong2", "10.8.0.1", wantRefused},
		{"alpha from X, failure 3", trx, "alpha", "wrong3", "10.8.0.1", wantRefused},
		{"alpha from X, locked", trx, "alpha", "alpha-pw", "10.8.0.1", wantLocked},
		// ...not beta out of X, nor alpha out of Y.
		{"beta from X", trx, "beta", "beta-pw", "10.8.0.1", pdu.ESME_ROK},
		{"alpha from Y", trx, "alpha", "alpha-pw", "10.8.0.2", pdu.ESME_ROK},
		// An unknown system_id is locked out alike, so the lockout does not
		// tell which ones exist.
		{"ghost from X, failure 1", trx, "ghost", "a", "10.8.0.1", wantRefused},
		{"ghost from X, failure 2", trx, "ghost", "b", "10.8.0.1", wantRefused},
		{"ghost from X, failure 3", trx, "ghost", "c", "10.8.0.1", wantRefused},
		{"ghost from X, locked", trx, "ghost", "d", "10.8.0.1", wantLocked},
	}
	for _, s := range steps {
		_, got := a.gw.authenticate(context.Background(), bindFrom(s.mode, s.id, s.pw, s.remote))
		if got != s.want {
			t.Errorf("%s: %v, want %v", s.name, got, s.want)
		}
	}
}

// TestBindSprayFromOneAddress: failures across many system_ids from one
// address reach a looser limit of their own, and then that address is slowed
// down for every system_id, while another address is not.
func TestBindSprayFromOneAddress(t *testing.T) {
	a := inproc(t, func(c *Config) { c.FailedBinds = RateConfig{PerMinute: 1, Burst: 3} })
	ctx := context.Background()
	n := 0
	for ; n < 1000; n++ {
		_, st := a.gw.authenticate(ctx, bindFrom(pdu.BindTransceiverID, fmt.Sprintf("spray%d", n), "x", "10.7.0.1"))
		if st == wantLocked {
			break
		}
		if st != wantRefused {
			t.Fatalf("failure %d: %v", n, st)
		}
	}
	if n <= 3 || n >= 1000 {
		t.Fatalf("locked after %d failures on different system_ids, want more than the 3 of one system_id and a limit", n)
	}
	if _, st := a.gw.authenticate(ctx, bindFrom(pdu.BindTransceiverID, "demo", "demo1234", "10.7.0.1")); st != wantLocked {
		t.Fatalf("demo from the spraying address: %v, want %v", st, wantLocked)
	}
	if _, st := a.gw.authenticate(ctx, bindFrom(pdu.BindTransceiverID, "demo", "demo1234", "10.7.0.2")); st != pdu.ESME_ROK {
		t.Fatalf("demo from another address: %v", st)
	}
}

// TestBindRefusedAlikeOnTheWire: an ESME sees the same bind_resp status for an
// unknown system_id as for a wrong password.
func TestBindRefusedAlikeOnTheWire(t *testing.T) {
	a := inproc(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	status := func(systemID, password string) pdu.Status {
		t.Helper()
		c, err := client.Dial(ctx, a.PlainAddr, client.Config{SystemID: systemID, Password: password, Logger: quietLogger()})
		if err == nil {
			c.Close(context.Background())
			t.Fatalf("%s/%s bound", systemID, password)
		}
		var st pdu.Status
		if !errors.As(err, &st) {
			t.Fatalf("%s/%s: %v, want a bind_resp status", systemID, password, err)
		}
		return st
	}
	unknown, wrong := status("nobody", "demo1234"), status("demo", "wrong")
	if unknown != wrong {
		t.Fatalf("unknown system_id: %v, wrong password: %v; want the same", unknown, wrong)
	}
}

// TestBindRefusalsCostAlike: every refusal but the lockout costs one bcrypt
// comparison at the cost of the accounts' hashes, as a wrong password does, so
// the time of the answer does not tell an unknown system_id or a refused
// address from a wrong password (counted, not timed). Plaintext passwords are
// hashed at the cost of the configured hashes. Each refusal says in the log
// why.
func TestBindRefusalsCostAlike(t *testing.T) {
	const cost = bcrypt.MinCost + 1
	hash, err := bcrypt.GenerateFromPassword([]byte("hash-pw"), cost)
	if err != nil {
		t.Fatal(err)
	}
	as, err := loadAccounts([]AccountConfig{
		{SystemID: "hashed", PasswordHash: string(hash)},
		{SystemID: "plain", Password: "plain-pw"},
		{SystemID: "fenced", Password: "fence-pw", AllowIPs: []string{"10.1.0.0/16"}},
		{SystemID: "rxonly", Password: "rx-pw", BindModes: []string{"rx"}},
		{SystemID: "certonly", ClientCertCN: "certonly"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var costs []int
	as.compare = func(h, pw []byte) error {
		c, err := bcrypt.Cost(h)
		if err != nil {
			t.Errorf("compared with a hash that is not bcrypt: %v", err)
		}
		costs = append(costs, c)
		return bcrypt.CompareHashAndPassword(h, pw)
	}
	g := newBindGuard(RateConfig{PerMinute: 60, Burst: 100})
	trx := pdu.BindTransceiverID
	reasons := map[string]string{}
	for _, c := range []struct {
		name   string
		id, pw string
		want   pdu.Status
	}{
		{"unknown system_id", "nobody", "hash-pw", wantRefused},
		{"wrong password, configured hash", "hashed", "wrong", wantRefused},
		{"wrong password, plaintext in the config", "plain", "wrong", wantRefused},
		{"address not allowed", "fenced", "fence-pw", wantRefused},
		{"mode not allowed", "rxonly", "rx-pw", wantRefused},
		{"certificate account without a certificate", "certonly", "", wantRefused},
		{"right password, configured hash", "hashed", "hash-pw", pdu.ESME_ROK},
		{"right password, plaintext in the config", "plain", "plain-pw", pdu.ESME_ROK},
	} {
		costs = nil
		_, st, reason := as.check(g, bindFrom(trx, c.id, c.pw, "10.9.0.1"))
		if st != c.want {
			t.Errorf("%s: %v, want %v", c.name, st, c.want)
		}
		if len(costs) != 1 || costs[0] != cost {
			t.Errorf("%s: bcrypt comparisons at costs %v, want one at %d", c.name, costs, cost)
		}
		if st != pdu.ESME_ROK {
			if other, ok := reasons[reason]; reason == "" || ok && !strings.HasPrefix(c.name, "wrong password") {
				t.Errorf("%s: the log's reason %q does not tell it from %q", c.name, reason, other)
			}
			reasons[reason] = c.name
		}
	}
}

// TestBindGuard: a lockout ends by itself as failures are forgotten (the
// clock is the guard's, moved by the test); the maps stay within their bound,
// forgetting first the buckets that have nothing left to remember; an IPv6
// address counts as its /64.
func TestBindGuard(t *testing.T) {
	g := newBindGuard(RateConfig{PerMinute: 60, Burst: 2}) // one failure back per second
	now := time.Unix(1_000_000_000, 0)
	g.now = func() time.Time { return now }
	const max = 100
	g.perID.max, g.perAddr.max = max, max
	ip := func(s string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(s), Port: 1} }
	within := func(when string) {
		t.Helper()
		if len(g.perID.m) > max || len(g.perAddr.m) > max {
			t.Fatalf("%s: %d and %d buckets, more than %d", when, len(g.perID.m), len(g.perAddr.m), max)
		}
	}

	// Buckets that will have refilled by the time the map is full.
	for i := range max - 1 {
		g.failed(fmt.Sprint("old", i), ip(fmt.Sprintf("10.1.0.%d", i)))
	}
	now = now.Add(10 * time.Second)
	x := ip("10.0.0.1")
	g.failed("target", x)
	g.failed("target", x)
	if g.blocked("target", x) == "" {
		t.Fatal("target not locked out of X after its burst of failures")
	}
	for i := range max / 2 {
		g.failed(fmt.Sprint("new", i), ip(fmt.Sprintf("10.2.0.%d", i)))
		within("after refilled buckets")
	}
	if g.blocked("target", x) == "" {
		t.Fatal("making room forgot a live lockout while refilled buckets were there to forget")
	}
	if n, m := len(g.perID.m), len(g.perAddr.m); n != 1+max/2 || m != 1+max/2 {
		t.Fatalf("%d and %d buckets, want the %d live ones: the refilled ones forgotten, no other", n, m, 1+max/2)
	}
	for i := range 10 * max {
		g.failed(fmt.Sprint("spray", i), ip(fmt.Sprintf("10.3.%d.%d", i/200, i%200)))
		within("while spraying")
	}
	now = now.Add(10 * time.Second)
	g.failed("target", x)
	g.failed("target", x)
	if g.blocked("target", x) == "" {
		t.Fatal("target not locked out again")
	}
	now = now.Add(2 * time.Second)
	if why := g.blocked("target", x); why != "" {
		t.Fatalf("still locked out after the bucket refilled: %s", why)
	}

	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"2001:db8::1", "2001:db8::ffff:1", true},
		{"2001:db8::1", "2001:db8:0:1::1", false},
		{"10.0.0.1", "10.0.0.2", false},
		{"::ffff:10.0.0.1", "10.0.0.1", true},
	} {
		if same := addrKey(ip(c.a)) == addrKey(ip(c.b)); same != c.same {
			t.Errorf("%s and %s counted as one address: %v, want %v", c.a, c.b, same, c.same)
		}
	}
}
