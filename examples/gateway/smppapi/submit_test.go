package smppapi

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
)

// A routed submit_sm is stored Queued with the request's own body, its
// account, bind and default validity, and answered with its id.
func TestSubmitSMAccepted(t *testing.T) {
	f := newFixture(t, "alice", nil, nil)
	sm := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", RegisteredDelivery: 1, ShortMessage: []byte("hello")}
	r := request(t, sm)
	w := &writer{}
	before := time.Now()
	f.submitSM(w, r)
	if w.n != 1 || w.status != 0 {
		t.Fatalf("answered %d times, status %v", w.n, w.status)
	}
	id := w.body.(*pdu.SubmitSMResp).MessageID
	m := f.get(t, id)
	if m.Account != "alice" || m.State != store.Queued || m.Command != uint32(pdu.SubmitSMID) || m.Bind != "bind-1" ||
		m.Source != "1000" || m.Dest != "254700000001" || m.Registered != 1 || !bytes.Equal(m.Body, r.Body) || !m.NextTry.IsZero() {
		t.Errorf("stored %+v", m)
	}
	if m.Expires.Before(before.Add(validity)) || m.Expires.After(time.Now().Add(validity)) {
		t.Errorf("expires %v, want the default validity (%v) after %v", m.Expires, validity, before)
	}
	want := []answer{{"alice", "submit_sm", 0}}
	if got := f.metrics.answers; len(got) != 1 || got[0] != want[0] || f.metrics.latencies != 1 {
		t.Errorf("metrics: answers %v, latencies %d; want %v, 1", got, f.metrics.latencies, want)
	}
}

// A validity_period and a schedule_delivery_time are the message's expiry
// and its first try; a schedule already past is none.
func TestSubmitSMValidityAndSchedule(t *testing.T) {
	f := newFixture(t, "alice", nil, nil)
	exp := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	sched := time.Now().Add(time.Hour).Truncate(time.Second)
	w := serve(t, f.submitSM, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001",
		ValidityPeriod: pdu.FormatAbsolute(exp), ScheduleDeliveryTime: pdu.FormatAbsolute(sched)})
	if w.status != 0 {
		t.Fatal(w.status)
	}
	m := f.get(t, w.body.(*pdu.SubmitSMResp).MessageID)
	if !m.Expires.Equal(exp) || !m.NextTry.Equal(sched) {
		t.Errorf("expires %v, next try %v; want %v, %v", m.Expires, m.NextTry, exp, sched)
	}
	w = serve(t, f.submitSM, &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001",
		ScheduleDeliveryTime: pdu.FormatAbsolute(time.Now().Add(-time.Hour))})
	if w.status != 0 {
		t.Fatal(w.status)
	}
	if m := f.get(t, w.body.(*pdu.SubmitSMResp).MessageID); !m.NextTry.IsZero() {
		t.Errorf("a schedule in the past: next try %v, want none", m.NextTry)
	}
}

// Every refusal is answered once, counted, and stores nothing.
func TestSubmitRefusals(t *testing.T) {
	ok := func() *pdu.SubmitSM {
		return &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001", ShortMessage: []byte("hi")}
	}
	for _, c := range []struct {
		name      string
		sm        func(*pdu.SubmitSM)
		throttled bool
		fail      error
		want      pdu.Status
		counted   bool
	}{
		{name: "no route", sm: func(sm *pdu.SubmitSM) { sm.DestinationAddr = "33600000001" }, want: pdu.ESME_RINVDSTADR, counted: true},
		{name: "no destination", sm: func(sm *pdu.SubmitSM) { sm.DestinationAddr = "" }, want: pdu.ESME_RINVDSTADR, counted: true},
		{name: "source too long", sm: func(sm *pdu.SubmitSM) { sm.SourceAddr = strings.Repeat("1", 21) }, want: pdu.ESME_RINVSRCADR, counted: true},
		{name: "destination too long", sm: func(sm *pdu.SubmitSM) { sm.DestinationAddr = "254" + strings.Repeat("7", 18) }, want: pdu.ESME_RINVDSTADR, counted: true},
		{name: "validity unreadable", sm: func(sm *pdu.SubmitSM) { sm.ValidityPeriod = "not a time" }, want: pdu.ESME_RINVEXPIRY, counted: true},
		{name: "schedule unreadable", sm: func(sm *pdu.SubmitSM) { sm.ScheduleDeliveryTime = "not a time" }, want: pdu.ESME_RINVSCHED, counted: true},
		{name: "throttled", throttled: true, want: pdu.ESME_RTHROTTLED},
		{name: "queue full", fail: queue.ErrFull, want: pdu.ESME_RMSGQFUL, counted: true},
		{name: "store failed", fail: errDisk, want: pdu.ESME_RSYSERR, counted: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			mem := store.NewMemory()
			defer mem.Close()
			f := newFixture(t, "alice", mem, &hookStore{Memory: mem, fail: c.fail})
			f.throttled = c.throttled
			sm := ok()
			if c.sm != nil {
				c.sm(sm)
			}
			if w := serve(t, f.submitSM, sm); w.status != c.want || w.body != nil {
				t.Errorf("answered %v %v, want %v", w.body, w.status, c.want)
			}
			if last, err := mem.LastID(); err != nil || last != "" {
				t.Errorf("stored %q (%v), want nothing", last, err)
			}
			var want []answer
			if c.counted {
				want = []answer{{"alice", "submit_sm", c.want}}
			}
			if got := f.metrics.answers; len(got) != len(want) || (len(want) == 1 && got[0] != want[0]) || f.metrics.latencies != 0 {
				t.Errorf("metrics: answers %v, latencies %d; want %v, 0", got, f.metrics.latencies, want)
			}
		})
	}
}

// A request on a connection with no account is refused ESME_RSYSERR.
func TestNoAccount(t *testing.T) {
	f := newFixture(t, "", nil, nil)
	for _, c := range []struct {
		h func(server.ResponseWriter, *server.Request)
		p pdu.PDU
	}{
		{f.submitSM, &pdu.SubmitSM{DestinationAddr: "254700000001"}},
		{f.dataSM, &pdu.DataSM{DestinationAddr: "254700000001"}},
		{f.submitMulti, &pdu.SubmitMulti{Dests: []pdu.DestAddress{{Flag: pdu.DestFlagSME, DestinationAddr: "254700000001"}}}},
		{f.cancelSM, &pdu.CancelSM{MessageID: "id1"}},
		{f.replaceSM, &pdu.ReplaceSM{MessageID: "id1"}},
	} {
		if w := serve(t, c.h, c.p); w.status != pdu.ESME_RSYSERR {
			t.Errorf("%s: %v, want ESME_RSYSERR", c.p.CommandID(), w.status)
		}
	}
	if w := serve(t, f.querySM, &pdu.QuerySM{MessageID: "id1"}); w.status != pdu.ESME_RQUERYFAIL {
		t.Errorf("query_sm: %v, want ESME_RQUERYFAIL", w.status)
	}
}

// data_sm is stored as a data_sm with the default validity; it is refused
// as submit_sm is.
func TestDataSM(t *testing.T) {
	f := newFixture(t, "alice", nil, nil)
	ds := &pdu.DataSM{SourceAddr: "1000", DestinationAddr: "254700000001", RegisteredDelivery: 1}
	r := request(t, ds)
	w := &writer{}
	f.dataSM(w, r)
	if w.status != 0 {
		t.Fatal(w.status)
	}
	m := f.get(t, w.body.(*pdu.DataSMResp).MessageID)
	if m.Command != uint32(pdu.DataSMID) || m.Account != "alice" || m.Bind != "bind-1" || m.Registered != 1 || !bytes.Equal(m.Body, r.Body) || m.Expires.IsZero() {
		t.Errorf("stored %+v", m)
	}
	if w := serve(t, f.dataSM, &pdu.DataSM{SourceAddr: "1000", DestinationAddr: "33600000001"}); w.status != pdu.ESME_RINVDSTADR {
		t.Errorf("no route: %v", w.status)
	}
	f.throttled = true
	if w := serve(t, f.dataSM, ds); w.status != pdu.ESME_RTHROTTLED {
		t.Errorf("throttled: %v", w.status)
	}
	want := []answer{{"alice", "data_sm", 0}, {"alice", "data_sm", pdu.ESME_RINVDSTADR}}
	if got := f.metrics.answers; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("answers %v, want %v", got, want)
	}
}

// submit_multi stores a submit_sm per routed SME destination, "<id>-<n>"
// by the destination's place, and lists the others as unsuccessful.
func TestSubmitMulti(t *testing.T) {
	f := newFixture(t, "alice", nil, nil)
	mm := &pdu.SubmitMulti{SourceAddr: "1000", ShortMessage: []byte("hi"), RegisteredDelivery: 1, Dests: []pdu.DestAddress{
		{Flag: pdu.DestFlagSME, DestinationAddr: "254700000001"},
		{Flag: pdu.DestFlagList, DLName: "friends"},
		{Flag: pdu.DestFlagSME, DestAddrTON: 1, DestinationAddr: "33600000001"},
		{Flag: pdu.DestFlagSME, DestinationAddr: "254700000002"},
	}}
	w := serve(t, f.submitMulti, mm)
	if w.status != 0 {
		t.Fatal(w.status)
	}
	resp := w.body.(*pdu.SubmitMultiResp)
	wantUnsuccess := []pdu.UnsuccessSME{
		{DestinationAddr: "friends", ErrorStatusCode: pdu.ESME_RINVDLNAME},
		{DestAddrTON: 1, DestinationAddr: "33600000001", ErrorStatusCode: pdu.ESME_RINVDSTADR},
	}
	if len(resp.Unsuccess) != 2 || resp.Unsuccess[0] != wantUnsuccess[0] || resp.Unsuccess[1] != wantUnsuccess[1] {
		t.Errorf("unsuccess %+v, want %+v", resp.Unsuccess, wantUnsuccess)
	}
	for _, c := range []struct{ id, dest string }{{resp.MessageID + "-1", "254700000001"}, {resp.MessageID + "-4", "254700000002"}} {
		m := f.get(t, c.id)
		var sm pdu.SubmitSM
		if err := sm.UnmarshalBinary(m.Body); err != nil {
			t.Fatal(err)
		}
		if m.Command != uint32(pdu.SubmitSMID) || m.Dest != c.dest || sm.DestinationAddr != c.dest || string(sm.ShortMessage) != "hi" ||
			m.Registered != 1 || m.Bind != "bind-1" || m.State != store.Queued {
			t.Errorf("%s: stored %+v, body %+v", c.id, m, sm)
		}
	}
	for _, n := range []string{"-2", "-3"} {
		if _, err := f.store.Get(resp.MessageID + n); err == nil {
			t.Errorf("%s%s stored", resp.MessageID, n)
		}
	}
	// None accepted: ESME_RSUBMITFAIL.
	mm.Dests = mm.Dests[1:3]
	if w := serve(t, f.submitMulti, mm); w.status != pdu.ESME_RSUBMITFAIL {
		t.Errorf("no destination accepted: %v", w.status)
	}
	want := []answer{{"alice", "submit_multi", 0}, {"alice", "submit_multi", pdu.ESME_RSUBMITFAIL}}
	if got := f.metrics.answers; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("answers %v, want %v", got, want)
	}
}

// Expiry: a validity given is kept, none is the default from now.
func TestExpiry(t *testing.T) {
	f := newFixture(t, "alice", nil, nil)
	now := time.Now()
	if got := f.Expiry(time.Time{}, now); !got.Equal(now.Add(validity)) {
		t.Errorf("none given: %v", got)
	}
	given := now.Add(time.Minute)
	if got := f.Expiry(given, now); !got.Equal(given) {
		t.Errorf("given: %v", got)
	}
	if got := New(Options{}).Expiry(time.Time{}, now); !got.Equal(now.Add(DefaultValidity)) {
		t.Errorf("no DefaultValidity option: %v", got)
	}
}
