package smppapi

import (
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// chanWriter sends each answer to a channel: offLoop answers from a
// goroutine of its own.
type chanWriter chan pdu.Status

func (w chanWriter) Respond(_ pdu.PDU, st pdu.Status) error { w <- st; return nil }
func (chanWriter) Hold()                                    {}

// A handler run off the read loop that panics is answered ESME_RSYSERR,
// one that returns without answering gets the default status, and the
// process goes on.
func TestOffLoopAnswers(t *testing.T) {
	f := newFixture(t, "alice", nil, nil)
	r := request(t, &pdu.QuerySM{MessageID: "id1"})
	w := make(chanWriter, 2)
	f.offLoop(func(server.ResponseWriter, *server.Request) { panic("boom") })(w, r)
	if st := <-w; st != pdu.ESME_RSYSERR {
		t.Fatalf("a panicking handler answered %v, want ESME_RSYSERR", st)
	}
	f.offLoop(func(server.ResponseWriter, *server.Request) {})(w, r)
	if st, want := <-w, server.DefaultStatus(pdu.QuerySMID); st != want {
		t.Fatalf("a handler that did not answer: %v, want %v", st, want)
	}
}
