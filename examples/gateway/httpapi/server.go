package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures the API. The zero value of each field is the default
// it documents; Backend is required.
type Options struct {
	// Backend authenticates, sends, reads and cancels.
	Backend Backend
	// Keeper keeps the first answer to each Idempotency-Key; nil: the
	// header is refused (400), so that no client believes it is honoured.
	Keeper Keeper
	// MaxBody is the largest request body in bytes (413 beyond). Default
	// 64 KiB.
	MaxBody int64
	// MaxSegments is the most segments a text may need (422 beyond).
	// Default 10.
	MaxSegments int
	// MaxDestinations is the most destinations of one request. Default 100.
	MaxDestinations int
	// IdempotencyTTL is how long an answer is kept for its key. Default 24h.
	IdempotencyTTL time.Duration
	// Log receives the errors the client is not told the details of; nil
	// is slog.Default().
	Log *slog.Logger
	// Unavailable, when set, is asked before every authenticated request
	// is served: an error it returns is the answer at once, before the
	// body, the Keeper or the Backend is used (a cluster node cut off
	// from its quorum refuses 503 with Retry-After). Nil: always serve.
	Unavailable func() *Error
}

// handler serves the API.
type handler struct {
	o     Options
	mux   *http.ServeMux
	locks keyLocks
}

// route is one served route.
type route struct {
	method, path string
	serve        func(h *handler, w http.ResponseWriter, r *http.Request)
}

// routes are the routes the API serves; the OpenAPI document lists the same
// (a test checks both ways).
var routes = []route{
	{"POST", "/v1/messages", (*handler).send},
	{"GET", "/v1/messages/{id}", (*handler).get},
	{"DELETE", "/v1/messages/{id}", (*handler).cancel},
	{"GET", "/v1/openapi.json", (*handler).openAPI},
}

// Routes returns the served routes as "METHOD /path" (with {id} patterns).
func Routes() []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.method + " " + r.path
	}
	return out
}

// New returns the API's handler.
func New(o Options) http.Handler {
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 10
	}
	if o.MaxSegments <= 0 {
		o.MaxSegments = 10
	}
	if o.MaxDestinations <= 0 {
		o.MaxDestinations = 100
	}
	if o.IdempotencyTTL <= 0 {
		o.IdempotencyTTL = 24 * time.Hour
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	h := &handler{o: o, mux: http.NewServeMux(), locks: keyLocks{m: map[string]*keyLock{}}}
	for _, rt := range routes {
		h.mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) { rt.serve(h, w, r) })
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, Errorf(404, "not_found", "", "", "no such route: %s %s (see /v1/openapi.json)", r.Method, r.URL.Path))
	})
	return h
}

// ServeHTTP serves a request; a panic in a handler becomes a 500.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.o.Log.Error("http api: handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeError(w, Errorf(500, "internal", "", "ESME_RSYSERR", "internal error"))
		}
	}()
	// A method a path is not served with is answered 405 as JSON.
	var allow []string
	for _, rt := range routes {
		if matchPath(rt.path, r.URL.Path) {
			if rt.method == r.Method || (r.Method == "HEAD" && rt.method == "GET") {
				h.mux.ServeHTTP(w, r)
				return
			}
			allow = append(allow, rt.method)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, Errorf(405, "method_not_allowed", "", "", "%s is not served on %s: %s", r.Method, r.URL.Path, strings.Join(allow, ", ")))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// matchPath reports whether path matches a route's pattern ({x} is one
// segment).
func matchPath(pattern, path string) bool {
	ps, qs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(qs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], "{") && ps[i] != qs[i] {
			return false
		}
	}
	return true
}

// authenticate returns the caller's account, or answers and returns "".
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request) string {
	var c Credentials
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.Remote = ap.Addr().Unmap()
	} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.Remote, _ = netip.ParseAddr(host) // zero (matches no allow_ips) if not an address
	}
	auth := r.Header.Get("Authorization")
	if key, ok := strings.CutPrefix(auth, "Bearer "); ok {
		c.APIKey = strings.TrimSpace(key)
	} else if u, p, ok := r.BasicAuth(); ok {
		c.User, c.Password = u, p
	}
	if c.APIKey == "" && c.User == "" {
		writeError(w, Errorf(401, "unauthenticated", "", "", "give the account's system_id and password (HTTP Basic) or an API key (Authorization: Bearer KEY)"))
		return ""
	}
	acct, err := h.o.Backend.Authenticate(r.Context(), c)
	if err != nil {
		h.fail(w, r, err)
		return ""
	}
	if h.o.Unavailable != nil {
		if e := h.o.Unavailable(); e != nil {
			writeError(w, e)
			return ""
		}
	}
	return acct
}

// fail answers err: an *Error as it says, anything else 500.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		h.o.Log.Error("http api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = Errorf(500, "internal", "", "ESME_RSYSERR", "internal error (logged by the gateway)")
	}
	writeError(w, e)
}

// send serves POST /v1/messages.
func (h *handler) send(w http.ResponseWriter, r *http.Request) {
	acct := h.authenticate(w, r)
	if acct == "" {
		return
	}
	body, e := h.readBody(w, r)
	if e != nil {
		writeError(w, e)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		status, answer, retry := h.sendBody(r.Context(), acct, body)
		writeAnswer(w, status, answer, retry)
		return
	}
	if e := checkKey(key, h.o.Keeper); e != nil {
		writeError(w, e)
		return
	}
	// One request per key at a time (on this node): a retry racing the
	// first waits for its answer.
	unlock := h.locks.lock(acct + "\x00" + key)
	defer unlock()
	sum := sha256.Sum256(body)
	var (
		kept    *Answer
		release func(context.Context) error // a shared Keeper's key taken for this request
		err     error
	)
	if rs, ok := h.o.Keeper.(Reserver); ok {
		kept, release, err = rs.Reserve(r.Context(), acct, key, time.Now().Add(reserveFor))
		if errors.Is(err, ErrKeyInUse) {
			e := Errorf(409, "idempotency_key_in_use", "Idempotency-Key", "",
				"a request with this Idempotency-Key is being served (on another node): retry after Retry-After for its answer")
			e.RetryAfter = time.Second
			writeError(w, e)
			return
		}
	} else {
		kept, err = h.o.Keeper.Get(r.Context(), acct, key)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if kept != nil {
		if kept.BodyHash != sum {
			writeError(w, Errorf(422, "idempotency_key_reused", "Idempotency-Key", "",
				"this Idempotency-Key was used with another request body: use a new key for a new request"))
			return
		}
		w.Header().Set("Idempotent-Replayed", "true")
		writeRaw(w, kept.Status, kept.Body)
		return
	}
	status, answer, retry := h.sendBody(r.Context(), acct, body)
	if keepable(status) {
		a := &Answer{BodyHash: sum, Status: status, Body: answer, Expires: time.Now().Add(h.o.IdempotencyTTL)}
		if err := h.o.Keeper.Put(r.Context(), acct, key, a); err != nil {
			// The messages are stored: say so, and that a retry with the
			// key may send them again.
			h.o.Log.Error("http api: keeping the answer of an Idempotency-Key failed; a retry with it would send again", "account", acct, "err", err)
		}
	} else if release != nil {
		// Not the request's answer for good: a retry may be served.
		if err := release(context.WithoutCancel(r.Context())); err != nil {
			h.o.Log.Warn("http api: giving back an Idempotency-Key failed; a retry with it is refused 409 until it expires", "account", acct, "err", err)
		}
	}
	writeAnswer(w, status, answer, retry)
}

// reserveFor is how long a shared Keeper's key is held for a request being
// served (Reserver): longer than a send takes (the listener's write
// timeout is 30 s). A node that dies while it holds one leaves the key
// taken that long.
const reserveFor = time.Minute

// keepable says whether an answer is the request's for good: a success or
// a refusal of the request itself, not a transient one (401, 429, 5xx).
func keepable(status int) bool {
	return status < 300 || (status >= 400 && status < 500 && status != 401 && status != 403 && status != 408 && status != 429)
}

// checkKey checks an Idempotency-Key header.
func checkKey(key string, k Keeper) *Error {
	switch {
	case k == nil:
		return Errorf(400, "idempotency_unsupported", "Idempotency-Key", "", "this gateway keeps no Idempotency-Key answers")
	case len(key) > 255:
		return Errorf(400, "bad_idempotency_key", "Idempotency-Key", "", "at most 255 characters")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return Errorf(400, "bad_idempotency_key", "Idempotency-Key", "", "printable ASCII without spaces (a UUID, say)")
		}
	}
	return nil
}

// readBody reads the request body within MaxBody.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return nil, Errorf(415, "unsupported_media_type", "", "", "Content-Type %q: send application/json", ct)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, Errorf(413, "body_too_large", "", "", "the body is over %d bytes (http_api.max_body)", h.o.MaxBody)
	case err != nil:
		return nil, Errorf(400, "bad_body", "", "", "reading the body: %v", err)
	}
	return body, nil
}

// sendBody decodes, checks and sends a request body, and returns the
// answer's status and JSON, and the Retry-After of a 429 or 503.
func (h *handler) sendBody(ctx context.Context, acct string, body []byte) (int, []byte, time.Duration) {
	var req SendRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return 400, encodeError(jsonError(err)), 0
	}
	if dec.More() {
		return 400, encodeError(Errorf(400, "bad_json", "", "", "one JSON object expected; more follows it")), 0
	}
	s, enc, e := h.submission(acct, &req)
	if e != nil {
		return e.Status, encodeError(e), 0
	}
	sent, err := h.o.Backend.Send(ctx, s)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			h.o.Log.Error("http api: send failed", "account", acct, "err", err)
			e = Errorf(500, "internal", "", "ESME_RSYSERR", "internal error (logged by the gateway)")
		}
		return e.Status, encodeError(e), e.RetryAfter
	}
	b, err := json.Marshal(SendResponse{Messages: sent, Segments: len(s.Segments), Encoding: enc, Reference: s.Reference})
	if err != nil {
		return 500, encodeError(Errorf(500, "internal", "", "", "encoding the answer: %v", err)), 0
	}
	return 201, b, 0
}

// writeAnswer writes an answer made by sendBody.
func writeAnswer(w http.ResponseWriter, status int, body []byte, retry time.Duration) {
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	}
	writeRaw(w, status, body)
}

// jsonError names what json could not decode.
func jsonError(err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return Errorf(400, "bad_json", "", "", "the body is not JSON (at byte %d): %v", syn.Offset, err)
	case errors.As(err, &typ):
		return Errorf(400, "bad_json", typ.Field, "", "%s: want a JSON %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Errorf(400, "unknown_field", f, "", "unknown field %q (see /v1/openapi.json)", f)
	case errors.Is(err, io.EOF):
		return Errorf(400, "bad_json", "", "", "the body is empty: send a JSON object")
	}
	return Errorf(400, "bad_json", "", "", "the body is not valid JSON: %v", err)
}

// get serves GET /v1/messages/{id}.
func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	acct := h.authenticate(w, r)
	if acct == "" {
		return
	}
	m, err := h.o.Backend.Message(r.Context(), acct, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, 200, m)
}

// cancel serves DELETE /v1/messages/{id}.
func (h *handler) cancel(w http.ResponseWriter, r *http.Request) {
	acct := h.authenticate(w, r)
	if acct == "" {
		return
	}
	if err := h.o.Backend.Cancel(r.Context(), acct, r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// keyLocks serializes the requests of one idempotency key.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

// lock takes the key's lock and returns its release.
func (l *keyLocks) lock(key string) func() {
	l.mu.Lock()
	k := l.m[key]
	if k == nil {
		k = &keyLock{}
		l.m[key] = k
	}
	k.refs++
	l.mu.Unlock()
	k.mu.Lock()
	return func() {
		k.mu.Unlock()
		l.mu.Lock()
		if k.refs--; k.refs == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
}
