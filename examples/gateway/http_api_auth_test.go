package main

import (
	"context"
	"errors"
	"net/netip"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
)

// TestHTTPAuthenticate: Basic with the account's password (bcrypt once,
// then remembered), an API key by its SHA-256, 401 for wrong credentials
// and unknown accounts, 403 outside allow_ips once the credentials are
// right, and the failed-bind guard's lockout.
func TestHTTPAuthenticate(t *testing.T) {
	as, err := loadAccounts([]AccountConfig{
		{SystemID: "a", Password: "pw-a", APIKeys: []string{apiKeyLine("key-a")}},
		{SystemID: "b", Password: "pw-b", AllowIPs: []string{"10.0.0.0/8"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var compares atomic.Int64
	as.compare = func(hash, pw []byte) error {
		compares.Add(1)
		return bcrypt.CompareHashAndPassword(hash, pw)
	}
	gw := &Gateway{log: quietLogger(), guard: newBindGuard(RateConfig{PerMinute: 60, Burst: 3})}
	gw.accounts.Store(as)
	b := &httpBackend{gw: gw}
	local := netip.MustParseAddr("127.0.0.1")
	auth := func(c httpapi.Credentials) (string, int) {
		id, err := b.Authenticate(context.Background(), c)
		var e *httpapi.Error
		if errors.As(err, &e) {
			return id, e.Status
		}
		if err != nil {
			t.Fatal(err)
		}
		return id, 200
	}
	if id, st := auth(httpapi.Credentials{User: "a", Password: "pw-a", Remote: local}); id != "a" || st != 200 {
		t.Errorf("basic: %q %d", id, st)
	}
	n := compares.Load()
	for range 5 {
		auth(httpapi.Credentials{User: "a", Password: "pw-a", Remote: local})
	}
	if compares.Load() != n {
		t.Errorf("%d bcrypt comparisons for 5 requests with credentials found right a moment ago", compares.Load()-n)
	}
	if id, st := auth(httpapi.Credentials{APIKey: "key-a", Remote: local}); id != "a" || st != 200 {
		t.Errorf("api key: %q %d", id, st)
	}
	if _, st := auth(httpapi.Credentials{APIKey: "key-b", Remote: local}); st != 401 {
		t.Errorf("unknown api key: %d", st)
	}
	if _, st := auth(httpapi.Credentials{User: "b", Password: "pw-b", Remote: local}); st != 403 {
		t.Errorf("outside allow_ips: %d", st)
	}
	if id, st := auth(httpapi.Credentials{User: "b", Password: "pw-b", Remote: netip.MustParseAddr("10.1.2.3")}); id != "b" || st != 200 {
		t.Errorf("inside allow_ips: %q %d", id, st)
	}
	other := netip.MustParseAddr("192.0.2.7")
	for range 3 {
		if _, st := auth(httpapi.Credentials{User: "a", Password: "wrong", Remote: other}); st != 401 {
			t.Errorf("wrong password: %d", st)
		}
	}
	n = compares.Load()
	if _, st := auth(httpapi.Credentials{User: "a", Password: "pw-a", Remote: other}); st != 401 || compares.Load() != n {
		t.Errorf("after 3 failures from one address: %d with %d comparisons; want 401 at once (locked out)", st, compares.Load()-n)
	}
	if _, st := auth(httpapi.Credentials{User: "nobody", Password: "x", Remote: local}); st != 401 {
		t.Errorf("unknown account: %d", st)
	}
}
