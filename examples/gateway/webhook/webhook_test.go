package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/deliveries"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestSignatureRecipe: the signature is HMAC-SHA256 over "timestamp.body",
// hex, after "v1=", computed here independently of Sign; Verify refuses a
// changed body, another secret and a stale timestamp.
func TestSignatureRecipe(t *testing.T) {
	secret, body, ts := []byte("s3cret"), []byte(`{"type":"receipt"}`), int64(1765062000)
	m := hmac.New(sha256.New, secret)
	io.WriteString(m, "1765062000."+string(body))
	want := "v1=" + hex.EncodeToString(m.Sum(nil))
	if got := Sign(secret, ts, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	now := time.Unix(ts+30, 0)
	if err := Verify(secret, "1765062000", want, body, now, 0); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := Verify(secret, "1765062000", want, []byte(`{"type":"mo"}`), now, 0); err != ErrBadSignature {
		t.Errorf("changed body: %v", err)
	}
	if err := Verify([]byte("other"), "1765062000", want, body, now, 0); err != ErrBadSignature {
		t.Errorf("other secret: %v", err)
	}
	if err := Verify(secret, "1765062000", want, body, now.Add(10*time.Minute), 0); err != ErrStale {
		t.Errorf("stale: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, time.Second
	for _, c := range []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{1, 0, 50 * time.Millisecond}, {1, 0.999999, 100 * time.Millisecond},
		{2, 0, 100 * time.Millisecond}, {4, 0, 400 * time.Millisecond},
		{5, 0, 500 * time.Millisecond}, {60, 0.5, 750 * time.Millisecond},
	} {
		if got := Backoff(lo, hi, c.n, c.r); got.Round(time.Millisecond) != c.want {
			t.Errorf("Backoff(n=%d, r=%v) = %v, want %v", c.n, c.r, got, c.want)
		}
	}
}

// receiver is a test webhook receiver that fails each delivery's first
// fail attempts with 503.
type receiver struct {
	mu    sync.Mutex
	fail  int
	tries map[string]int // by X-Webhook-ID
	ok    map[string]int
	bad   int // requests whose signature did not verify
	got   chan string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id := req.Header.Get(HeaderID)
	r.mu.Lock()
	defer r.mu.Unlock()
	if Verify([]byte("k"), req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature), body, time.Now(), 0) != nil {
		r.bad++
	}
	r.tries[id]++
	if r.tries[id] <= r.fail {
		w.WriteHeader(503)
		return
	}
	r.ok[id]++
	r.got <- id + " " + string(body)
}

// TestRetriesUntil2xx: a receiver failing each delivery's first three
// tries gets it on the fourth, once, signed; deliveries of another key
// (another account) are not held back by it.
func TestRetriesUntil2xx(t *testing.T) {
	q := deliveries.NewMemory(deliveries.Options{})
	defer q.Close()
	slow := &receiver{fail: 3, tries: map[string]int{}, ok: map[string]int{}, got: make(chan string, 10)}
	fast := &receiver{tries: map[string]int{}, ok: map[string]int{}, got: make(chan string, 10)}
	srvSlow, srvFast := httptest.NewServer(slow), httptest.NewServer(fast)
	defer srvSlow.Close()
	defer srvFast.Close()
	enc := func(d *deliveries.Delivery) ([]byte, error) { return d.Body, nil }
	cfg := Config{Secret: "k", MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Concurrency: 2}
	cfg.URL = srvSlow.URL
	s1 := Start(q, "a\x00webhook", cfg, enc, quiet())
	cfg.URL = srvFast.URL
	s2 := Start(q, "b\x00webhook", cfg, enc, quiet())
	ctx := context.Background()
	for i := range 3 {
		for _, k := range []string{"a\x00webhook", "b\x00webhook"} {
			if err := q.Add(ctx, &deliveries.Delivery{Account: k, Body: []byte(`{"n":` + strconv.Itoa(i) + `}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// b's three arrive while a's are still failing.
	for range 3 {
		select {
		case <-fast.got:
		case <-time.After(10 * time.Second):
			t.Fatal("account b's deliveries held back")
		}
	}
	for range 3 {
		select {
		case <-slow.got:
		case <-time.After(10 * time.Second):
			t.Fatal("account a's deliveries never posted")
		}
	}
	s1.Stop()
	s2.Stop()
	slow.mu.Lock()
	defer slow.mu.Unlock()
	for id, n := range slow.tries {
		if n != 4 || slow.ok[id] != 1 {
			t.Errorf("%s: %d tries, %d answered 2xx; want 4 and 1", id, n, slow.ok[id])
		}
	}
	if slow.bad != 0 || fast.bad != 0 {
		t.Errorf("%d + %d requests with a bad signature", slow.bad, fast.bad)
	}
	if n, _ := q.Pending("a\x00webhook"); n != 0 {
		t.Errorf("%d deliveries left after 2xx", n)
	}
	if st := s1.Stats(); st.Posted != 3 || st.Failed != 9 {
		t.Errorf("stats %+v, want 3 posted, 9 failed", st)
	}
}

// TestDeadReceiverPauses: a receiver that fails everything is not tried
// once per delivery of a backlog in a burst: the workers pause with the
// back-off of the failures in a row.
func TestDeadReceiverPauses(t *testing.T) {
	q := deliveries.NewMemory(deliveries.Options{})
	defer q.Close()
	dead := &receiver{fail: 1 << 30, tries: map[string]int{}, ok: map[string]int{}, got: make(chan string, 1)}
	srv := httptest.NewServer(dead)
	defer srv.Close()
	for i := range 50 {
		if err := q.Add(context.Background(), &deliveries.Delivery{Account: "a", Body: []byte(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	s := Start(q, "a", Config{URL: srv.URL, Secret: "k", MinBackoff: 200 * time.Millisecond, MaxBackoff: time.Second, Concurrency: 2},
		func(d *deliveries.Delivery) ([]byte, error) { return d.Body, nil }, quiet())
	time.Sleep(600 * time.Millisecond)
	s.Stop()
	st := s.Stats()
	t.Logf("%d attempts in 600 ms against a dead receiver, 50 deliveries waiting", st.Failed)
	if st.Failed >= 50 || st.Posted != 0 {
		t.Errorf("%+v: every delivery of the backlog was tried against a dead receiver", st)
	}
	if n, _ := q.Pending("a"); n != 50 {
		t.Errorf("%d deliveries pending, want all 50 kept", n)
	}
}
