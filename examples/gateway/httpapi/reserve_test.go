package httpapi

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// reservingMemory is a Memory with Reserve, as a Keeper shared by nodes
// (jskeeper) has: held names the keys taken by requests, here or "on
// another node".
type reservingMemory struct {
	Memory
	mu       sync.Mutex
	held     map[string]bool
	released int
}

func (m *reservingMemory) Reserve(ctx context.Context, account, key string, _ time.Time) (*Answer, func(context.Context) error, error) {
	if a, err := m.Get(ctx, account, key); a != nil || err != nil {
		return a, nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := account + "\x00" + key
	if m.held[k] {
		return nil, nil, ErrKeyInUse
	}
	m.held[k] = true
	return nil, func(context.Context) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.held, k)
		m.released++
		return nil
	}, nil
}

// TestIdempotencyKeyReserved: with a Keeper that reserves (a cluster's), a
// key held by a request being served elsewhere is answered 409
// idempotency_key_in_use with Retry-After and sends nothing; a key answered
// gives its answer; a request whose answer is not kept (503) gives its key
// back, so that the retry is served.
func TestIdempotencyKeyReserved(t *testing.T) {
	k := &reservingMemory{held: map[string]bool{"acct\x00elsewhere": true}}
	srv, f := newTestAPI(t, Options{Log: quiet(), Keeper: k})
	body := `{"from":"1000","to":"254700000001","text":"once"}`

	st, h, m := do(t, srv, "POST", "/v1/messages", body, "Idempotency-Key", "elsewhere")
	if st != http.StatusConflict || errField(m, "code") != "idempotency_key_in_use" || h.Get("Retry-After") != "1" || f.count() != 0 {
		t.Errorf("a key held elsewhere: %d %v Retry-After %q, %d sends; want 409 idempotency_key_in_use, 1, none", st, m, h.Get("Retry-After"), f.count())
	}

	st1, _, m1 := do(t, srv, "POST", "/v1/messages", body, "Idempotency-Key", "k1")
	st2, h2, m2 := do(t, srv, "POST", "/v1/messages", body, "Idempotency-Key", "k1")
	if st1 != 201 || st2 != 201 || errField(m2, "code") != "" || h2.Get("Idempotent-Replayed") != "true" || f.count() != 1 {
		t.Errorf("first %d %v, retry %d %v %v, %d sends; want the first answer again, one send", st1, m1, st2, m2, h2, f.count())
	}

	f.mu.Lock()
	f.err = Errorf(503, "store_failed", "", "ESME_RSYSERR", "try again")
	f.mu.Unlock()
	st, _, _ = do(t, srv, "POST", "/v1/messages", body, "Idempotency-Key", "k2")
	k.mu.Lock()
	released := k.released
	k.mu.Unlock()
	if st != 503 || released != 1 {
		t.Errorf("a failed send: %d, %d releases; want 503 and the key given back", st, released)
	}
	f.mu.Lock()
	f.err = nil
	f.mu.Unlock()
	if st, _, _ := do(t, srv, "POST", "/v1/messages", body, "Idempotency-Key", "k2"); st != 201 || f.count() != 2 {
		t.Errorf("the retry after a failed send: %d, %d sends; want 201, 2", st, f.count())
	}
}
