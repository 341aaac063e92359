package httpapi

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"testing"
	"time"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestPebbleSurvivesReopen: an answer and a reference put are there after
// the database is closed and opened again; an expired answer is not, and
// Purge removes it.
func TestPebbleSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	p, err := OpenPebble(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := &Answer{BodyHash: sha256.Sum256([]byte("body")), Status: 201, Body: []byte(`{"x":1}`), Expires: time.Now().Add(time.Hour)}
	if err := p.Put(ctx, "acct", "k", a); err != nil {
		t.Fatal(err)
	}
	if err := p.Put(ctx, "acct", "old", &Answer{Status: 201, Expires: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := p.PutReference(ctx, []string{"id1", "id2"}, "ref", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Get(ctx, "acct", "k"); err != ErrClosed {
		t.Errorf("Get after Close: %v", err)
	}
	if p, err = OpenPebble(dir); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, err := p.Get(ctx, "acct", "k")
	if err != nil || got == nil || got.Status != 201 || string(got.Body) != `{"x":1}` || got.BodyHash != a.BodyHash {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	if got, _ := p.Get(ctx, "acct2", "k"); got != nil {
		t.Errorf("another account's key: %+v", got)
	}
	if got, _ := p.Get(ctx, "acct", "old"); got != nil {
		t.Errorf("expired answer returned: %+v", got)
	}
	if r, err := p.Reference(ctx, "id2"); r != "ref" || err != nil {
		t.Errorf("reference %q %v", r, err)
	}
	if n, err := p.Purge(time.Now()); n != 1 || err != nil {
		t.Errorf("purge: %d %v, want 1", n, err)
	}
}
