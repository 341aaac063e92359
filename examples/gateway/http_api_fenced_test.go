package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
)

// TestHTTPFencedNodeRefuses: a cluster node cut off from the quorum
// (cluster_quorum.go) answers the HTTP API at once 503 cluster_unavailable
// with Retry-After, as its SMPP side answers ESME_RSYSERR: it could store
// and read nothing, and the client should go to another node. (The store
// is nil here: a request that reached it would panic the test.)
func TestHTTPFencedNodeRefuses(t *testing.T) {
	as, err := loadAccounts([]AccountConfig{{SystemID: "a", Password: "pw-a"}})
	if err != nil {
		t.Fatal(err)
	}
	gw := &Gateway{log: quietLogger(), guard: newBindGuard(RateConfig{PerMinute: 60, Burst: 3}),
		quorumLost: func() string { return "cut off (test)" }}
	gw.accounts.Store(as)
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Backend: &httpBackend{gw: gw}, Keeper: &httpapi.Memory{},
		Log: quietLogger(), Unavailable: gw.httpUnavailable}))
	defer srv.Close()
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/v1/messages", `{"from":"1000","to":"254700000001","text":"hi"}`},
		{"GET", "/v1/messages/00000000000000a1", ""},
		{"DELETE", "/v1/messages/00000000000000a1", ""},
	} {
		req, err := http.NewRequest(r.method, srv.URL+r.path, strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("a", "pw-a")
		if r.body != "" {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "k1") // refused before the Keeper is asked
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error struct {
				Code       string `json:"code"`
				SMPPStatus string `json:"smpp_status"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("%s %s: %d %s: not an error answer", r.method, r.path, resp.StatusCode, body)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" ||
			e.Error.Code != "cluster_unavailable" || e.Error.SMPPStatus != "ESME_RSYSERR" {
			t.Errorf("%s %s on a fenced node: %d Retry-After %q %s; want 503, 5, cluster_unavailable, ESME_RSYSERR",
				r.method, r.path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
}
