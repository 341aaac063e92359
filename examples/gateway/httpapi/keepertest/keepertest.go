// Package keepertest is the conformance suite of httpapi.Keeper and
// httpapi.References: every backend (Memory, Pebble, the cluster's
// JetStream one) runs it unchanged.
package keepertest

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
)

// Backend is a Keeper and References, as the gateway uses them.
type Backend interface {
	httpapi.Keeper
	httpapi.References
}

// oddKeys are Idempotency-Keys (printable ASCII, up to 255 characters) with
// the bytes a key-value store's keys may refuse or give a meaning to.
var oddKeys = []string{
	"k", "a.b", "a..b", ".", "*", ">", "a*b.>", "$KV.x", "=", "=YQ", "a/b\\c", "%00", "\"'`", "~!@#^&()[]{}|;:,<>?",
	"550e8400-e29b-41d4-a716-446655440000", strings.Repeat("x", 255), strings.Repeat(".", 255),
}

// oddIDs are message ids: the gateway's own, and any bytes.
var oddIDs = []string{
	"00000000000000a1", "a.b", "a..b", ".", "*", ">", "=", "=YQ", "", " ", "é", "a\x00b", "a\nb", strings.Repeat("z", 200),
}

func answer(body string, expires time.Time) *httpapi.Answer {
	return &httpapi.Answer{BodyHash: sha256.Sum256([]byte("req " + body)), Status: 201, Body: []byte(body), Expires: expires}
}

func same(a, b *httpapi.Answer) bool {
	return a.BodyHash == b.BodyHash && a.Status == b.Status && string(a.Body) == string(b.Body) && a.Expires.Equal(b.Expires)
}

// Run runs the suite against the backends open returns, one per subtest
// (open may return the same one: the subtests use keys of their own).
func Run(t *testing.T, open func(t *testing.T) Backend) {
	ctx := context.Background()
	later := time.Now().Add(time.Hour).Round(0)

	t.Run("MissingIsNil", func(t *testing.T) {
		b := open(t)
		a, err := b.Get(ctx, "acct-missing", "never-put")
		if err != nil || a != nil {
			t.Fatalf("Get of a key never put = %+v, %v; want nil, nil", a, err)
		}
		ref, err := b.Reference(ctx, "never-put-id")
		if err != nil || ref != "" {
			t.Fatalf("Reference of an id never put = %q, %v; want \"\", nil", ref, err)
		}
	})

	t.Run("PutThenGet", func(t *testing.T) {
		b := open(t)
		want := answer(`{"messages":[{"to":"254700000001","ids":["00000000000000a1"]}]}`, later)
		if err := b.Put(ctx, "acct-put", "key-1", want); err != nil {
			t.Fatal(err)
		}
		got, err := b.Get(ctx, "acct-put", "key-1")
		if err != nil || got == nil || !same(got, want) {
			t.Fatalf("Get after Put = %+v, %v; want %+v", got, err, want)
		}
		// Another account's same key is another key.
		if a, err := b.Get(ctx, "acct-put-2", "key-1"); err != nil || a != nil {
			t.Fatalf("Get of another account's key = %+v, %v; want nil", a, err)
		}
		// A second Put replaces the first.
		want2 := answer(`{"error":{}}`, later)
		want2.Status = 422
		if err := b.Put(ctx, "acct-put", "key-1", want2); err != nil {
			t.Fatal(err)
		}
		if got, err := b.Get(ctx, "acct-put", "key-1"); err != nil || got == nil || !same(got, want2) {
			t.Fatalf("Get after a second Put = %+v, %v; want %+v", got, err, want2)
		}
	})

	t.Run("ExpiredIsNil", func(t *testing.T) {
		b := open(t)
		if err := b.Put(ctx, "acct-exp", "gone", answer("{}", time.Now().Add(-time.Second))); err != nil {
			t.Fatal(err)
		}
		if a, err := b.Get(ctx, "acct-exp", "gone"); err != nil || a != nil {
			t.Fatalf("Get of an expired answer = %+v, %v; want nil", a, err)
		}
	})

	t.Run("OddKeys", func(t *testing.T) {
		b := open(t)
		accounts := []string{"acct", "acct.x", "*", "a b", "é"}
		for _, acct := range accounts {
			for _, key := range oddKeys {
				if err := b.Put(ctx, acct, key, answer(acct+"|"+key, later)); err != nil {
					t.Fatalf("Put(%q, %q): %v", acct, key, err)
				}
			}
		}
		for _, acct := range accounts {
			for _, key := range oddKeys {
				got, err := b.Get(ctx, acct, key)
				if err != nil || got == nil || !same(got, answer(acct+"|"+key, later)) {
					t.Fatalf("Get(%q, %q) = %+v, %v; want its own answer", acct, key, got, err)
				}
			}
		}
	})

	t.Run("References", func(t *testing.T) {
		b := open(t)
		if err := b.PutReference(ctx, []string{"ref-1", "ref-2"}, "order 42", later); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"ref-1", "ref-2"} {
			if ref, err := b.Reference(ctx, id); err != nil || ref != "order 42" {
				t.Fatalf("Reference(%q) = %q, %v; want \"order 42\"", id, ref, err)
			}
		}
		if ref, err := b.Reference(ctx, "ref-3"); err != nil || ref != "" {
			t.Fatalf("Reference of an id not put = %q, %v", ref, err)
		}
		for _, id := range oddIDs {
			if err := b.PutReference(ctx, []string{id}, "ref of "+id, later); err != nil {
				t.Fatalf("PutReference(%q): %v", id, err)
			}
		}
		for _, id := range oddIDs {
			if ref, err := b.Reference(ctx, id); err != nil || ref != "ref of "+id {
				t.Fatalf("Reference(%q) = %q, %v; want its own", id, ref, err)
			}
		}
	})
}

// ReserverBackend is a Backend shared by nodes, with Reserve.
type ReserverBackend interface {
	Backend
	httpapi.Reserver
}

// RunReserver checks Reserve and its release, on the backends open
// returns (as Run).
func RunReserver(t *testing.T, open func(t *testing.T) ReserverBackend) {
	ctx := context.Background()
	later := time.Now().Add(time.Hour).Round(0)
	t.Run("Reserve", func(t *testing.T) {
		b := open(t)
		rs := b
		until := time.Now().Add(time.Minute)
		kept, release, err := rs.Reserve(ctx, "acct-res", "k1", until)
		if err != nil || kept != nil || release == nil {
			t.Fatalf("Reserve of a new key = %+v, %v, %v; want the key taken", kept, release != nil, err)
		}
		if a, err := b.Get(ctx, "acct-res", "k1"); err != nil || a != nil {
			t.Fatalf("Get of a key reserved = %+v, %v; want nil", a, err)
		}
		if _, _, err := rs.Reserve(ctx, "acct-res", "k1", until); !errors.Is(err, httpapi.ErrKeyInUse) {
			t.Fatalf("second Reserve of a key held: %v; want ErrKeyInUse", err)
		}
		if _, _, err := rs.Reserve(ctx, "acct-res-2", "k1", until); err != nil {
			t.Fatalf("Reserve of another account's key: %v", err)
		}
		// Answered: the answer, to Reserve and Get.
		want := answer("answered", later)
		if err := b.Put(ctx, "acct-res", "k1", want); err != nil {
			t.Fatal(err)
		}
		if got, release2, err := rs.Reserve(ctx, "acct-res", "k1", until); err != nil || got == nil || !same(got, want) || release2 != nil {
			t.Fatalf("Reserve of a key answered = %+v, %v; want %+v", got, err, want)
		}
		// The late release of a reservation answered since leaves the answer.
		if err := release(ctx); err != nil {
			t.Fatal(err)
		}
		if got, err := b.Get(ctx, "acct-res", "k1"); err != nil || got == nil || !same(got, want) {
			t.Fatalf("Get after the release of an answered reservation = %+v, %v; want %+v", got, err, want)
		}
		// Released: taken again.
		_, release, err = rs.Reserve(ctx, "acct-res", "k2", until)
		if err != nil {
			t.Fatal(err)
		}
		if err := release(ctx); err != nil {
			t.Fatal(err)
		}
		if err := release(ctx); err != nil {
			t.Fatalf("a second release: %v", err)
		}
		if _, release, err = rs.Reserve(ctx, "acct-res", "k2", until); err != nil || release == nil {
			t.Fatalf("Reserve of a key released: %v", err)
		}
		// A reservation expired is taken again.
		if _, _, err = rs.Reserve(ctx, "acct-res", "k3", time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, release, err = rs.Reserve(ctx, "acct-res", "k3", until); err != nil || release == nil {
			t.Fatalf("Reserve of a key whose reservation expired: %v", err)
		}
		// An answer expired, too.
		if err := b.Put(ctx, "acct-res", "k4", answer("old", time.Now().Add(-time.Second))); err != nil {
			t.Fatal(err)
		}
		if kept, release, err = rs.Reserve(ctx, "acct-res", "k4", until); err != nil || kept != nil || release == nil {
			t.Fatalf("Reserve of a key whose answer expired = %+v, %v", kept, err)
		}
	})
}
