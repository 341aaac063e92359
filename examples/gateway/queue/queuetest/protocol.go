package queuetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// The claim protocol (see the queue package documentation), run by the
// tests below against a stand-in for the state part: cancel_sm and
// replace_sm change the record, never the queue, and a claimer resolves
// each ticket against the record it reads at claim time.

type recState uint8

const (
	queued recState = iota + 1
	inflight
	sent
	cancelled
	unknown // the crash policy's verdict on a message in doubt
)

func (s recState) final() bool { return s >= sent }

// record is a message record: its revision increments with every change.
type record struct {
	rev   uint64
	state recState
	body  string
}

// records stands in for the state part: records changed only by
// compare-and-set on their revision.
type records struct {
	mu sync.Mutex
	m  map[string]record
}

func newRecords() *records { return &records{m: map[string]record{}} }

func (r *records) get(id string) (record, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.m[id]
	return rec, ok
}

// cas replaces the record of id at revision rev by next, at revision
// rev+1, and reports whether it did.
func (r *records) cas(id string, rev uint64, next record) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur, ok := r.m[id]; ok && cur.rev != rev || !ok && rev != 0 {
		return false
	}
	next.rev = rev + 1
	r.m[id] = next
	return true
}

// change applies f to a queued record (cancel_sm, replace_sm) and reports
// whether the record was queued.
func (r *records) change(id string, f func(*record)) bool {
	for {
		rec, ok := r.get(id)
		if !ok || rec.state != queued {
			return false
		}
		next := rec
		f(&next)
		if r.cas(id, rec.rev, next) {
			return true
		}
	}
}

func (r *records) cancel(id string) bool {
	return r.change(id, func(rec *record) { rec.state = cancelled })
}

func (r *records) replace(id, body string) bool {
	return r.change(id, func(rec *record) { rec.body = body })
}

// dispatcher is the upstream part's use of the queue, reduced to the
// decisions of the protocol.
type dispatcher struct {
	t    *testing.T
	q    queue.Queue
	recs *records
	// send sends a message upstream; false means it was not sent and may
	// be sent again (no upstream bound).
	send func(id, body string) bool

	progress chan struct{}

	mu       sync.Mutex
	sent     map[string][]string // bodies sent, by id
	behind   int                 // tickets met with a record behind them
	maxDeliv int                 // the most deliveries of a ticket met
}

func newDispatcher(t *testing.T, q queue.Queue, recs *records) *dispatcher {
	d := &dispatcher{t: t, q: q, recs: recs, progress: make(chan struct{}, 1), sent: map[string][]string{}}
	d.send = func(string, string) bool { return true }
	return d
}

// start runs n claimers until the test ends.
func (d *dispatcher) start(n int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			var cs []queue.Claim
			for {
				var err error
				cs, err = d.q.Claim(ctx, cs[:0], 8)
				if err != nil {
					if ctx.Err() == nil && !errors.Is(err, queue.ErrClosed) {
						d.t.Errorf("Claim: %v", err)
					}
					return
				}
				for _, c := range cs {
					d.handle(c)
					select {
					case d.progress <- struct{}{}:
					default:
					}
				}
			}
		})
	}
	d.t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// handle resolves one claimed ticket against its record.
func (d *dispatcher) handle(c queue.Claim) {
	t := c.Ticket()
	d.mu.Lock()
	d.maxDeliv = max(d.maxDeliv, c.Deliveries())
	d.mu.Unlock()
	for {
		rec, ok := d.recs.get(t.ID)
		switch {
		case !ok || rec.rev < t.Rev:
			// The record read is older than the ticket: a replica or a
			// projection behind. Look again shortly.
			d.mu.Lock()
			d.behind++
			d.mu.Unlock()
			d.check("Nak", c.Nak(tick))
			return
		case rec.state.final():
			// Cancelled, or finished by an earlier hand-out of the
			// ticket: nothing left to do.
			d.check("Ack", c.Ack())
			return
		case rec.state == inflight:
			// Handed out again while in flight: the claimer that sent it
			// lost its lease (crashed). The crash policy decides; here,
			// without a dedupe key, UNKNOWN.
			if !d.recs.cas(t.ID, rec.rev, record{state: unknown, body: rec.body}) {
				continue
			}
			d.check("Ack", c.Ack())
			return
		}
		// Queued: take it. A cancel or replace that got there first
		// changed the revision, and the record is read again.
		if !d.recs.cas(t.ID, rec.rev, record{state: inflight, body: rec.body}) {
			continue
		}
		// What the record holds now is sent: a replace_sm is seen here.
		if !d.send(t.ID, rec.body) {
			if !d.recs.cas(t.ID, rec.rev+1, record{state: queued, body: rec.body}) {
				d.t.Errorf("%s: the record changed while in flight", t.ID)
			}
			d.check("Nak", c.Nak(tick))
			return
		}
		d.mu.Lock()
		d.sent[t.ID] = append(d.sent[t.ID], rec.body)
		d.mu.Unlock()
		if !d.recs.cas(t.ID, rec.rev+1, record{state: sent, body: rec.body}) {
			d.t.Errorf("%s: the record changed while in flight", t.ID)
		}
		// Acked only once the record says the ticket is done with.
		d.check("Ack", c.Ack())
		return
	}
}

func (d *dispatcher) check(what string, err error) {
	if err != nil {
		d.t.Errorf("%s: %v", what, err)
	}
}

// until waits until cond holds, looking again at each ticket handled.
func (d *dispatcher) until(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.NewTimer(patience)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-d.progress:
		case <-time.After(tick):
		case <-deadline.C:
			d.t.Fatalf("not within %v: %s", patience, what)
		}
	}
}

// settled reports whether every record of ids is final and the queue
// empty.
func (d *dispatcher) settled(ids []string) func() bool {
	return func() bool {
		for _, id := range ids {
			if rec, _ := d.recs.get(id); !rec.state.final() {
				return false
			}
		}
		n, err := d.q.Len()
		return err == nil && n == 0
	}
}

func (d *dispatcher) sentOf(id string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.sent[id])
}

// accept stores a queued record and enqueues its ticket.
func accept(t *testing.T, q queue.Queue, recs *records, id, body string) {
	t.Helper()
	if !recs.cas(id, 0, record{state: queued, body: body}) {
		t.Fatalf("record %s exists", id)
	}
	enqueue(t, q, queue.Ticket{ID: id, Rev: 1})
}

func testCancelWhileQueued(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Hour})
	recs := newRecords()
	accept(t, *q, recs, "m1", "one")
	accept(t, *q, recs, "m2", "two")
	if !recs.cancel("m1") {
		t.Fatal("cancel of a queued message failed")
	}
	d := newDispatcher(t, *q, recs)
	d.start(2)
	d.until("both messages settled", d.settled([]string{"m1", "m2"}))
	if s := d.sentOf("m1"); len(s) != 0 {
		t.Errorf("the cancelled message was sent: %v", s)
	}
	if s := d.sentOf("m2"); !slices.Equal(s, []string{"two"}) {
		t.Errorf("m2 sent %v, want [two]", s)
	}
	if rec, _ := recs.get("m1"); rec.state != cancelled {
		t.Errorf("m1 is %v, want cancelled", rec.state)
	}
	// Settled means the cancelled message's ticket was acked too.
	mustLen(t, *q, 0)
}

func testReplaceWhileQueued(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Hour})
	recs := newRecords()
	// Replaced before any claim.
	accept(t, *q, recs, "r1", "old")
	if !recs.replace("r1", "new") {
		t.Fatal("replace of a queued message failed")
	}
	// Replaced while waiting after a failed attempt (no upstream).
	accept(t, *q, recs, "r2", "old")
	firstTry := make(chan struct{})
	d := newDispatcher(t, *q, recs)
	var tried sync.Once
	d.send = func(id, body string) bool {
		if id == "r2" {
			failed := false
			tried.Do(func() { failed = true })
			if failed {
				close(firstTry)
				return false
			}
		}
		return true
	}
	d.start(2)
	<-firstTry
	replaced := false
	for !replaced {
		rec, _ := recs.get("r2")
		if rec.state.final() {
			break // sent before the replace could get in (a machine stalling a tick)
		}
		if rec.state == queued {
			replaced = recs.replace("r2", "new")
			continue
		}
		time.Sleep(time.Millisecond) // in flight: it comes back queued
	}
	if h.Bubble && !replaced {
		t.Fatal("the replace did not get in while the message waited")
	}
	d.until("both messages settled", d.settled([]string{"r1", "r2"}))
	if s := d.sentOf("r1"); !slices.Equal(s, []string{"new"}) {
		t.Errorf("r1 sent %v, want [new]", s)
	}
	want := []string{"old"}
	if replaced {
		want = []string{"new"}
	}
	if s := d.sentOf("r2"); !slices.Equal(s, want) {
		t.Errorf("r2 sent %v, want %v (replaced: %v)", s, want, replaced)
	}
}

func testRecordBehind(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Hour})
	recs := newRecords()
	// The ticket names revision 2; the reader still sees revision 1.
	recs.cas("b1", 0, record{state: queued, body: "v1"})
	enqueue(t, *q, queue.Ticket{ID: "b1", Rev: 2})
	d := newDispatcher(t, *q, recs)
	d.start(1)
	d.until("the dispatcher met the record behind", func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.behind > 0
	})
	if s := d.sentOf("b1"); len(s) != 0 {
		t.Fatalf("sent %v from a record behind its ticket", s)
	}
	if !recs.replace("b1", "v2") {
		t.Fatal("the record could not catch up")
	}
	d.until("b1 settled", d.settled([]string{"b1"}))
	if s := d.sentOf("b1"); !slices.Equal(s, []string{"v2"}) {
		t.Errorf("sent %v, want [v2]", s)
	}
}

func testCancelRacesDispatch(t *testing.T, h Harness) {
	q, _ := open(t, h, Config{Lease: time.Hour})
	recs := newRecords()
	const n = 300
	var all []string
	for i := range n {
		id := fmt.Sprint("c", i)
		all = append(all, id)
		accept(t, *q, recs, id, "body "+id)
	}
	d := newDispatcher(t, *q, recs)
	d.start(4)
	cancelledOK := map[string]bool{}
	for _, i := range rand.Perm(n) {
		cancelledOK[all[i]] = recs.cancel(all[i])
	}
	d.until("every message settled", d.settled(all))
	for _, id := range all {
		rec, _ := recs.get(id)
		s := d.sentOf(id)
		switch {
		case cancelledOK[id] && (rec.state != cancelled || len(s) != 0):
			t.Errorf("%s: cancelled, then %v and sent %v", id, rec.state, s)
		case !cancelledOK[id] && (rec.state != sent || len(s) != 1):
			t.Errorf("%s: not cancelled, then %v and sent %v", id, rec.state, s)
		}
	}
}

func testLostClaimer(t *testing.T, h Harness) {
	lease := 3 * tick
	q, _ := open(t, h, Config{Lease: lease})
	recs := newRecords()
	accept(t, *q, recs, "k1", "body")
	// A claimer takes the message, sends it, and dies before recording
	// the answer or acking.
	mustClaim(t, *q, 1)
	if !recs.cas("k1", 1, record{state: inflight, body: "body"}) {
		t.Fatal("cas to in flight failed")
	}
	d := newDispatcher(t, *q, recs)
	d.start(1)
	d.until("k1 settled", d.settled([]string{"k1"}))
	if rec, _ := recs.get("k1"); rec.state != unknown {
		t.Errorf("k1 is %v, want unknown (the crash policy)", rec.state)
	}
	if s := d.sentOf("k1"); len(s) != 0 {
		t.Errorf("sent again %v", s)
	}
	d.mu.Lock()
	deliv := d.maxDeliv
	d.mu.Unlock()
	if deliv < 2 {
		t.Errorf("the ticket handed out again says Deliveries %d", deliv)
	}
}
