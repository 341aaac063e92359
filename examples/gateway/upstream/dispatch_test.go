package upstream

import (
	"context"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
	"github.com/esmsafrica/smpp/examples/gateway/store"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// The claim protocol: the record read at claim time decides what a ticket
// means (no SMSC is bound here, so nothing is sent).
func TestClaimProtocol(t *testing.T) {
	for _, c := range []struct {
		name string
		// prepare changes the accepted message (nil: leave it Queued) and
		// returns the ticket's revision.
		prepare   func(t *testing.T, st store.Store, m *store.Message) uint64
		dedupe    tlv.Tag
		acked     bool
		state     store.State
		delivered int // receipts made for the ESME
	}{
		{name: "purged", prepare: func(t *testing.T, st store.Store, m *store.Message) uint64 { m.ID = "gone"; return 1 }, acked: true},
		{name: "reader behind", prepare: func(*testing.T, store.Store, *store.Message) uint64 { return 5 }, state: store.Queued},
		{name: "final", prepare: update(store.Delivered), acked: true, state: store.Delivered},
		{name: "enroute", prepare: update(store.Enroute), acked: true, state: store.Enroute},
		{name: "in flight without dedupe: UNKNOWN", prepare: update(store.Inflight), acked: true, state: store.Unknown, delivered: 1},
		{name: "in flight with dedupe: sent again", prepare: update(store.Inflight), dedupe: 0x1400, state: store.Inflight},
		{name: "expired", prepare: func(t *testing.T, st store.Store, m *store.Message) uint64 {
			m.Expires = time.Now().Add(-time.Second)
			if err := st.Replace(m); err != nil {
				t.Fatal(err)
			}
			return m.Rev
		}, acked: true, state: store.Expired, delivered: 1},
		{name: "scheduled", prepare: func(t *testing.T, st store.Store, m *store.Message) uint64 {
			m.NextTry = time.Now().Add(time.Hour)
			return mustUpdate(t, st, m)
		}, state: store.Queued},
		{name: "no upstream bound", state: store.Queued},
	} {
		t.Run(c.name, func(t *testing.T) {
			added := 0
			d, st := newTest(t, Options{Routes: routes{route: []string{"sim"}, dedupe: map[string]tlv.Tag{"sim": c.dedupe}},
				DeliveryAdded: func(string) { added++ }})
			m := accept(t, st, "0000000000000001", 1)
			rev := uint64(1)
			if c.prepare != nil {
				rev = c.prepare(t, st, m)
			}
			fc := &fakeClaim{t: queue.Ticket{ID: m.ID, Rev: rev}}
			d.dispatch(fc)
			if got := fc.acked == 1; got != c.acked || fc.acked+fc.naked != 1 {
				t.Fatalf("%d acks, %d naks; want acked %v, once", fc.acked, fc.naked, c.acked)
			}
			if c.name == "purged" {
				return
			}
			got, err := st.Get(m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != c.state {
				t.Errorf("state %v, want %v", got.State, c.state)
			}
			if added != c.delivered {
				t.Errorf("%d receipts made, want %d", added, c.delivered)
			}
		})
	}
}

// update returns a prepare step that writes the message in state s.
func update(s store.State) func(*testing.T, store.Store, *store.Message) uint64 {
	return func(t *testing.T, st store.Store, m *store.Message) uint64 {
		m.State, m.Route = s, "sim"
		return mustUpdate(t, st, m)
	}
}

func mustUpdate(t *testing.T, st store.Store, m *store.Message) uint64 {
	t.Helper()
	if err := st.Update(m); err != nil {
		t.Fatal(err)
	}
	return m.Rev
}

// A late submit_sm_resp to a message sent more than once (a retry, or a
// resend after a restart) must not bring back a stale version of a message
// whose receipt was already recorded: the answer's compare-and-set is
// refused, and the ticket acked all the same; a message sent once goes
// ENROUTE.
func TestLateAnswerToResendIsStale(t *testing.T) {
	d, st := newTest(t, Options{})
	u := &SMSC{d: d, name: "sim"}

	// The version a dispatcher sent (Inflight), then its receipt recorded
	// (an earlier send's) before the answer came.
	m := &store.Message{ID: "0000000000000001", Account: "demo", Command: uint32(pdu.SubmitSMID), State: store.Queued}
	if err := st.Accept(m); err != nil {
		t.Fatal(err)
	}
	m.State, m.Route, m.Attempts = store.Inflight, "sim", 2
	if err := st.Update(m); err != nil {
		t.Fatal(err)
	}
	stale := *m
	m.State, m.UpstreamID = store.Delivered, "first"
	if err := st.Update(m); err != nil {
		t.Fatal(err)
	}
	c := &fakeClaim{t: queue.Ticket{ID: m.ID, Rev: 1}}
	d.answered(u, &stale, c, "second", nil, time.Now())
	if got, err := st.Get(m.ID); err != nil || got.State != store.Delivered || got.UpstreamID != "first" {
		t.Fatalf("message after a late answer: %+v, %v; want it DELIVERED with upstream id first", got, err)
	}
	if c.acked != 1 || c.naked != 0 {
		t.Errorf("claim after a stale answer: %d acks, %d naks; want 1 ack", c.acked, c.naked)
	}

	// A message sent once: its answer is recorded.
	once := &store.Message{ID: "0000000000000002", Account: "demo", Command: uint32(pdu.SubmitSMID), State: store.Queued}
	if err := st.Accept(once); err != nil {
		t.Fatal(err)
	}
	once.State, once.Route, once.Attempts = store.Inflight, "sim", 1
	if err := st.Update(once); err != nil {
		t.Fatal(err)
	}
	c = &fakeClaim{t: queue.Ticket{ID: once.ID, Rev: 1}}
	d.answered(u, once, c, "only", nil, time.Now())
	if got, err := st.Get(once.ID); err != nil || got.State != store.Enroute || got.UpstreamID != "only" {
		t.Fatalf("message sent once: %+v, %v; want ENROUTE with upstream id only", got, err)
	}
	if c.acked != 1 {
		t.Errorf("claim after the answer: %d acks; want 1", c.acked)
	}
}

// How each kind of answer resolves a submit: sent again (Queued, naked),
// in doubt (UNKNOWN without a dedupe key, sent again with one), refused
// (REJECTD).
func TestAnswers(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		dedupe tlv.Tag
		state  store.State
		naked  bool
	}{
		{name: "throttled", err: pdu.ESME_RTHROTTLED, state: store.Queued, naked: true},
		{name: "unbinding", err: pdu.ESME_RINVBNDSTS, state: store.Queued, naked: true},
		{name: "timeout without dedupe", err: context.Canceled, state: store.Unknown},
		{name: "timeout with dedupe", err: context.Canceled, dedupe: 0x1400, state: store.Queued, naked: true},
		{name: "refused", err: pdu.ESME_RINVDSTADR, state: store.Rejected},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, st := newTest(t, Options{})
			m := accept(t, st, "0000000000000001", 0)
			m.State, m.Route, m.Attempts = store.Inflight, "sim", 1
			mustUpdate(t, st, m)
			fc := &fakeClaim{t: queue.Ticket{ID: m.ID, Rev: 1}}
			d.answered(&SMSC{d: d, name: "sim", dedupe: c.dedupe}, m, fc, "", c.err, time.Now())
			got, err := st.Get(m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != c.state {
				t.Errorf("state %v, want %v", got.State, c.state)
			}
			if (fc.naked == 1) != c.naked || fc.acked+fc.naked != 1 {
				t.Errorf("%d acks, %d naks; want naked %v, once", fc.acked, fc.naked, c.naked)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	for _, c := range []struct {
		attempts int
		want     time.Duration
	}{{0, retryBackoff}, {1, 2 * retryBackoff}, {3, 8 * retryBackoff}, {7, maxBackoff}, {40, maxBackoff}} {
		if got := retryDelay(&store.Message{Attempts: c.attempts}); got != c.want {
			t.Errorf("retryDelay after %d attempts = %v, want %v", c.attempts, got, c.want)
		}
	}
	// Never past the message's validity.
	m := &store.Message{Attempts: 7, Expires: time.Now().Add(-time.Minute)}
	if got := backoff(m); got != 0 {
		t.Errorf("backoff of an expired message = %v, want 0", got)
	}
}

// A stored request goes out without its schedule_delivery_time and with
// the message id as the value of the SMSC's dedupe TLV, in one allocation.
func TestDecodeRequest(t *testing.T) {
	ds, _ := (&pdu.DataSM{SourceAddr: "1", DestinationAddr: "2"}).AppendBinary(nil)
	p, err := decodeRequest(&store.Message{ID: "0123456789abcdef", Command: uint32(pdu.DataSMID), Body: ds}, 0x1501)
	if v, ok := p.(*pdu.DataSM); err != nil || !ok || v.DestinationAddr != "2" {
		t.Fatalf("data_sm decoded as %#v, %v", p, err)
	} else if k, _ := v.TLVs.Lookup(0x1501); string(k) != "0123456789abcdef\x00" {
		t.Errorf("data_sm dedupe key %q", k)
	}
	sm := &pdu.SubmitSM{SourceAddr: "1", DestinationAddr: "3", ScheduleDeliveryTime: "000000010000000R"}
	sm.TLVs.SetUserMessageReference(7)
	ss, _ := sm.AppendBinary(nil)
	m := &store.Message{ID: "0123456789abcdef", Command: uint32(pdu.SubmitSMID), Body: ss}
	p, err = decodeRequest(m, 0x1501)
	v, ok := p.(*pdu.SubmitSM)
	if err != nil || !ok || v.DestinationAddr != "3" {
		t.Fatalf("submit_sm decoded as %#v, %v", p, err)
	}
	if v.ScheduleDeliveryTime != "" {
		t.Errorf("schedule_delivery_time %q kept", v.ScheduleDeliveryTime)
	}
	if r, ok := v.TLVs.UserMessageReference(); !ok || r != 7 {
		t.Errorf("user_message_reference %d, %v", r, ok)
	}
	if k, _ := v.TLVs.Lookup(0x1501); string(k) != "0123456789abcdef\x00" {
		t.Errorf("submit_sm dedupe key %q", k)
	}
	p, _ = decodeRequest(m, 0)
	if _, ok := p.(*pdu.SubmitSM).TLVs.Lookup(0x1501); ok {
		t.Error("a dedupe TLV without a dedupe tag")
	}
	if n := testing.AllocsPerRun(100, func() { p, err = decodeRequest(m, 0x1501) }); n != 1 {
		t.Errorf("decodeRequest: %v allocations, want 1", n)
	}
}

// Started with no SMSC, the dispatchers wait for one, and Stop ends them.
func TestStartStop(t *testing.T) {
	d, _ := newTest(t, Options{})
	d.Start()
	d.Stop(context.Background())
}
