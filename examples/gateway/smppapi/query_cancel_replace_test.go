package smppapi

import (
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// query_sm answers the state of the account's own messages, and of
// another account's as of an id unknown.
func TestQuerySM(t *testing.T) {
	alice := newFixture(t, "alice", nil, nil)
	bob := newFixture(t, "bob", alice.store, nil)
	id := alice.submit(t)

	w := serve(t, alice.querySM, &pdu.QuerySM{MessageID: id})
	if r, ok := w.body.(*pdu.QuerySMResp); w.status != 0 || !ok || r.MessageID != id || r.MessageState != pdu.StateEnroute || r.FinalDate != "" {
		t.Errorf("queued: %+v %v", w.body, w.status)
	}
	if w := serve(t, bob.querySM, &pdu.QuerySM{MessageID: id}); w.status != pdu.ESME_RQUERYFAIL {
		t.Errorf("another account's: %v, want ESME_RQUERYFAIL", w.status)
	}
	if w := serve(t, alice.querySM, &pdu.QuerySM{MessageID: "nope"}); w.status != pdu.ESME_RQUERYFAIL {
		t.Errorf("unknown: %v, want ESME_RQUERYFAIL", w.status)
	}

	done := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	m := alice.get(t, id)
	m.State, m.Error, m.Done = store.Undeliverable, 11, done
	if err := alice.store.Update(m); err != nil {
		t.Fatal(err)
	}
	w = serve(t, alice.querySM, &pdu.QuerySM{MessageID: id})
	if r := w.body.(*pdu.QuerySMResp); w.status != 0 || r.MessageState != pdu.StateUndeliverable || r.ErrorCode != 11 || r.FinalDate != pdu.FormatAbsolute(done) {
		t.Errorf("final: %+v %v", r, w.status)
	}
}

// cancel_sm deletes the account's own queued message; another account's is
// an id unknown, and one no longer queued cannot be cancelled.
func TestCancelSM(t *testing.T) {
	alice := newFixture(t, "alice", nil, nil)
	bob := newFixture(t, "bob", alice.store, nil)

	id := alice.submit(t)
	if w := serve(t, bob.cancelSM, &pdu.CancelSM{MessageID: id}); w.status != pdu.ESME_RINVMSGID {
		t.Errorf("another account's: %v, want ESME_RINVMSGID", w.status)
	}
	if m := alice.get(t, id); m.State != store.Queued {
		t.Fatalf("another account's cancel changed it: %v", m.State)
	}
	if w := serve(t, alice.cancelSM, &pdu.CancelSM{MessageID: "nope"}); w.status != pdu.ESME_RINVMSGID {
		t.Errorf("unknown: %v, want ESME_RINVMSGID", w.status)
	}
	if w := serve(t, alice.cancelSM, &pdu.CancelSM{SourceAddr: "1000", DestinationAddr: "254700000001"}); w.status != pdu.ESME_RCANCELFAIL {
		t.Errorf("by address: %v, want ESME_RCANCELFAIL", w.status)
	}
	if w := serve(t, alice.cancelSM, &pdu.CancelSM{MessageID: id}); w.status != 0 {
		t.Fatalf("own queued: %v", w.status)
	}
	if m := alice.get(t, id); m.State != store.Deleted || m.Done.IsZero() {
		t.Errorf("cancelled: state %v, done %v", m.State, m.Done)
	}
	if w := serve(t, alice.cancelSM, &pdu.CancelSM{MessageID: id}); w.status != pdu.ESME_RCANCELFAIL {
		t.Errorf("again: %v, want ESME_RCANCELFAIL", w.status)
	}

	for _, s := range []store.State{store.Inflight, store.Enroute, store.Delivered} {
		id := alice.submit(t)
		alice.setState(t, id, s)
		if w := serve(t, alice.cancelSM, &pdu.CancelSM{MessageID: id}); w.status != pdu.ESME_RCANCELFAIL {
			t.Errorf("%v: %v, want ESME_RCANCELFAIL", s, w.status)
		}
		if m := alice.get(t, id); m.State != s {
			t.Errorf("%v changed to %v", s, m.State)
		}
	}
}

// A cancel_sm racing a dispatch: the dispatcher's Inflight mark written
// between the cancel's read and its write wins (ErrConflict), and the
// cancel fails; a change that leaves the message queued (a replace) is
// read again and the cancel succeeds.
func TestCancelSMRacing(t *testing.T) {
	for _, c := range []struct {
		name  string
		other func(m *store.Message) error // the write that gets there first
		want  pdu.Status
		state store.State
	}{
		{"dispatch first", func(m *store.Message) error {
			m.State = store.Inflight
			return nil
		}, pdu.ESME_RCANCELFAIL, store.Inflight},
		{"another change first", func(m *store.Message) error {
			m.Body = append([]byte(nil), m.Body...)
			return nil
		}, 0, store.Deleted},
	} {
		t.Run(c.name, func(t *testing.T) {
			mem := store.NewMemory()
			defer mem.Close()
			hs := &hookStore{Memory: mem}
			f := newFixture(t, "alice", mem, hs)
			id := f.submit(t)
			hs.beforeUpdate = func() {
				m := f.get(t, id)
				if err := c.other(m); err != nil {
					t.Fatal(err)
				}
				if err := mem.Update(m); err != nil {
					t.Fatal(err)
				}
			}
			if w := serve(t, f.cancelSM, &pdu.CancelSM{MessageID: id}); w.status != c.want {
				t.Errorf("cancel: %v, want %v", w.status, c.want)
			}
			if m := f.get(t, id); m.State != c.state {
				t.Errorf("state %v, want %v", m.State, c.state)
			}
			if f.metrics.storeErrors != 0 {
				t.Errorf("%d store errors counted for a conflict", f.metrics.storeErrors)
			}
		})
	}
}

// A cancel_sm the store fails to record is ESME_RSYSERR, counted.
func TestCancelSMStoreFails(t *testing.T) {
	mem := store.NewMemory()
	defer mem.Close()
	hs := &hookStore{Memory: mem}
	f := newFixture(t, "alice", mem, hs)
	id := f.submit(t)
	hs.fail = errDisk
	if w := serve(t, f.cancelSM, &pdu.CancelSM{MessageID: id}); w.status != pdu.ESME_RSYSERR {
		t.Errorf("%v, want ESME_RSYSERR", w.status)
	}
	if f.metrics.storeErrors != 1 {
		t.Errorf("%d store errors counted, want 1", f.metrics.storeErrors)
	}
}

// replace_sm changes the account's own queued submit_sm: its text (a
// message_payload dropped), schedule, validity and registered_delivery.
func TestReplaceSM(t *testing.T) {
	alice := newFixture(t, "alice", nil, nil)
	bob := newFixture(t, "bob", alice.store, nil)
	sm := &pdu.SubmitSM{SourceAddr: "1000", DestinationAddr: "254700000001"}
	sm.TLVs.Set(tlv.MessagePayload, []byte("a long text"))
	w := serve(t, alice.submitSM, sm)
	if w.status != 0 {
		t.Fatal(w.status)
	}
	id := w.body.(*pdu.SubmitSMResp).MessageID
	exp := time.Now().Add(5 * time.Hour).Truncate(time.Second)
	sched := time.Now().Add(time.Hour).Truncate(time.Second)
	rp := &pdu.ReplaceSM{MessageID: id, ShortMessage: []byte("new"), RegisteredDelivery: 1,
		ValidityPeriod: pdu.FormatAbsolute(exp), ScheduleDeliveryTime: pdu.FormatAbsolute(sched)}

	if w := serve(t, bob.replaceSM, rp); w.status != pdu.ESME_RINVMSGID {
		t.Errorf("another account's: %v, want ESME_RINVMSGID", w.status)
	}
	if w := serve(t, alice.replaceSM, &pdu.ReplaceSM{MessageID: "nope"}); w.status != pdu.ESME_RINVMSGID {
		t.Errorf("unknown: %v, want ESME_RINVMSGID", w.status)
	}
	if w := serve(t, alice.replaceSM, rp); w.status != 0 {
		t.Fatalf("own queued: %v", w.status)
	}
	m := alice.get(t, id)
	var got pdu.SubmitSM
	if err := got.UnmarshalBinary(m.Body); err != nil {
		t.Fatal(err)
	}
	if got.TLVs.Has(tlv.MessagePayload) || string(got.ShortMessage) != "new" || got.RegisteredDelivery != 1 ||
		m.Registered != 1 || !m.Expires.Equal(exp) || !m.NextTry.Equal(sched) || m.State != store.Queued {
		t.Errorf("replaced: %+v, body %+v", m, got)
	}

	// Not a submit_sm, not queued.
	w = serve(t, alice.dataSM, &pdu.DataSM{SourceAddr: "1000", DestinationAddr: "254700000001"})
	if w.status != 0 {
		t.Fatal(w.status)
	}
	if w := serve(t, alice.replaceSM, &pdu.ReplaceSM{MessageID: w.body.(*pdu.DataSMResp).MessageID}); w.status != pdu.ESME_RREPLACEFAIL {
		t.Errorf("a data_sm: %v, want ESME_RREPLACEFAIL", w.status)
	}
	alice.setState(t, id, store.Enroute)
	if w := serve(t, alice.replaceSM, rp); w.status != pdu.ESME_RREPLACEFAIL {
		t.Errorf("enroute: %v, want ESME_RREPLACEFAIL", w.status)
	}
}

// A replace_sm racing a dispatch fails; one racing another change that
// leaves the message queued is decided again and succeeds; one the store
// fails to record is ESME_RSYSERR, counted.
func TestReplaceSMRacing(t *testing.T) {
	for _, c := range []struct {
		name   string
		state  store.State // what the other writer leaves
		fail   error
		want   pdu.Status
		errors int
	}{
		{name: "dispatch first", state: store.Inflight, want: pdu.ESME_RREPLACEFAIL},
		{name: "another change first", state: store.Queued, want: 0},
		{name: "store fails", fail: errDisk, want: pdu.ESME_RSYSERR, errors: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			mem := store.NewMemory()
			defer mem.Close()
			hs := &hookStore{Memory: mem}
			f := newFixture(t, "alice", mem, hs)
			id := f.submit(t)
			hs.fail = c.fail
			if c.fail == nil {
				hs.beforeReplace = func() { f.setState(t, id, c.state) }
			}
			if w := serve(t, f.replaceSM, &pdu.ReplaceSM{MessageID: id, ShortMessage: []byte("new")}); w.status != c.want {
				t.Errorf("replace: %v, want %v", w.status, c.want)
			}
			m := f.get(t, id)
			var sm pdu.SubmitSM
			if err := sm.UnmarshalBinary(m.Body); err != nil {
				t.Fatal(err)
			}
			if replaced := string(sm.ShortMessage) == "new"; replaced != (c.want == 0) {
				t.Errorf("text %q after %v", sm.ShortMessage, c.want)
			}
			if f.metrics.storeErrors != c.errors {
				t.Errorf("%d store errors counted, want %d", f.metrics.storeErrors, c.errors)
			}
		})
	}
}
