package httpapi

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestUnavailable: while Options.Unavailable returns an error, every
// authenticated request gets it at once (status, code, Retry-After) and
// nothing is sent or kept; once it returns
// nil the same request is served.
func TestUnavailable(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	keeper := &Memory{}
	srv, f := newTestAPI(t, Options{Keeper: keeper, Unavailable: func() *Error {
		if !down.Load() {
			return nil
		}
		e := Errorf(503, "cluster_unavailable", "", "ESME_RSYSERR", "cut off")
		e.RetryAfter = 5 * time.Second
		return e
	}})
	body := `{"from":"1000","to":"254700000001","text":"hi"}`
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/v1/messages", body}, {"GET", "/v1/messages/1", ""}, {"DELETE", "/v1/messages/1", ""},
	} {
		st, h, m := do(t, srv, r.method, r.path, r.body, "Content-Type", "application/json", "Idempotency-Key", "k1")
		if st != 503 || h.Get("Retry-After") != "5" || errField(m, "code") != "cluster_unavailable" {
			t.Errorf("%s %s while unavailable: %d %q %v", r.method, r.path, st, h.Get("Retry-After"), m)
		}
	}
	if f.count() != 0 {
		t.Fatalf("%d sent while unavailable", f.count())
	}
	if a, err := keeper.Get(t.Context(), "acct", "k1"); err != nil || a != nil {
		t.Fatalf("an answer kept while unavailable: %v %v", a, err)
	}
	down.Store(false)
	if st, _, m := do(t, srv, "POST", "/v1/messages", body, "Content-Type", "application/json", "Idempotency-Key", "k1"); st != 201 || f.count() != 1 {
		t.Fatalf("after: %d %v, %d sent", st, m, f.count())
	}
}
