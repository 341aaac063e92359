package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBackend accepts every submission of account "acct" (password "pw",
// API key "key") and numbers its messages.
type fakeBackend struct {
	mu    sync.Mutex
	sends []*Submission
	err   error // returned by Send when set
}

func (f *fakeBackend) Authenticate(_ context.Context, c Credentials) (string, error) {
	switch {
	case c.APIKey == "key", c.User == "acct" && c.Password == "pw":
		return "acct", nil
	case c.User == "blocked":
		return "", Errorf(403, "address_not_allowed", "", "", "not from here")
	}
	return "", Errorf(401, "unauthenticated", "", "", "wrong credentials")
}

func (f *fakeBackend) Send(_ context.Context, s *Submission) ([]SentTo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.sends = append(f.sends, s)
	var out []SentTo
	for _, to := range s.To {
		st := SentTo{To: to}
		for i := range s.Segments {
			st.IDs = append(st.IDs, fmt.Sprintf("%d-%s-%d", len(f.sends), to, i))
		}
		out = append(out, st)
	}
	return out, nil
}

func (f *fakeBackend) Message(_ context.Context, acct, id string) (*Message, error) {
	if id != "1" {
		return nil, Errorf(404, "not_found", "id", "ESME_RINVMSGID", "no message %s", id)
	}
	return &Message{ID: id, State: "ENROUTE", Queued: true}, nil
}

func (f *fakeBackend) Cancel(_ context.Context, acct, id string) error {
	if id == "gone" {
		return Errorf(409, "not_queued", "id", "ESME_RCANCELFAIL", "left already")
	}
	return nil
}

func (f *fakeBackend) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sends)
}

func newTestAPI(t *testing.T, o Options) (*httptest.Server, *fakeBackend) {
	t.Helper()
	f := &fakeBackend{}
	o.Backend = f
	if o.Keeper == nil {
		o.Keeper = &Memory{}
	}
	srv := httptest.NewServer(New(o))
	t.Cleanup(srv.Close)
	return srv, f
}

// do sends a request authenticated as acct and returns the status, the
// headers and the decoded error (if any).
func do(t *testing.T, srv *httptest.Server, method, path, body string, hdr ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("acct", "pw")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if resp.StatusCode != 204 {
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatalf("%s %s: answer %d is not JSON: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode, resp.Header, m
}

func errField(m map[string]any, k string) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e[k].(string)
	return s
}

func TestSendErrors(t *testing.T) {
	srv, f := newTestAPI(t, Options{MaxBody: 1024, MaxSegments: 3, Log: quiet()})
	long := strings.Repeat("x", 153*3+1)
	cases := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"not JSON", `{"from":`, 400, "bad_json", ""},
		{"unknown field", `{"from":"1000","to":"254700000001","text":"hi","colour":"red"}`, 400, "unknown_field", "colour"},
		{"wrong type", `{"from":"1000","to":"254700000001","text":5}`, 400, "bad_json", "text"},
		{"two objects", `{"from":"1000","to":"254700000001","text":"a"}{}`, 400, "bad_json", ""},
		{"no to", `{"from":"1000","text":"hi"}`, 400, "missing_field", "to"},
		{"no from", `{"to":"254700000001","text":"hi"}`, 400, "missing_field", "from"},
		{"no text", `{"from":"1000","to":"254700000001"}`, 400, "missing_field", "text"},
		{"both", `{"from":"1000","to":"254700000001","text":"a","binary":{"data":"AQ=="}}`, 400, "text_and_binary", "binary"},
		{"long address", `{"from":"1000","to":["254700000001","1234567890123456789012"],"text":"a"}`, 422, "bad_address", "to[1]"},
		{"too many segments", `{"from":"1000","to":"254700000001","text":"` + long + `"}`, 422, "text_too_long", "text"},
		{"bad validity", `{"from":"1000","to":"254700000001","text":"a","validity":"soon"}`, 400, "bad_validity", "validity"},
		{"binary too long", `{"from":"1000","to":"254700000001","binary":{"data":"` + strings.Repeat("AAAA", 47) + `"}}`, 422, "binary_too_long", "binary.data"},
		{"bad udh", `{"from":"1000","to":"254700000001","binary":{"data":"AQ==","udh":"BQAD"}}`, 422, "bad_udh", "binary.udh"},
		// One byte over, read whole: no unread rest to reset the connection.
		{"too large", `{"from":"1000","to":"254700000001","text":"` + strings.Repeat("a", 1025-len(`{"from":"1000","to":"254700000001","text":""}`)) + `"}`, 413, "body_too_large", ""},
	}
	for _, c := range cases {
		st, _, m := do(t, srv, "POST", "/v1/messages", c.body)
		if st != c.status || errField(m, "code") != c.code || errField(m, "field") != c.field {
			t.Errorf("%s: %d %v, want %d code %s field %q", c.name, st, m, c.status, c.code, c.field)
		}
		if errField(m, "message") == "" {
			t.Errorf("%s: no message: %v", c.name, m)
		}
	}
	if n := f.count(); n != 0 {
		t.Errorf("%d submissions reached the backend from refused requests", n)
	}
}

func TestSendSplitsText(t *testing.T) {
	srv, f := newTestAPI(t, Options{Log: quiet()})
	text := strings.Repeat("Привет, мир! ", 20) // 260 UTF-16 units: 4 UCS-2 segments of 67
	body, _ := json.Marshal(map[string]any{"from": "+254700000009", "to": []string{"254700000001", "254700000002"}, "text": text, "reference": "r1"})
	st, _, m := do(t, srv, "POST", "/v1/messages", string(body))
	if st != 201 {
		t.Fatalf("status %d: %v", st, m)
	}
	if m["encoding"] != "ucs2" || m["segments"] != float64(4) || m["reference"] != "r1" {
		t.Errorf("answer %v", m)
	}
	msgs := m["messages"].([]any)
	if len(msgs) != 2 || len(msgs[1].(map[string]any)["ids"].([]any)) != 4 {
		t.Errorf("messages %v", msgs)
	}
	s := f.sends[0]
	if !s.Receipt || len(s.Segments) != 4 || s.From != "+254700000009" {
		t.Fatalf("submission %+v", s)
	}
	var got []rune
	for i, seg := range s.Segments {
		if !seg.UDHI || seg.DataCoding != 8 || seg.ShortMessage[0] != 5 || seg.ShortMessage[4] != 4 || int(seg.ShortMessage[5]) != i+1 {
			t.Fatalf("segment %d: udhi %v dc %d header % x", i, seg.UDHI, seg.DataCoding, seg.ShortMessage[:6])
		}
		ud := seg.ShortMessage[6:]
		for j := 0; j+1 < len(ud); j += 2 {
			got = append(got, rune(ud[j])<<8|rune(ud[j+1]))
		}
	}
	if string(got) != text {
		t.Errorf("segments carry %q", string(got))
	}
	// GSM 7-bit for plain text, one segment, receipts off.
	st, _, m = do(t, srv, "POST", "/v1/messages", `{"from":"1000","to":"254700000001","text":"Hello @ £","receipt":false}`)
	if st != 201 || m["encoding"] != "gsm7" || m["segments"] != float64(1) || f.sends[1].Receipt || f.sends[1].Segments[0].UDHI {
		t.Errorf("gsm7: %d %v %+v", st, m, f.sends[1])
	}
}

func TestAuth(t *testing.T) {
	srv, _ := newTestAPI(t, Options{Log: quiet()})
	for _, c := range []struct {
		name   string
		set    func(r *http.Request)
		status int
	}{
		{"none", func(r *http.Request) {}, 401},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth("acct", "nope") }, 401},
		{"blocked address", func(r *http.Request) { r.SetBasicAuth("blocked", "x") }, 403},
		{"api key", func(r *http.Request) { r.Header.Set("Authorization", "Bearer key") }, 200},
		{"basic", func(r *http.Request) { r.SetBasicAuth("acct", "pw") }, 200},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/messages/1", nil)
		c.set(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.status)
		}
		if c.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", c.name)
		}
	}
}

func TestGetCancelAndBackendErrors(t *testing.T) {
	srv, f := newTestAPI(t, Options{Log: quiet()})
	if st, _, m := do(t, srv, "GET", "/v1/messages/1", ""); st != 200 || m["state"] != "ENROUTE" {
		t.Errorf("get: %d %v", st, m)
	}
	if st, _, m := do(t, srv, "GET", "/v1/messages/2", ""); st != 404 || errField(m, "smpp_status") != "ESME_RINVMSGID" {
		t.Errorf("get unknown: %d %v", st, m)
	}
	if st, _, _ := do(t, srv, "DELETE", "/v1/messages/1", ""); st != 204 {
		t.Errorf("cancel: %d", st)
	}
	if st, _, m := do(t, srv, "DELETE", "/v1/messages/gone", ""); st != 409 || errField(m, "code") != "not_queued" {
		t.Errorf("cancel gone: %d %v", st, m)
	}
	if st, h, _ := do(t, srv, "PUT", "/v1/messages/1", ""); st != 405 || h.Get("Allow") == "" {
		t.Errorf("PUT: %d %v", st, h)
	}
	if st, _, m := do(t, srv, "GET", "/v2/nothing", ""); st != 404 || errField(m, "code") != "not_found" {
		t.Errorf("unknown route: %d %v", st, m)
	}
	f.err = &Error{Status: 429, Code: "rate_limited", Message: "slow down", SMPPStatus: "ESME_RTHROTTLED", RetryAfter: 1500 * time.Millisecond}
	if st, h, m := do(t, srv, "POST", "/v1/messages", `{"from":"1","to":"2","text":"a"}`); st != 429 || h.Get("Retry-After") != "2" || errField(m, "smpp_status") != "ESME_RTHROTTLED" {
		t.Errorf("429: %d %v %v", st, h, m)
	}
	f.err = fmt.Errorf("disk on fire")
	if st, _, m := do(t, srv, "POST", "/v1/messages", `{"from":"1","to":"2","text":"a"}`); st != 500 || strings.Contains(errField(m, "message"), "fire") {
		t.Errorf("500: %d %v (the detail stays in the log)", st, m)
	}
}

func TestIdempotencyKey(t *testing.T) {
	srv, f := newTestAPI(t, Options{Log: quiet()})
	body := `{"from":"1000","to":"254700000001","text":"once"}`
	st1, _, m1 := do(t, srv, "POST", "/v1/messages", body, "Idempotency-Key", "k1")
	st2, h2, m2 := do(t, srv, "POST", "/v1/messages", body, "Idempotency-Key", "k1")
	if st1 != 201 || st2 != 201 || fmt.Sprint(m1) != fmt.Sprint(m2) || h2.Get("Idempotent-Replayed") != "true" {
		t.Errorf("first %d %v, retry %d %v %v", st1, m1, st2, m2, h2)
	}
	if n := f.count(); n != 1 {
		t.Errorf("%d sends for one key, want 1", n)
	}
	if st, _, m := do(t, srv, "POST", "/v1/messages", `{"from":"1000","to":"254700000001","text":"other"}`, "Idempotency-Key", "k1"); st != 422 || errField(m, "code") != "idempotency_key_reused" {
		t.Errorf("other body: %d %v", st, m)
	}
	// Concurrent retries of one key send once.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", srv.URL+"/v1/messages", strings.NewReader(body))
			req.SetBasicAuth("acct", "pw")
			req.Header.Set("Idempotency-Key", "k2")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if n := f.count(); n != 2 {
		t.Errorf("%d sends after 8 concurrent requests with one new key, want 2 in all", n)
	}
	if st, _, _ := do(t, srv, "POST", "/v1/messages", body, "Idempotency-Key", "has space"); st != 400 {
		t.Errorf("bad key: %d", st)
	}
}
