package smppapi

import (
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// nopStore accepts everything and keeps nothing.
type nopStore struct{ store.Memory }

func (*nopStore) Accept(*store.Message) error { return nil }

func (*nopStore) AcceptAsync(_ *store.Message, then func(error)) { then(nil) }

// constID is an IDs that always gives the same id.
type constID string

func (c constID) Next() string { return string(c) }

// allRoutes routes every destination, to an SMSC of a configuration held
// (as the gateway's routes are).
type allRoutes []string

func (r allRoutes) Route(string, string, string) []string { return r }

// nopWriter answers nothing.
type nopWriter struct{}

func (nopWriter) Respond(pdu.PDU, pdu.Status) error { return nil }
func (nopWriter) Hold()                             {}

// The submit_sm path allocates the stored message, the callback that
// answers once it is stored, and the answer, nothing more: the dependencies
// are called through the interfaces and functions given once to New.
func TestSubmitSMAllocations(t *testing.T) {
	h := New(Options{
		Store:           &nopStore{},
		IDs:             constID("0000000000000001"),
		Routes:          allRoutes{"smsc"},
		Account:         func(*server.Request) (string, bool) { return "alice", true },
		Throttle:        func(server.ResponseWriter, *server.Request) bool { return false },
		Bind:            func(*server.Request) string { return "" },
		DefaultValidity: func() time.Duration { return validity },
		Metrics:         noMetrics{},
	})
	r := request(t, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("hello")})
	var w nopWriter
	if n := testing.AllocsPerRun(1000, func() { h.submitSM(w, r) }); n != 3 {
		t.Errorf("submit_sm: %v allocations, want 3 (the message, the callback and its submit_sm_resp)", n)
	}
}
