package smppapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// writer records the answer to one request.
type writer struct {
	n      int
	body   pdu.PDU
	status pdu.Status
}

func (w *writer) Respond(body pdu.PDU, st pdu.Status) error {
	w.n++
	w.body, w.status = body, st
	return nil
}

func (w *writer) Hold() {}

// ids counts: "id1", "id2"...
type ids struct {
	mu sync.Mutex
	n  int
}

func (g *ids) Next() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return fmt.Sprintf("id%d", g.n)
}

// prefixRoutes routes the destinations starting with one of its prefixes
// to the SMSC "smsc".
type prefixRoutes []string

func (p prefixRoutes) Route(_, _, dst string) []string {
	for _, x := range p {
		if strings.HasPrefix(dst, x) {
			return []string{"smsc"}
		}
	}
	return nil
}

// answer is one call of Metrics.Answered.
type answer struct {
	account, command string
	status           pdu.Status
}

// metrics records what it is told.
type metrics struct {
	mu          sync.Mutex
	answers     []answer
	latencies   int
	storeErrors int
}

func (m *metrics) Answered(acct, cmd string, st pdu.Status) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.answers = append(m.answers, answer{acct, cmd, st})
}

func (m *metrics) SubmitLatency(string, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.latencies++
}

func (m *metrics) StoreError() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.storeErrors++
}

// validity is the fixture's default validity.
const validity = 3 * time.Hour

// fixture is an account's Handlers on a store, with what it counts.
type fixture struct {
	*Handlers
	store     *store.Memory
	metrics   *metrics
	throttled bool // Throttle answers ESME_RTHROTTLED
}

// newFixture returns account acct's Handlers on mem (a new store.Memory
// when nil) through st (mem itself when nil), routing the destinations
// starting with "254".
func newFixture(t *testing.T, acct string, mem *store.Memory, st Store) *fixture {
	t.Helper()
	if mem == nil {
		mem = store.NewMemory()
		t.Cleanup(func() { mem.Close() })
	}
	if st == nil {
		st = mem
	}
	f := &fixture{store: mem, metrics: &metrics{}}
	f.Handlers = New(Options{
		Store:   st,
		IDs:     &ids{},
		Routes:  prefixRoutes{"254"},
		Account: func(*server.Request) (string, bool) { return acct, acct != "" },
		Throttle: func(w server.ResponseWriter, _ *server.Request) bool {
			if f.throttled {
				w.Respond(nil, pdu.ESME_RTHROTTLED)
			}
			return f.throttled
		},
		Bind:            func(*server.Request) string { return "bind-1" },
		DefaultValidity: func() time.Duration { return validity },
		Metrics:         f.metrics,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return f
}

// request returns the request of body p as an ESME sends it. A body
// beyond SMPP's limits (read leniently) has no strict encoding: its Body is
// nil, which the handlers never store.
func request(t *testing.T, p pdu.PDU) *server.Request {
	t.Helper()
	body, _ := p.AppendBinary(nil)
	return &server.Request{Header: pdu.Header{ID: p.CommandID(), Sequence: 1}, PDU: p, Body: body}
}

// serve runs handler h on p and returns the answer, checking that there is
// exactly one.
func serve(t *testing.T, h func(server.ResponseWriter, *server.Request), p pdu.PDU) *writer {
	t.Helper()
	w := &writer{}
	h(w, request(t, p))
	if w.n != 1 {
		t.Fatalf("%s answered %d times", p.CommandID(), w.n)
	}
	return w
}

// submit submits a routed submit_sm through f and returns its id.
func (f *fixture) submit(t *testing.T) string {
	t.Helper()
	w := serve(t, f.submitSM, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("hello")})
	if w.status != 0 {
		t.Fatalf("submit_sm: %v", w.status)
	}
	return w.body.(*pdu.SubmitSMResp).MessageID
}

// get returns the stored message id.
func (f *fixture) get(t *testing.T, id string) *store.Message {
	t.Helper()
	m, err := f.store.Get(id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return m
}

// setState writes message id's state as a dispatcher would.
func (f *fixture) setState(t *testing.T, id string, s store.State) {
	t.Helper()
	m := f.get(t, id)
	m.State = s
	if err := f.store.Update(m); err != nil {
		t.Fatal(err)
	}
}

// hookStore is a store.Memory whose writes first run a hook (another
// writer getting there first) or fail.
type hookStore struct {
	*store.Memory
	beforeUpdate  func()
	beforeReplace func()
	fail          error
}

func (s *hookStore) Accept(m *store.Message) error {
	if s.fail != nil {
		return s.fail
	}
	return s.Memory.Accept(m)
}

func (s *hookStore) AcceptAsync(m *store.Message, then func(error)) { then(s.Accept(m)) }

func (s *hookStore) Update(m *store.Message) error {
	if f := s.beforeUpdate; f != nil {
		s.beforeUpdate = nil
		f()
	}
	if s.fail != nil {
		return s.fail
	}
	return s.Memory.Update(m)
}

func (s *hookStore) Replace(m *store.Message) error {
	if f := s.beforeReplace; f != nil {
		s.beforeReplace = nil
		f()
	}
	if s.fail != nil {
		return s.fail
	}
	return s.Memory.Replace(m)
}

// errDisk is a store that fails.
var errDisk = errors.New("disk on fire")
