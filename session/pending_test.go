package session

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
)

func pendingCall(seq uint32) *Call {
	return &Call{req: &pdu.SubmitSM{}, seq: seq}
}

// A request whose slot is still taken by an older one goes to the overflow
// map, and both are found by their sequence numbers.
func TestPendingTableOverflow(t *testing.T) {
	tb := newPendingTable(8) // 16 slots
	old := pendingCall(3)
	if !tb.put(old) {
		t.Fatal("put refused")
	}
	newer := pendingCall(3 + 16) // the same slot
	if !tb.put(newer) {
		t.Fatal("put refused")
	}
	if tb.overN.Load() != 1 {
		t.Fatalf("overflow entries %d, want 1", tb.overN.Load())
	}
	// A response of the wrong type leaves the request where it was.
	if c := tb.take(19, pdu.QuerySMRespID); c != nil {
		t.Fatal("query_sm_resp matched a submit_sm")
	}
	if c := tb.take(19, pdu.SubmitSMRespID); c != newer {
		t.Fatalf("take 19: %v", c)
	}
	if c := tb.take(19, pdu.SubmitSMRespID); c != nil {
		t.Fatal("taken twice")
	}
	if c := tb.take(3, pdu.GenericNackID); c != old {
		t.Fatalf("take 3: %v", c)
	}
	// remove, removeIf and closeAll.
	a, b := pendingCall(5), pendingCall(21)
	tb.put(a)
	tb.put(b)
	if !tb.remove(b) || tb.remove(b) {
		t.Fatal("remove from overflow")
	}
	tb.put(b)
	got := tb.removeIf(func(c *Call) bool { return c.seq == 21 })
	if len(got) != 1 || got[0] != b {
		t.Fatalf("removeIf: %v", got)
	}
	tb.put(b)
	all := tb.closeAll()
	if len(all) != 2 {
		t.Fatalf("closeAll returned %d calls, want 2", len(all))
	}
	if tb.put(pendingCall(7)) {
		t.Fatal("put after closeAll accepted")
	}
	if tb.overN.Load() != 0 {
		t.Fatalf("overflow entries left: %d", tb.overN.Load())
	}
}

// The table behaves like a map from sequence number to call, whatever the
// mix of operations and collisions (a model check against a map).
func TestPendingTableModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		tb := newPendingTable(4) // 16 slots: many collisions
		model := map[uint32]*Call{}
		var seq uint32
		for range 500 {
			switch op := rng.IntN(10); {
			case op < 5: // send: sequence numbers grow, as a session's do
				seq += 1 + uint32(rng.IntN(40))
				c := pendingCall(seq)
				if !tb.put(c) {
					t.Fatalf("round %d: put refused", round)
				}
				model[seq] = c
			case op < 8: // a response for a random recent sequence number
				s := seq - uint32(rng.IntN(60))
				got := tb.take(s, pdu.SubmitSMRespID)
				if got != model[s] {
					t.Fatalf("round %d: take %d = %v, model %v", round, s, got, model[s])
				}
				delete(model, s)
			case op < 9: // a timeout or a cancel of one in flight
				for s, c := range model {
					if !tb.remove(c) {
						t.Fatalf("round %d: remove %d failed", round, s)
					}
					delete(model, s)
					break
				}
			default: // the timer's sweep of every other one
				n := 0
				got := tb.removeIf(func(c *Call) bool { return c.seq%2 == 0 })
				for s := range model {
					if s%2 == 0 {
						delete(model, s)
						n++
					}
				}
				if len(got) != n {
					t.Fatalf("round %d: removeIf took %d, model %d", round, len(got), n)
				}
			}
		}
		if all := tb.closeAll(); len(all) != len(model) {
			t.Fatalf("round %d: closeAll returned %d, model holds %d", round, len(all), len(model))
		}
	}
}

// Senders, a reader and a sweeper at once: every call is taken exactly once.
func TestPendingTableConcurrent(t *testing.T) {
	tb := newPendingTable(8)
	const senders, each = 4, 2000
	var seq atomic.Uint32
	var taken atomic.Int64
	calls := make(chan *Call, senders*each)
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				c := pendingCall(seq.Add(1))
				tb.put(c)
				calls <- c
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range calls {
			if c.seq%7 == 0 {
				if tb.remove(c) {
					taken.Add(1)
				}
			} else if tb.take(c.seq, pdu.SubmitSMRespID) == c {
				taken.Add(1)
			}
		}
	}()
	wg.Wait()
	close(calls)
	<-done
	left := tb.closeAll()
	if got := taken.Load() + int64(len(left)); got != senders*each {
		t.Fatalf("%d taken + %d left = %d, want %d", taken.Load(), len(left), got, senders*each)
	}
}
